/**
 * The teaching tasks (explain, descent, sweep, the per-node values), run in the
 * worker thread like a check. A bad entry or node is a NetworkError, which
 * runTask turns into an error at its place in the network file.
 */
import type { Graph } from "../engine/graph.js";
import { descent } from "../engine/teach/descent.js";
import { explain } from "../engine/teach/explain.js";
import { sweep } from "../engine/teach/sweep.js";
import { networkValues } from "../engine/teach/values.js";
import type { LoadedNetwork } from "../config/load.js";
import type { WorkerRequest, WorkerResult } from "./protocol.js";

export const TEACH_TASKS: ReadonlySet<WorkerRequest["task"]> = new Set(["explain", "descent", "sweep", "values"]);

export function runTeachTask(request: WorkerRequest, loaded: LoadedNetwork, onProgress?: (fraction: number, message: string) => void): WorkerResult {
  const graph: Graph = loaded.graph;
  const step = request.options?.step;
  switch (request.task) {
    case "explain":
      return { kind: "explain", explanation: explain(graph, request.entry ?? "", { step, rtol: request.options?.rtol, atol: request.options?.atol }) };
    case "descent":
      return { kind: "descent", descent: descent(graph, { steps: request.steps, lr: request.lr, step, onProgress }) };
    case "sweep":
      return { kind: "sweep", sweep: sweep(graph, request.node ?? "") };
    default:
      return { kind: "values", values: networkValues(graph, { step }) };
  }
}
