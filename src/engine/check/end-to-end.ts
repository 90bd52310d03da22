/**
 * End to end: dL/dθ from backprop through the whole graph against central
 * differences of the whole loss, for every parameter and non-label input
 * that reaches the loss: every entry, a seeded sample, or (fast mode) one
 * random direction ⟨∇L, v⟩.
 */
import { backward, feedsOutput, type Graph } from "../graph.js";
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
import { centralDifference, stepFor, stepScale, type Step } from "./steps.js";
import { judgeSuspects, suspectCandidates } from "./suspect.js";
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
  for (const inp of graph.inputs) if (inp.classes === undefined) targets.push({ name: inp.id, tensor: inp.value, analytic: grads.values.get(inp.id) });
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
  const compared = { analytic: [a], numeric: [n], ahead: [(plus - loss) / opts.step], behind: [(loss - minus) / opts.step], noise: [noise] };
  let s = summarise(compared, e.tol, () => [], directionalStatus);
  if (suspectCandidates([a], [n], [noise], s.statuses, e.tol).length) {
    const second = e.evaluator.directional(t.name, v, 2 * opts.step);
    const marks = judgeSuspects([a], [n], [noise], [0], () => (second.plus - second.minus) / (4 * opts.step));
    if (marks.count) s = summarise(compared, e.tol, () => [], directionalStatus, marks);
  }
  Object.assign(report, { status: s.status, maxRelError: s.maxRelError, worst: s.worst, checked: 1, sampled: true, ...(s.suspect && s.status !== "fail" ? { suspect: true, suspectEntries: 1 } : {}) });
  if (s.status === "fail") report.diagnosis = diagnose({ analytic: [a], numeric: [n], wrtShape: t.tensor.shape, what: `⟨dL/d${t.name}, v⟩` }, e.tol);
}

/**
 * L(θ ± h'·eᵢ) for each index, with each entry's own step h' (steps.ts): the
 * evaluators take one step per call, so the indices go in groups sharing one.
 */
function evaluateEntries(e: Evaluation, t: Target, indices: number[], multiple: number, progress?: (k: number) => void): { plus: Float64Array; minus: Float64Array; steps: Step[] } {
  const { opts } = e.run;
  const plus = new Float64Array(indices.length), minus = new Float64Array(indices.length);
  const steps = indices.map((flat) => stepFor(t.tensor.data[flat], opts.step, multiple));
  const groups = new Map<number, number[]>();
  indices.forEach((flat, k) => {
    const s = stepScale(t.tensor.data[flat]);
    (groups.get(s) ?? groups.set(s, []).get(s)!).push(k);
  });
  let done = 0;
  for (const [scale, ks] of groups) {
    const r = e.evaluator.entries(t.name, ks.map((k) => indices[k]), opts.step * scale * multiple, progress && ((j) => progress(done + j)));
    ks.forEach((k, j) => {
      plus[k] = r.plus[j];
      minus[k] = r.minus[j];
    });
    done += ks.length;
  }
  return { plus, minus, steps };
}

/** Every entry (exhaustive, or auto up to gradientLimit), else a seeded sample of them. */
function entriesGradient(e: Evaluation, t: Target, report: GradientReport, rng: Rng): void {
  const { opts, loss, graph } = e.run;
  const size = t.tensor.data.length;
  const analytic = t.analytic?.data ?? new Float64Array(size);
  const exhaustive = opts.mode === "exhaustive" || (opts.mode === "auto" && size <= opts.gradientLimit);
  const indices = exhaustive ? range(size) : rng.sample(size, opts.samples);
  const { plus, minus, steps } = evaluateEntries(e, t, indices, 1, (k) => e.run.progress(0.3 + (0.7 * (e.done + k)) / e.totalEntries, `end-to-end dL/d${t.name}`));
  e.done += size;
  const A = new Float64Array(indices.length), N = new Float64Array(indices.length), up = new Float64Array(indices.length), down = new Float64Array(indices.length);
  const noise = new Float64Array(indices.length);
  indices.forEach((flat, k) => {
    const s = steps[k];
    A[k] = analytic[flat];
    N[k] = centralDifference(plus[k], minus[k], s);
    up[k] = (plus[k] - loss) / s.up;
    down[k] = (loss - minus[k]) / s.down;
    noise[k] = roundingNoise(Math.max(Math.abs(plus[k]), Math.abs(minus[k])), Math.abs(t.tensor.data[flat]), N[k], (s.up + s.down) / 2);
  });
  const compared = { analytic: A, numeric: N, ahead: up, behind: down, noise };
  const indexOf = (k: number) => unravel(indices[k], t.tensor.shape);
  let s = summarise(compared, e.tol, indexOf);
  const candidates = suspectCandidates(A, N, noise, s.statuses, e.tol);
  let marks: ReturnType<typeof judgeSuspects> | undefined;
  if (candidates.length) {
    const second = evaluateEntries(e, t, candidates.map((k) => indices[k]), 2);
    const at = new Map(candidates.map((k, j) => [k, centralDifference(second.plus[j], second.minus[j], second.steps[j])]));
    marks = judgeSuspects(A, N, noise, candidates, (k) => at.get(k)!);
    if (marks.count) s = summarise(compared, e.tol, indexOf, undefined, marks);
  }
  Object.assign(report, { status: s.status, maxRelError: s.maxRelError, worst: s.worst, checked: indices.length, sampled: !exhaustive, ...(s.suspect && s.status !== "fail" ? { suspect: true, suspectEntries: s.suspect } : {}) });
  if (s.status === "fail") report.diagnosis = diagnose({ analytic: A, numeric: N, index: indices, wrtShape: t.tensor.shape, what: `dL/d${t.name}`, batch: batchOf(graph.inputs.map((i) => i.value)), statuses: s.statuses, wrtName: t.name, suspect: marks?.suspect }, e.tol);
  if (!exhaustive) e.run.notes.push(`dL/d${t.name}: ${indices.length} of ${size} entries sampled`);
}
