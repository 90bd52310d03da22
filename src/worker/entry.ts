/**
 * Worker-thread entry (bundled to dist/worker.js): loads and checks networks
 * off the main thread, so a hang in user code can be ended by terminating the
 * thread, and the editor stays responsive while a large check runs.
 *
 * The thread takes its tasks as messages (protocol.ts `WorkerCommand`), one at
 * a time: the CLI starts it before it has parsed its arguments and sends the
 * one task; the editor keeps it warm between checks (client.ts `WarmWorkers`),
 * with esbuild and each network's last bundle (src/config/typescript.ts). After
 * every task it says whether it is still clean enough for the next
 * (integrity.ts); a thread that is not, or that was stopped (Cancel, the time
 * limit), is terminated, never reused.
 */
import { readlinkSync } from "node:fs";
import { parentPort, workerData } from "node:worker_threads";
import { runTask } from "./run-task.js";
import type { WorkerCommand, WorkerMessage } from "./protocol.js";
import { pollution, refreshResources, takeBaseline, type Baseline } from "./integrity.js";
import { primeEngine } from "./prime.js";
import { bundleStats, esbuildKind, keepEsbuildContexts, warmUpEsbuild } from "../config/typescript.js";
import "../config/typescript-support.js";

const port = parentPort!;
const post = (m: WorkerMessage) => port.postMessage(m);

// What user code prints (console.log in a forward, process.stdout.write) goes to the parent as messages,
// in order with the result: a worker's own stdout stream reaches the parent asynchronously, and the
// last lines could arrive after the result, when the thread is already gone.
for (const stream of [process.stdout, process.stderr]) {
  stream.write = ((chunk: unknown, encoding?: unknown, callback?: unknown) => {
    const text = typeof chunk === "string" ? chunk : Buffer.from(chunk as Uint8Array).toString(typeof encoding === "string" ? (encoding as BufferEncoding) : "utf8");
    post({ type: "output", text });
    const done = typeof encoding === "function" ? encoding : callback;
    if (typeof done === "function") queueMicrotask(() => (done as () => void)());
    return true;
  }) as typeof stream.write;
}

/** `workerData.keep`: this thread will run many tasks (esbuild contexts are kept between them). */
if ((workerData as { keep?: boolean } | undefined)?.keep) keepEsbuildContexts(true);

/** The thread's standard functions and handles before any user code ran. */
let baseline: Baseline | undefined;

async function handle(command: WorkerCommand): Promise<void> {
  if (command.type === "warm") {
    const t0 = performance.now();
    primeEngine();
    const esbuild = command.esbuild ? await warmUpEsbuild() : undefined;
    baseline = takeBaseline();
    post({ type: "warmed", ms: Math.round(performance.now() - t0), ...(esbuild ? { esbuild } : {}) });
    return;
  }
  if (command.env) replaceEnv(command.env);
  baseline ??= takeBaseline();
  const esbuildBefore = esbuildKind();
  let userCode = /\.m?ts$/i.test(command.request.file);
  const result = await runTask(command.request, {
    onProgress: (fraction, message) => post({ type: "progress", fraction, message }),
    onSource: (file) => {
      if (!/\.json$/i.test(file)) userCode = true;
    },
    onPythonStart: (pid) => post({ type: "python", pid }),
    onUserOutput: (text) => post({ type: "output", text }),
    onLoaded: (loadedUserCode, sources) => {
      userCode ||= loadedUserCode;
      post({ type: "loaded", userCode: loadedUserCode, sources });
    },
  });
  // esbuild's WebAssembly runtime keeps timers of its own: a task that started it cannot count handles.
  const why = pollution(baseline, userCode && esbuildKind() === esbuildBefore);
  if (!why) refreshResources(baseline);
  post({ type: "result", result, reusable: why === undefined, ...(why ? { why } : {}), bundles: { ...bundleStats } });
}

/** The parent's environment as it was when it sent the task (a thread copies it once, at its start). */
function replaceEnv(env: Record<string, string | undefined>): void {
  for (const key of Object.keys(process.env)) if (!(key in env)) delete process.env[key];
  for (const [key, value] of Object.entries(env)) if (value !== undefined) process.env[key] = value;
}

/** This thread's id in the operating system: /proc/thread-self names it on Linux. */
function osThreadId(): number | undefined {
  try {
    const tid = Number(readlinkSync("/proc/thread-self").split("/").pop());
    return Number.isInteger(tid) ? tid : undefined;
  } catch {
    return undefined;
  }
}

post({ type: "started", osThread: osThreadId() });

let tasks = Promise.resolve();
port.on("message", (command: WorkerCommand) => {
  tasks = tasks.then(() => handle(command)).catch((e: Error) =>
    post({ type: "result", result: { kind: "internal-error", message: String(e?.message ?? e), stack: e?.stack }, reusable: false, why: "an internal error", bundles: { ...bundleStats } }));
});
