/**
 * Runs load-and-check tasks in worker threads, with a time limit for user code
 * and cancellation: aborting the signal, or the time limit, terminates the
 * thread at once (a hung `for (;;) {}` in a user's forward cannot stop any
 * other way).
 *
 * - `runInWorker`: one task in a thread of its own, ended with it (the CLI;
 *   `WorkerThread.start()` lets it start the thread before its arguments are
 *   parsed).
 * - `WarmWorkers`: threads kept between tasks (the editor): a task takes an
 *   idle thread (esbuild initialised, the engine's code compiled, the last
 *   bundle of each network kept) or starts one; a thread goes back to idle only
 *   when its task finished and it says it is clean (src/worker/integrity.ts).
 *   A thread stopped by Cancel or the time limit, one that crashed and one left
 *   unclean by user code are terminated, and a fresh idle one is started in
 *   their place.
 */
import { Worker } from "node:worker_threads";
import { existsSync } from "node:fs";
import { join } from "node:path";
import type { WorkerCommand, WorkerMessage, WorkerRequest, WorkerResult } from "./protocol.js";
import { DEFAULTS } from "../shared/defaults.js";

export interface RunOptions {
  /** Limit for runs that execute user code (loading a .gradnet.ts, custom ops). Default DEFAULTS.timeoutSeconds (30 s). */
  timeoutMs?: number;
  onProgress?: (fraction: number, message: string) => void;
  /** Once the network is loaded: the files it was read from (absolute paths). */
  onLoaded?: (info: { userCode: boolean; sources: string[] }) => void;
  signal?: AbortSignal;
  /** Where the user's console output goes (default: this process's stderr). */
  onUserOutput?: (text: string) => void;
}

export interface ThreadOptions {
  /** dist/worker.js; found beside this bundle by default. */
  workerPath?: string;
  /** Limit for the worker's heap (MiB): a runaway allocation ends the worker, not the editor. */
  maxHeapMb?: number;
  /** The thread will run many tasks (it keeps esbuild contexts between them). */
  keep?: boolean;
}

export function defaultWorkerPath(): string {
  const candidates = [join(__dirname, "worker.js"), join(__dirname, "..", "..", "dist", "worker.js"), join(__dirname, "..", "dist", "worker.js")];
  const found = candidates.find((p) => existsSync(p));
  if (!found) throw new Error(`dist/worker.js not found (looked in ${candidates.join(", ")}); run \`npm run build\``);
  return found;
}

/** How a task in a thread ended: its result, and whether the thread may run another. */
export interface TaskEnd {
  result: WorkerResult;
  /** false: the thread was terminated (cancel, time-out, crash) or is not clean; it runs nothing more. */
  reusable: boolean;
  /** Why it is not reusable. */
  why?: string;
  /** The thread's bundles of user TypeScript so far (made, reused unchanged); absent when it was stopped. */
  bundles?: { built: number; reused: number };
}

/** One worker thread that runs tasks one at a time. */
export class WorkerThread {
  private worker: Worker | undefined;
  private current: { end: (e: TaskEnd) => void; output?: (text: string) => void } | undefined;
  /** The running task's Python interpreter (its layers'): killed with the thread when the task is stopped. */
  private pythonPid: number | undefined;
  private dead = false;
  readonly startedAt = Date.now();
  /** Tasks this thread ran. */
  tasks = 0;
  /** The thread's id in the operating system (Linux), once it said so. */
  osThread: number | undefined;

  constructor(private readonly options: ThreadOptions = {}) {}

  /** Starts the thread now (it loads its code while the caller gets its task ready). */
  start(): this {
    if (this.worker || this.dead) return this;
    const w = new Worker(this.options.workerPath ?? defaultWorkerPath(), {
      workerData: { keep: this.options.keep === true },
      resourceLimits: { maxOldGenerationSizeMb: this.options.maxHeapMb ?? 2048 },
      // The user's console.log must not mix into a --json report on stdout.
      stdout: true, stderr: true,
    });
    this.worker = w;
    w.on("message", (m: WorkerMessage) => {
      if (m.type === "started") this.osThread = m.osThread;
    });
    const output = (text: string) => this.current?.output?.(text);
    w.stdout.setEncoding("utf8").on("data", output);
    w.stderr.setEncoding("utf8").on("data", output);
    w.on("error", (e) => {
      const oom = /heap|memory/i.test(String(e?.message)) || (e as NodeJS.ErrnoException)?.code === "ERR_WORKER_OUT_OF_MEMORY";
      this.fail({ kind: "internal-error", message: oom ? `the check ran out of memory (worker heap limit ${this.options.maxHeapMb ?? 2048} MiB)` : String(e?.message ?? e), stack: e?.stack }, "it crashed");
    });
    w.on("exit", (code) => this.fail({ kind: "internal-error", message: `the worker stopped unexpectedly (exit code ${code})` }, "it exited"));
    return this;
  }

