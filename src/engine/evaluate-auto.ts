/**
 * The end-to-end evaluator the CLI and the extension check with (runTask
 * passes it to checkGraph, whose own default is IncrementalEvaluator alone):
 * incremental (only what a perturbation changes is recomputed), split across
 * worker threads when a tensor's work pays for their start-up. GRADLENS_EVALUATOR=straight brings back
 * a whole forward pass per evaluation (to compare, or to rule the fast path out).
 */
import type { Graph } from "./graph.js";
import { StraightEvaluator, type EndToEndEvaluator } from "./evaluate.js";
import { PooledEvaluator, type PoolOptions } from "./pool.js";

export function autoEvaluator(graph: Graph, options: PoolOptions = {}): EndToEndEvaluator {
  if (process.env.GRADLENS_EVALUATOR === "straight") return new StraightEvaluator(graph);
  return new PooledEvaluator(graph, options);
}
