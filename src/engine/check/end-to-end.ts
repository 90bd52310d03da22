/**
 * End to end: dL/dθ from backprop through the whole graph against central
 * differences of the whole loss, for every parameter and non-label input
 * that reaches the loss: every entry, a seeded sample, or (fast mode) one
 * random direction ⟨∇L, v⟩.
 */
import { backward, feedsOutput, isDifferentiable, type Graph } from "../graph.js";
import { directionalStatus, roundingNoise, type Tolerance } from "../compare.js";
import { diagnose } from "../diagnose.js";
import type { EndToEndEvaluator } from "../evaluate.js";
import { IncrementalEvaluator } from "../incremental.js";
import { Rng, deriveSeed } from "../random.js";
import type { GradientReport } from "../../shared/report.js";
import { unravel, type Tensor } from "../tensor.js";
import { batchOf } from "./local-node.js";
import type { CheckOptions } from "./options.js";
import type { Progress } from "./progress.js";
import { maxAbs, range, summarise } from "./summary.js";
import { paramName } from "../../shared/names.js";

export interface EndToEndRun {
  graph: Graph;
  opts: CheckOptions;
  seed: number;
  /** The loss and the backprop gradients at the unperturbed values. */
  loss: number;
  grads: ReturnType<typeof backward>;
  /** The report's notes: a sampled gradient is noted here. */
  notes: string[];
  progress: Progress;
}

/** A tensor whose gradient is checked: "<node>.<param>" or an input. */
interface Target {
  name: string;
  node?: string;
  param?: string;
  tensor: Tensor;
  analytic?: Tensor;
}

/** One run's evaluator and how far it has come (for progress). */
interface Evaluation {
  run: EndToEndRun;
  tol: Tolerance;
  evaluator: EndToEndEvaluator;
  totalEntries: number;
  done: number;
}

export function checkEndToEnd(run: EndToEndRun): GradientReport[] {
  const { graph, opts } = run;
  const feeds = feedsOutput(graph);
  const targets = targetsOf(graph, run.grads);
  // Default: incremental (recompute only downstream of each perturbation); callers may pass a pooled one.
  const evaluator: EndToEndEvaluator = (opts.evaluator ?? ((g: Graph) => new IncrementalEvaluator(g)))(graph);
  const e: Evaluation = { run, tol: { rtol: opts.rtol, atol: opts.atol }, evaluator, totalEntries: targets.reduce((s, t) => s + t.tensor.data.length, 0), done: 0 };
  const gradients: GradientReport[] = [];
  try {
    for (const t of targets) {
      const size = t.tensor.data.length;
      const report: GradientReport = { name: t.name, node: t.node, param: t.param, shape: t.tensor.shape, status: "skipped", maxRelError: 0, worst: [], checked: 0, total: size, sampled: false };
      gradients.push(report);
      if (!feeds.has(t.node ?? t.name)) continue; // does not reach the loss: nothing to compare
      const rng = new Rng(deriveSeed(run.seed, `e2e:${t.name}`));
      if (opts.mode === "fast") directionalGradient(e, t, report, rng);
      else entriesGradient(e, t, report, rng);
    }
  } finally {
    evaluator.dispose?.();
  }
  return gradients;
}

function targetsOf(graph: Graph, grads: EndToEndRun["grads"]): Target[] {
  const targets: Target[] = [];
  for (const node of graph.nodes)
    for (const [p, t] of Object.entries(node.params)) targets.push({ name: paramName(node.id, p), node: node.id, param: p, tensor: t, analytic: grads.params.get(paramName(node.id, p)) });
  for (const inp of graph.inputs) if (isDifferentiable(inp)) targets.push({ name: inp.id, tensor: inp.value, analytic: grads.values.get(inp.id) });
  return targets;
}

/** Fast mode: ⟨dL/dθ, v⟩ against (L(θ + hv) − L(θ − hv)) / 2h for one seeded direction v. */
function directionalGradient(e: Evaluation, t: Target, report: GradientReport, rng: Rng): void {
  const { opts, loss } = e.run;
  const size = t.tensor.data.length;
  const analytic = t.analytic?.data ?? new Float64Array(size);
  const v = new Float64Array(size);
  for (let i = 0; i < size; i++) v[i] = rng.normal();
  const { plus, minus } = e.evaluator.directional(t.name, v, opts.step);
  let a = 0;
  for (let i = 0; i < size; i++) a += analytic[i] * v[i];
  const n = (plus - minus) / (2 * opts.step);
  const noise = roundingNoise(Math.max(Math.abs(plus), Math.abs(minus)), maxAbs(t.tensor.data), n, opts.step);
  const s = summarise({ analytic: [a], numeric: [n], ahead: [(plus - loss) / opts.step], behind: [(loss - minus) / opts.step], noise: [noise] }, e.tol, () => [], directionalStatus);
  Object.assign(report, { status: s.status, maxRelError: s.maxRelError, worst: s.worst, checked: 1, sampled: true });
  if (s.status === "fail") report.diagnosis = diagnose({ analytic: [a], numeric: [n], wrtShape: t.tensor.shape, what: `⟨dL/d${t.name}, v⟩` }, e.tol);
}

/** Every entry (exhaustive, or auto up to gradientLimit), else a seeded sample of them. */
function entriesGradient(e: Evaluation, t: Target, report: GradientReport, rng: Rng): void {
  const { opts, loss, graph } = e.run;
  const size = t.tensor.data.length;
  const analytic = t.analytic?.data ?? new Float64Array(size);
  const exhaustive = opts.mode === "exhaustive" || (opts.mode === "auto" && size <= opts.gradientLimit);
  const indices = exhaustive ? range(size) : rng.sample(size, opts.samples);
  const { plus, minus } = e.evaluator.entries(t.name, indices, opts.step, (k) => e.run.progress(0.3 + (0.7 * (e.done + k)) / e.totalEntries, `end-to-end dL/d${t.name}`));
  e.done += size;
  const A = new Float64Array(indices.length), N = new Float64Array(indices.length), up = new Float64Array(indices.length), down = new Float64Array(indices.length);
  const noise = new Float64Array(indices.length);
  indices.forEach((flat, k) => {
    A[k] = analytic[flat];
    N[k] = (plus[k] - minus[k]) / (2 * opts.step);
    up[k] = (plus[k] - loss) / opts.step;
    down[k] = (loss - minus[k]) / opts.step;
    noise[k] = roundingNoise(Math.max(Math.abs(plus[k]), Math.abs(minus[k])), Math.abs(t.tensor.data[flat]), N[k], opts.step);
  });
  const s = summarise({ analytic: A, numeric: N, ahead: up, behind: down, noise }, e.tol, (k) => unravel(indices[k], t.tensor.shape));
  Object.assign(report, { status: s.status, maxRelError: s.maxRelError, worst: s.worst, checked: indices.length, sampled: !exhaustive });
  if (s.status === "fail") report.diagnosis = diagnose({ analytic: A, numeric: N, index: indices, wrtShape: t.tensor.shape, what: `dL/d${t.name}`, batch: batchOf(graph.inputs.map((i) => i.value)) }, e.tol);
  if (!exhaustive) e.run.notes.push(`dL/d${t.name}: ${indices.length} of ${size} entries sampled`);
}