  get alive(): boolean {
    return !this.dead;
  }

  get busy(): boolean {
    return this.current !== undefined;
  }

  /** Primes an idle thread (the engine's code, esbuild); resolves when done (or at once if it died). */
  warm(esbuild: boolean): Promise<void> {
    this.start();
    return new Promise((resolve) => {
      const w = this.worker!;
      const onMessage = (m: WorkerMessage) => {
        if (m.type !== "warmed") return;
        w.off("message", onMessage);
        resolve();
      };
      w.on("message", onMessage);
      w.once("exit", () => resolve());
      this.send({ type: "warm", esbuild });
    });
  }

  /** Runs one task. The thread must be idle. */
  run(request: WorkerRequest, options: RunOptions = {}): Promise<TaskEnd> {
    if (this.busy) throw new Error("a worker thread runs one task at a time");
    if (this.dead) return Promise.resolve({ result: { kind: "internal-error", message: "the worker thread has ended" }, reusable: false, why: "it ended" });
    this.start();
    this.tasks++;
    const timeoutMs = options.timeoutMs ?? DEFAULTS.timeoutSeconds * 1000;
    return new Promise<TaskEnd>((resolve) => {
      if (options.signal?.aborted) return resolve({ result: { kind: "cancelled" }, reusable: true });
      const w = this.worker!;
      let settled = false;
      const finish = (end: TaskEnd) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        options.signal?.removeEventListener("abort", onAbort);
        w.off("message", onMessage);
        this.current = undefined;
        resolve(end);
      };
      // Armed from the start (a .gradnet.ts runs user code while loading); disarmed
      // once the network is known to hold built-in ops only.
      const timer = setTimeout(() => this.stop({ kind: "timeout", seconds: timeoutMs / 1000 }, "the time limit"), timeoutMs);
      const onAbort = () => this.stop({ kind: "cancelled" }, "Cancel");
      options.signal?.addEventListener("abort", onAbort);
      const onMessage = (m: WorkerMessage) => {
        if (m.type === "progress") options.onProgress?.(m.fraction, m.message);
        else if (m.type === "loaded") {
          if (!m.userCode) clearTimeout(timer);
          options.onLoaded?.({ userCode: m.userCode, sources: m.sources });
        } else if (m.type === "python") this.pythonPid = m.pid;
        else if (m.type === "output") this.current?.output?.(m.text);
        else if (m.type === "result") {
          // The task closed its interpreter itself.
          this.pythonPid = undefined;
          finish({ result: m.result, reusable: m.reusable, ...(m.why ? { why: m.why } : {}), bundles: m.bundles });
        }
      };
      w.on("message", onMessage);
      this.current = { end: finish, output: options.onUserOutput ?? ((text: string) => process.stderr.write(text)) };
      this.send({ type: "run", request, env: { ...process.env } });
    });
  }

  /** Terminates the thread; a task in flight ends with `result`. */
  stop(result: WorkerResult, why: string): void {
    this.fail(result, `stopped by ${why}`);
  }

  terminate(): void {
    this.fail({ kind: "cancelled" }, "terminated");
  }

  private fail(result: WorkerResult, why: string): void {
    const first = !this.dead;
    this.dead = true;
    if (first) void this.worker?.terminate();
    // A thread stopped mid-task (time-out, cancel, a crash) takes its pipes with it; its interpreter is killed at once.
    if (this.pythonPid !== undefined) killPython(this.pythonPid);
    this.pythonPid = undefined;
    this.current?.end({ result, reusable: false, why });
  }

  private send(command: WorkerCommand): void {
    this.worker!.postMessage(command);
  }
}

