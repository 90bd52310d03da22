/**
 * Pool worker entry (bundled to dist/pool-worker.js): rebuilds the graph it is
 * sent, then claims chunks of each job from the shared counter and writes
 * L(θ ± h·eᵢ) into the shared result arrays (see pool.ts).
 */
import { parentPort } from "node:worker_threads";
import { IncrementalEvaluator } from "../engine/incremental.js";
import { isDifferentiable } from "../engine/graph.js";
import { graphFromData, CLAIMED, DONE, FAILED, FINISHED, NEXT, STATE, type PoolMessage } from "./pool.js";
import { paramName, parseTensorName } from "../shared/names.js";

let evaluator: IncrementalEvaluator | undefined;

parentPort!.on("message", (m: PoolMessage) => {
  if (m.type === "init") {
    const graph = graphFromData(m.graph);
    evaluator = new IncrementalEvaluator(graph);
    warmUp(evaluator, graph);
    return;
  }
  const { control, indices, chunk, h, name, plus, minus } = m;
  const n = indices.length, chunks = Math.ceil(n / chunk);
  for (;;) {
    const c = Atomics.add(control, NEXT, 1);
    if (c >= chunks) return;
    Atomics.store(control, STATE + c, CLAIMED);
    try {
      evaluator!.entriesInto({ name, indices, from: c * chunk, to: Math.min(n, (c + 1) * chunk), h, plus, minus });
      Atomics.store(control, STATE + c, FINISHED);
    } catch {
      // The calling thread does this chunk again and meets the error itself.
      Atomics.store(control, STATE + c, FAILED);
    }
    Atomics.add(control, DONE, 1);
    Atomics.notify(control, DONE);
  }
});

/**
 * A few evaluations of every tensor before the first job arrives, so the worker
 * claims its first chunk with compiled code rather than the interpreter (a cold
 * worker can take many times a warm one's time over a chunk, and the caller
 * waits for its last one).
 */
function warmUp(ev: IncrementalEvaluator, graph: ReturnType<typeof graphFromData>): void {
  const names = [
    ...graph.nodes.flatMap((n) => Object.keys(n.params).map((p) => paramName(n.id, p))),
    ...graph.inputs.filter(isDifferentiable).map((i) => i.id),
  ];
  const t0 = performance.now();
  for (let round = 0; round < 20 && performance.now() - t0 < 50; round++)
    for (const name of names) {
      const plus = new Float64Array(4), minus = new Float64Array(4);
      ev.entriesInto({ name, indices: [0, 1, 2, 3].map((k) => (k + round * 4) % Math.max(1, sizeOfName(graph, name))), from: 0, to: 4, h: 1e-6, plus, minus });
    }
}

function sizeOfName(graph: ReturnType<typeof graphFromData>, name: string): number {
  const t = parseTensorName(name);
  if (t.kind === "input") return graph.inputs.find((i) => i.id === t.input)!.value.data.length;
  return graph.nodes.find((n) => n.id === t.node)!.params[t.param].data.length;
}
