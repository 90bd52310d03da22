/**
 * Worker-thread entry (bundled to dist/worker.js): loads and checks one network
 * off the main thread, so a hang in user code can be ended by terminating the
 * thread, and the editor stays responsive while a large check runs.
 */
import { parentPort, workerData } from "node:worker_threads";
import { runTask } from "./run-task.js";
import type { WorkerMessage, WorkerRequest } from "./protocol.js";
import "../config/typescript-support.js";

const post = (m: WorkerMessage) => parentPort!.postMessage(m);

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

async function main(): Promise<void> {
  const request = workerData as WorkerRequest;
  const result = await runTask(request, {
    onProgress: (fraction, message) => post({ type: "progress", fraction, message }),
    onLoaded: (userCode) => post({ type: "loaded", userCode }),
    onPythonStart: (pid) => post({ type: "python", pid }),
    onUserOutput: (text) => post({ type: "output", text }),
  });
  post({ type: "result", result });
}

main().catch((e) => post({ type: "result", result: { kind: "internal-error", message: String(e?.message ?? e), stack: e?.stack } }));