/** One task in a worker thread of its own (started now, or the one given), which ends with it. */
export async function runInWorker(request: WorkerRequest, options: RunOptions & ThreadOptions & { thread?: WorkerThread } = {}): Promise<WorkerResult> {
  const thread = options.thread ?? new WorkerThread(options);
  try {
    return (await thread.run(request, options)).result;
  } finally {
    thread.terminate();
  }
}

export interface WarmOptions extends ThreadOptions {
  /** Threads kept idle between tasks (default 1). */
  idle?: number;
  /** Prime each fresh idle thread's esbuild too (a trusted workspace with .gradnet.ts networks). */
  esbuild?: () => boolean;
}

/** What the editor's tests read about the warm threads. */
export interface WarmStats {
  /** Threads started, in all. */
  started: number;
  /** Tasks that ran in a thread that had run one before. */
  reused: number;
  /** Threads terminated after a task (stopped, crashed, or not clean), each with why. */
  retired: string[];
  /** Bundles of user TypeScript made, and reused because none of their files changed (summed over threads, as last reported). */
  bundlesBuilt: number;
  bundlesReused: number;
  idle: number;
  busy: number;
}

/**
 * Worker threads kept warm between tasks (see the file comment): checks of
 * different files run side by side, each in its own thread; at most `idle`
 * threads wait between tasks.
 */
export class WarmWorkers {
  private readonly idleThreads: WorkerThread[] = [];
  private readonly busyThreads = new Set<WorkerThread>();
  private disposed = false;
  readonly stats: Omit<WarmStats, "idle" | "busy"> = { started: 0, reused: 0, retired: [], bundlesBuilt: 0, bundlesReused: 0 };
  /** Each thread's bundle counts as it last reported them. */
  private readonly bundles = new Map<WorkerThread, { built: number; reused: number }>();

  constructor(private readonly options: WarmOptions = {}) {}

  /** Starts (and primes) an idle thread, unless one is waiting already. */
  prestart(): void {
    if (this.disposed || this.idleThreads.length > 0) return;
    const thread = this.fresh();
    this.idleThreads.push(thread);
    void thread.warm(this.options.esbuild?.() === true);
  }

  /** Runs one task in an idle thread or a new one; `onThread` hears which (before it starts). */
  async run(request: WorkerRequest, options: RunOptions & { onThread?: (thread: WorkerThread) => void } = {}): Promise<WorkerResult> {
    const thread = this.idleThreads.pop() ?? this.fresh();
    if (thread.tasks > 0) this.stats.reused++;
    options.onThread?.(thread);
    this.busyThreads.add(thread);
    let end: TaskEnd;
    try {
      end = await thread.run(request, options);
    } finally {
      this.busyThreads.delete(thread);
    }
    if (end.bundles) {
      const before = this.bundles.get(thread) ?? { built: 0, reused: 0 };
      this.stats.bundlesBuilt += end.bundles.built - before.built;
      this.stats.bundlesReused += end.bundles.reused - before.reused;
      this.bundles.set(thread, end.bundles);
    }
    if (end.reusable && thread.alive && !this.disposed && this.idleThreads.length < (this.options.idle ?? 1)) {
      this.idleThreads.push(thread);
    } else {
      if (!end.reusable) this.stats.retired.push(end.why ?? "not reusable");
      thread.terminate();
      this.bundles.delete(thread);
      // A check that was stopped leaves a fresh thread ready for the next.
      if (!end.reusable) this.prestart();
    }
    return end.result;
  }

  snapshot(): WarmStats {
    return { ...this.stats, retired: [...this.stats.retired], idle: this.idleThreads.length, busy: this.busyThreads.size };
  }

  private fresh(): WorkerThread {
    this.stats.started++;
    return new WorkerThread({ ...this.options, keep: true }).start();
  }

  dispose(): void {
    this.disposed = true;
    for (const t of [...this.idleThreads, ...this.busyThreads]) t.terminate();
    this.idleThreads.length = 0;
  }
}

function killPython(pid: number): void {
  try {
    process.kill(pid, "SIGKILL");
  } catch {
    // already gone (it exits on its own when its pipes close)
  }
}
