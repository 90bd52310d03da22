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
