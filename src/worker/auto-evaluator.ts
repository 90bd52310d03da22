/**
 * The end-to-end evaluator runTask gives checkGraph (the CLI's and the
 * extension's): incremental (only what a perturbation changes is recomputed),
 * split across worker threads when a tensor's work pays for their start-up.
 * GRADLENS_EVALUATOR=straight brings back a whole forward pass per evaluation
 * (to compare, or to rule the fast path out). The engine itself, given no
 * evaluator, runs the incremental one in its own thread.
 */
import type { Graph } from "../engine/graph.js";
import { StraightEvaluator, type EndToEndEvaluator } from "../engine/evaluate.js";
import { PooledEvaluator, type PoolOptions } from "./pool.js";

export function autoEvaluator(graph: Graph, options: PoolOptions = {}): EndToEndEvaluator {
  if (process.env.GRADLENS_EVALUATOR === "straight") return new StraightEvaluator(graph);
  return new PooledEvaluator(graph, options);
}
