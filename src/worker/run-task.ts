/**
 * Load a network file and run one task on it, turning every failure into a
 * result (never a throw): config errors with locations, user-code errors at
 * the user's own line, and internal errors kept apart from both.
 *
 * What the engine leaves to its caller is given here: the end-to-end evaluator
 * (incremental, split across worker threads when that pays: auto-evaluator.ts)
 * and the wording that tells a user how to raise a limit (the CLI's flags).
 */
import { checkGraph } from "../engine/check.js";
import { backward, describeGraph, forward, isDifferentiable, UserOpError } from "../engine/graph.js";
import { NetworkError } from "../engine/network.js";
import { toNested, type Nested } from "../engine/tensor.js";
import type { WorkerRequest, WorkerResult } from "./protocol.js";
import { autoEvaluator } from "./auto-evaluator.js";
import { ConfigError, allErrors, loadNetworkFile, locatedError, type LoadedNetwork } from "../config/load.js";
import { backwardLocationOf, describeUserError } from "../config/user-code.js";
import { DEFAULTS, LIMIT_HINTS } from "../shared/defaults.js";
import { PythonLayers, pythonLayerOf } from "./python/layers.js";
import { PythonError } from "./python/session.js";
import { paramName } from "../shared/names.js";
import { lessonOf } from "../engine/teach/lesson.js";
import { runTeachTask, TEACH_TASKS } from "./teach-task.js";

export interface TaskHooks {
  onProgress?: (fraction: number, message: string) => void;
  /** The interpreter of the network's Python layers started, with this pid. */
  onPythonStart?: (pid: number) => void;
  /** What the network's Python layers print (default: this thread's stderr). */
  onUserOutput?: (text: string) => void;
  /** Once the network is loaded: whether it runs user code, and the files it was read from. */
  onLoaded?: (userCode: boolean, sources: string[]) => void;
  /** Every file the network is read from, as it is read (also when loading fails). */
  onSource?: (file: string) => void;
}

export async function runTask(request: WorkerRequest, hooks: TaskHooks = {}): Promise<WorkerResult> {
  // One interpreter for the task's Python layers, if it has any: started by the first, closed here.
  const python = new PythonLayers({ python: request.python ?? DEFAULTS.python, onStart: hooks.onPythonStart, onOutput: hooks.onUserOutput });
  try {
    return await runLoaded(request, hooks, python);
  } finally {
    python.close();
  }
}

async function runLoaded(request: WorkerRequest, hooks: TaskHooks, python: PythonLayers): Promise<WorkerResult> {
  let loaded: LoadedNetwork;
  const sources = new Set<string>();
  const onSource = (file: string) => {
    if (sources.has(file)) return;
    sources.add(file);
    hooks.onSource?.(file);
  };
  try {
    loaded = await loadNetworkFile(request.file, {
      seed: request.options?.seed, maxTensorSize: request.maxTensorSize, maxMemoryMb: request.maxMemoryMb, allowUserCode: request.allowUserCode, limitHints: LIMIT_HINTS,
      resolvePythonOps: python.resolve, onSource,
    });
  } catch (e) {
    return failure(e);
  }
  const userCode = loaded.graph.nodes.some((n) => !n.op.builtin);
  hooks.onLoaded?.(userCode, [...sources]);
  try {
    const graph = loaded.graph;
    if (request.task === "graph") return { kind: "graph", view: { ...describeGraph(graph), nodes: describeGraph(graph).nodes.map((n, i) => ({ ...n, location: located(loaded, graph.nodes[i].specIndex) })) } };
    if (TEACH_TASKS.has(request.task)) return runTeachTask(request, loaded, hooks.onProgress);
    if (request.task === "grads") {
      const { values, loss, saved } = forward(graph);
      const g = backward(graph, values, saved);
      const grads: Record<string, Nested> = {};
      for (const node of graph.nodes)
        for (const [p, t] of Object.entries(node.params)) grads[paramName(node.id, p)] = toNested(g.params.get(paramName(node.id, p)) ?? { shape: t.shape, data: new Float64Array(t.data.length) });
      for (const inp of graph.inputs) {
        if (!isDifferentiable(inp)) continue;
        grads[inp.id] = toNested(g.values.get(inp.id) ?? { shape: inp.shape, data: new Float64Array(inp.value.data.length) });
      }
      return { kind: "grads", loss, grads };
    }
    const rebuild = loaded.rebuild;
    const report = checkGraph(graph, {
      ...request.options, maxMemoryMb: request.maxMemoryMb, limitHints: LIMIT_HINTS, onProgress: hooks.onProgress, evaluator: (g) => autoEvaluator(g),
      ...(rebuild ? { rebuild } : {}),
    });
    report.nodes.forEach((n, i) => {
      n.location = located(loaded, graph.nodes[i].specIndex);
      // A Python layer's backward is in its .py file (the runner found the line); a TypeScript op's, from its bundle.
      const layer = pythonLayerOf(graph.nodes[i].op);
      if (layer) n.pythonLayer = layer;
      const at = layer ? layer.backwardLocation : backwardLocationOf(graph.nodes[i].op);
      if (at) n.backwardLocation = { file: at.file, line: at.line, column: at.column };
    });
    if (python.interpreter) report.python = python.interpreter;
    report.inputs.forEach((inp) => {
      const loc = safeLocate(loaded, ["inputs", inp.id]);
      if (loc) inp.location = loc;
    });
    return { kind: "report", report, ...(request.lesson ? { lesson: lessonOf(graph, report) } : {}) };
  } catch (e) {
    // A check refused up front (too much memory) points into the file like a load error.
    if (e instanceof NetworkError) return failure(locatedError(e, loaded.file, loaded.locate));
    return failure(e);
  }
}

function located(loaded: LoadedNetwork, specIndex: number) {
  return safeLocate(loaded, ["nodes", specIndex]);
}

function safeLocate(loaded: LoadedNetwork, path: (string | number)[]) {
  try {
    const at = loaded.locate(path);
    return { file: loaded.file, line: at.line, column: at.column, endLine: at.endLine, endColumn: at.endColumn };
  } catch {
    return undefined;
  }
}

export function failure(e: unknown): WorkerResult {
  if (e instanceof ConfigError)
    return { kind: "config-error", errors: allErrors(e).map((x) => ({ file: x.file, line: x.line, column: x.column, endLine: x.endLine, endColumn: x.endColumn, message: x.message })) };
  if (e instanceof UserOpError) return { kind: "user-error", message: e.message, location: describeUserError(e)?.location };
  if (e instanceof PythonError) return pythonFailure(e);
  const user = describeUserError(e);
  if (user) return { kind: "user-error", ...user };
  const err = e instanceof Error ? e : new Error(String(e));
  return { kind: "internal-error", message: err.message, stack: err.stack };
}

/** An error of a Python layer (or of its interpreter), at the user's .py line when it has one. */
function pythonFailure(e: PythonError): WorkerResult {
  if (e.kind === "internal" || e.kind === "bad-request") return { kind: "internal-error", message: `the Python runner: ${e.message}`, stack: e.details.pythonTraceback ?? e.stack };
  return { kind: "user-error", message: e.message, ...(e.file ? { location: { file: e.file, line: e.line!, column: e.column ?? 1 } } : {}) };
}
