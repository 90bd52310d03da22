/**
 * `gradlens descent FILE`: does the loss fall? N steps of gradient descent
 * Δθ = −α·∂L/∂θ on the network's parameters (its inputs held fixed), once with
 * the analytic gradient (backprop, the user's backwards) and once with the
 * numeric one (central differences of the whole loss, every entry). A correct
 * backward draws the same curve as the truth; a wrong one parts from it.
 * The network's parameters are put back as they were afterwards.
 */
import { backward, forward, type Graph } from "../graph.js";
import type { EndToEndEvaluator } from "../evaluate.js";
import { IncrementalEvaluator } from "../incremental.js";
import { paramName } from "../../shared/names.js";
import { DEFAULTS } from "../../shared/defaults.js";
import { DESCENT_DEFAULTS, type DescentResult } from "../../shared/teach.js";
import type { Tensor } from "../tensor.js";
import { centralDifferences } from "./upstream.js";

export { DESCENT_DEFAULTS };

export interface DescentOptions {
  steps?: number;
  lr?: number;
  /** The finite-difference step of the numeric gradient. */
  step?: number;
  onProgress?: (fraction: number, message: string) => void;
  /** The end-to-end evaluator of the numeric gradient, made afresh at each step's parameters (default IncrementalEvaluator). */
  evaluator?: (graph: Graph) => EndToEndEvaluator;
}

interface Param {
  name: string;
  tensor: Tensor;
  start: Float64Array;
}

type Gradient = (graph: Graph, params: Param[]) => Map<string, Float64Array>;

export function descent(graph: Graph, opts: DescentOptions = {}): DescentResult {
  const steps = opts.steps ?? DESCENT_DEFAULTS.steps, lr = opts.lr ?? DESCENT_DEFAULTS.lr;
  const params: Param[] = graph.nodes.flatMap((n) => Object.entries(n.params).map(([p, t]) => ({ name: paramName(n.id, p), tensor: t, start: new Float64Array(t.data) })));
  const h = opts.step ?? DEFAULTS.step;
  const progress = (half: number, what: string) => (t: number) => opts.onProgress?.((half + t / Math.max(steps, 1)) / 2, `descent with the ${what} gradient, step ${t} of ${steps}`);
  try {
    const analytic = run(graph, params, { steps, lr, gradient: analyticGradient, progress: progress(0, "analytic") });
    const numeric = run(graph, params, { steps, lr, gradient: numericGradient(h, opts.evaluator), progress: progress(1, "numeric") });
    return summarise({ analytic, numeric, lr, steps }, params);
  } finally {
    for (const p of params) p.tensor.data.set(p.start);
  }
}

function run(graph: Graph, params: Param[], how: { steps: number; lr: number; gradient: Gradient; progress: (t: number) => void }): number[] {
  for (const p of params) p.tensor.data.set(p.start);
  const losses: number[] = [];
  for (let t = 0; ; t++) {
    how.progress(t);
    losses.push(forward(graph).loss);
    if (t === how.steps) return losses;
    const grads = how.gradient(graph, params);
    for (const p of params) {
      const g = grads.get(p.name);
      if (g) for (let i = 0; i < g.length; i++) p.tensor.data[i] -= how.lr * g[i];
    }
  }
}

const analyticGradient: Gradient = (graph) => {
  const { values, saved } = forward(graph);
  const grads = backward(graph, values, saved).params;
  return new Map([...grads].map(([name, g]) => [name, g.data]));
};

function numericGradient(h: number, make?: (graph: Graph) => EndToEndEvaluator): Gradient {
  return (graph, params) => {
    const evaluator: EndToEndEvaluator = make ? make(graph) : new IncrementalEvaluator(graph);
    try {
      return new Map(params.map((p) => [p.name, centralDifferences(evaluator.entries(p.name, Array.from(p.start.keys()), h), h)]));
    } finally {
      evaluator.dispose?.();
    }
  };
}

function summarise(curves: { analytic: number[]; numeric: number[]; lr: number; steps: number }, params: Param[]): DescentResult {
  const { analytic, numeric } = curves;
  const tolerance = 1e-6 * Math.max(1, Math.abs(numeric[0]));
  let maxDifference = 0, partsAt: number | null = null;
  analytic.forEach((a, t) => {
    const d = Number.isFinite(a) && Number.isFinite(numeric[t]) ? Math.abs(a - numeric[t]) : a === numeric[t] ? 0 : Infinity;
    maxDifference = Math.max(maxDifference, d);
    if (d > tolerance && partsAt === null) partsAt = t;
  });
  const agree = partsAt === null;
  return {
    ...curves, maxDifference, tolerance, agree, partsAt, parameters: params.map((p) => p.name),
    entries: params.reduce((s, p) => s + p.start.length, 0), sentence: descentSentence(curves, agree, partsAt),
  };
}

const num = (x: number) => (Number.isFinite(x) ? Number(x.toPrecision(4)).toString() : String(x));

function descentSentence(c: { analytic: number[]; numeric: number[]; lr: number; steps: number }, agree: boolean, partsAt: number | null): string {
  const first = c.numeric[0], lastN = c.numeric[c.steps], lastA = c.analytic[c.steps];
  const truth = lastN < first ? `falls from ${num(first)} to ${num(lastN)}` : `does not fall (${num(first)} → ${num(lastN)}: try a smaller --lr)`;
  if (c.steps === 0) return `No steps taken: the loss is ${num(first)}.`;
  if (agree) return `The two curves agree: with the numeric gradient the loss ${truth} in ${c.steps} steps of α = ${c.lr}, and the analytic gradient takes the same path.`;
  return `The curves part at step ${partsAt}: with the numeric (true) gradient the loss ${truth}, with the analytic one it ends at ${num(lastA)} — the backward does not point where the loss really falls.`;
}
