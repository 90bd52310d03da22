/**
 * Pool worker entry (bundled to dist/pool-worker.js): rebuilds the graph it is
 * sent, then claims chunks of each job from the shared counter and writes
 * L(θ ± h·eᵢ) into the shared result arrays (see pool.ts).
 */
import { parentPort } from "node:worker_threads";
import { IncrementalEvaluator } from "./incremental.js";
import { graphFromData, CLAIMED, DONE, FAILED, FINISHED, NEXT, STATE, type PoolMessage } from "./pool.js";

let evaluator: IncrementalEvaluator | undefined;

parentPort!.on("message", (m: PoolMessage) => {
  if (m.type === "init") {
    evaluator = new IncrementalEvaluator(graphFromData(m.graph));
    return;
  }
  const { control, indices, chunk, h, name, plus, minus } = m;
  const n = indices.length, chunks = Math.ceil(n / chunk);
  for (;;) {
    const c = Atomics.add(control, NEXT, 1);
    if (c >= chunks) return;
    Atomics.store(control, STATE + c, CLAIMED);
    try {
      evaluator!.entriesInto(name, indices, c * chunk, Math.min(n, (c + 1) * chunk), h, plus, minus);
      Atomics.store(control, STATE + c, FINISHED);
    } catch {
      // The calling thread does this chunk again and meets the error itself.
      Atomics.store(control, STATE + c, FAILED);
    }
    Atomics.add(control, DONE, 1);
    Atomics.notify(control, DONE);
  }
});
