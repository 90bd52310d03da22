/**
 * The teaching tasks (explain, descent, sweep, the per-node values), run in the
 * worker thread like a check: the engine computes, this turns a bad entry or
 * node into an error at a place in the network file.
 */
import type { Graph } from "../engine/graph.js";
import { descent } from "../engine/teach/descent.js";
import { EntryError } from "../engine/teach/entry.js";
import { explain } from "../engine/teach/explain.js";
import { sweep } from "../engine/teach/sweep.js";
import { networkValues } from "../engine/teach/values.js";
import type { LoadedNetwork } from "../config/load.js";
import type { WorkerRequest, WorkerResult } from "./protocol.js";

export const TEACH_TASKS: ReadonlySet<WorkerRequest["task"]> = new Set(["explain", "descent", "sweep", "values"]);

export function runTeachTask(request: WorkerRequest, loaded: LoadedNetwork, onProgress?: (fraction: number, message: string) => void): WorkerResult {
  const graph: Graph = loaded.graph;
  const step = request.options?.step;
  try {
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
  } catch (e) {
    if (e instanceof EntryError) return entryError(e, loaded);
    throw e;
  }
}

/** A bad entry or node, at the node it names in the file (or the file's start). */
function entryError(e: EntryError, loaded: LoadedNetwork): WorkerResult {
  let at = { line: 1, column: 1 };
  if (e.path) {
    try {
      at = loaded.locate(e.path);
    } catch {
      // No place in the file for it (built by code): the file's start.
    }
  }
  return { kind: "config-error", errors: [{ file: loaded.file, line: at.line, column: at.column, message: e.message }] };
}
