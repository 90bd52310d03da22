/**
 * Run a load-and-check in a worker thread, with a time limit for user code and
 * cancellation: aborting the signal terminates the thread at once (a hung
 * `for (;;) {}` in a user's forward cannot stop any other way).
 */
import { Worker } from "node:worker_threads";
import { existsSync } from "node:fs";
import { join } from "node:path";
import type { WorkerMessage, WorkerRequest, WorkerResult } from "./protocol.js";
import { DEFAULTS } from "../shared/defaults.js";

export interface RunOptions {
  /** Limit for runs that execute user code (loading a .gradnet.ts, custom ops). Default DEFAULTS.timeoutSeconds (30 s). */
  timeoutMs?: number;
  onProgress?: (fraction: number, message: string) => void;
  signal?: AbortSignal;
  /** dist/worker.js; found beside this bundle by default. */
  workerPath?: string;
  /** Where the user's console output goes (default: this process's stderr). */
  onUserOutput?: (text: string) => void;
  /** Limit for the worker's heap (MiB): a runaway allocation ends the worker, not the editor. */
  maxHeapMb?: number;
}

export function defaultWorkerPath(): string {
  const candidates = [join(__dirname, "worker.js"), join(__dirname, "..", "..", "dist", "worker.js"), join(__dirname, "..", "dist", "worker.js")];
  const found = candidates.find((p) => existsSync(p));
  if (!found) throw new Error(`dist/worker.js not found (looked in ${candidates.join(", ")}); run \`npm run build\``);
  return found;
}

export function runInWorker(request: WorkerRequest, options: RunOptions = {}): Promise<WorkerResult> {
  const timeoutMs = options.timeoutMs ?? DEFAULTS.timeoutSeconds * 1000;
  return new Promise<WorkerResult>((resolve) => {
    if (options.signal?.aborted) return resolve({ kind: "cancelled" });
    const worker = new Worker(options.workerPath ?? defaultWorkerPath(), {
      workerData: request,
      resourceLimits: { maxOldGenerationSizeMb: options.maxHeapMb ?? 2048 },
      // The user's console.log must not mix into a --json report on stdout.
      stdout: true, stderr: true,
    });
    const userOutput = options.onUserOutput ?? ((text: string) => process.stderr.write(text));
    worker.stdout.setEncoding("utf8").on("data", userOutput);
    worker.stderr.setEncoding("utf8").on("data", userOutput);
    let settled = false;
    // Python layers' interpreter: the task closes it when it ends; a thread stopped from here (time-out,
    // cancel, a crash) takes its pipes with it, and the process is killed here too, at once.
    let pythonPid: number | undefined;
    /** `stopped`: the thread did not finish the task (time-out, cancel, a crash), so its interpreter may still run. */
    const finish = (result: WorkerResult, stopped = true) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      options.signal?.removeEventListener("abort", onAbort);
      void worker.terminate();
      if (pythonPid !== undefined && stopped) killPython(pythonPid);
      resolve(result);
    };
    // Armed from the start (a .gradnet.ts runs user code while loading); disarmed
    // once the network is known to hold built-in ops only.
    let timer = setTimeout(() => finish({ kind: "timeout", seconds: timeoutMs / 1000 }), timeoutMs);
    const onAbort = () => finish({ kind: "cancelled" });
    options.signal?.addEventListener("abort", onAbort);
    worker.on("message", (m: WorkerMessage) => {
      if (m.type === "progress") options.onProgress?.(m.fraction, m.message);
      else if (m.type === "loaded" && !m.userCode) clearTimeout(timer);
      else if (m.type === "python") pythonPid = m.pid;
      else if (m.type === "output") userOutput(m.text);
      else if (m.type === "result") finish(m.result, false);
    });
    worker.on("error", (e) => {
      const oom = /heap|memory/i.test(String(e?.message)) || (e as NodeJS.ErrnoException)?.code === "ERR_WORKER_OUT_OF_MEMORY";
      finish({ kind: "internal-error", message: oom ? `the check ran out of memory (worker heap limit ${options.maxHeapMb ?? 2048} MiB)` : String(e?.message ?? e), stack: e?.stack });
    });
    worker.on("exit", (code) => finish({ kind: "internal-error", message: `the worker stopped unexpectedly (exit code ${code})` }));
  });
}

function killPython(pid: number): void {
  try {
    process.kill(pid, "SIGKILL");
  } catch {
    // already gone (it exits on its own when its pipes close)
  }
}
