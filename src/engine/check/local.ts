/**
 * The local check of one node: the analytic local Jacobian, row by row from
 * backward with one-hot upstream gradients (as torch gradcheck does), against
 * central differences of that node's forward alone, column by column, at the
 * values the forward pass gave it. Above `jacobianLimit` entries (or in
 * sampled mode) a seeded subset of rows and columns; fast mode: fast-local.ts.
 * Around it: the forward repeated (a user op's), backward(u) twice, the
 * backward's linearity in gradOutput, and a second step for the entries that
 * pass suspiciously (suspect.ts).
 */
import { roundingNoise, type Tolerance } from "../compare.js";
import { DISPLAY_LIMIT } from "../limits.js";
import { diagnose } from "../diagnose.js";
import type { JacobianReport } from "../../shared/report.js";
import { fastLocal } from "./fast-local.js";
import { checkLinearity, type LinearityFailure, type RowsOf } from "./linearity.js";
import { backwardsOf, batchOf, gradOf, perturbedForwards, wrtsOf, type LocalCheck, type Wrt } from "./local-node.js";
import { forwardRepeats, probeUpstream } from "./reentrancy.js";
import { centralDifference, stepFor } from "./steps.js";
import { judgeSuspects, suspectCandidates, type SuspectMarks } from "./suspect.js";
import { range, summarise } from "./summary.js";
import { diagnosisHintsOf } from "../ops/index.js";

export interface LocalResult {
  jacobians: JacobianReport[];
  /** Set when backward did not repeat itself (non-deterministic). */
  reentrancy?: string;
  /** Set when a user op's forward did not repeat itself. */
  forwardRepeat?: string;
  /** Set when the backward is not linear in its upstream gradient. */
  linearity?: LinearityFailure;
  /** Fast mode: the failing node was checked again entry by entry to say how it is wrong. */
  rediagnosed?: boolean;
}

/** Which rows and columns of one Jacobian are compared. */
interface JacobianPlan {
  w: Wrt;
  rows: number[];
  cols: number[];
  sampled: boolean;
  rowSet: Set<number>;
}

/** Analytic rows of one Jacobian: row index → its entries at the plan's columns. */
type AnalyticRows = Map<number, Float64Array>;

/** Upstream gradients per backwardBatch call, at most this many values in all. */
const BATCH_VALUES = 1 << 20;

export function localJacobians(check: LocalCheck): LocalResult {
  const wrts = wrtsOf(check);
  const forwardRepeat = forwardRepeats(check, wrts);
  const { u, uJ, reentrancy } = probeUpstream(check, wrts);
  if (check.opts.mode === "fast") {
    const jacobians = wrts.map((w) => fastLocal(check, w, u, uJ ? gradOf(uJ, w) : null));
    const linearity = reentrancy ? undefined : checkLinearity(check, wrts, u, uJ);
    const result: LocalResult = { jacobians, reentrancy, forwardRepeat, linearity };
    // One directional derivative says that a node is wrong, not how: check it again entry by entry
    // (sampled within the Jacobian limit) to diagnose it; a failure stays a failure. A suspect
    // directional derivative (a small error, diluted in the direction) is checked again too, so fast
    // and exhaustive mode agree on it.
    if (jacobians.some((j) => j.status === "fail" || j.suspect) && !linearity && !reentrancy && !forwardRepeat) rediagnose(check, wrts, result);
    return result;
  }
  const plan = planJacobians(check, wrts, check.opts.mode === "sampled");
  const analytic = analyticRows(check, plan);
  const rowsOf: RowsOf[] = plan.map((p, i) => ({ w: p.w, cols: p.cols, rows: analytic[i] }));
  const linearity = reentrancy ? undefined : checkLinearity(check, wrts, u, uJ, rowsOf);
  return { reentrancy, forwardRepeat, linearity, jacobians: plan.map((p, i) => jacobianReport(check, p, analytic[i])) };
}

/** Fast mode's failing (or suspect) node, entry by entry: each Jacobian that fails so (or is suspect) replaces its directional report. */
function rediagnose(check: LocalCheck, wrts: Wrt[], result: LocalResult): void {
  const plan = planJacobians(check, wrts, false);
  const analytic = analyticRows(check, plan);
  plan.forEach((p, i) => {
    const full = jacobianReport(check, p, analytic[i]);
    if (full.status === "fail" || (full.suspect && result.jacobians[i].status !== "fail")) result.jacobians[i] = full;
  });
  result.rediagnosed = true;
}

function planJacobians(check: LocalCheck, wrts: Wrt[], sampledMode: boolean): JacobianPlan[] {
  const { opts, rng } = check;
  const R = check.output.data.length;
  return wrts.map((w) => {
    const C = w.tensor.data.length;
    if (R * C <= opts.jacobianLimit && !sampledMode) return { w, rows: range(R), cols: range(C), sampled: false };
    const k = opts.samples;
    let cols = rng.sample(C, k);
    let rows = R * cols.length <= opts.jacobianLimit ? range(R) : rng.sample(R, k);
    // Same-shaped in and out (softmax, elementwise): keep the diagonal in the sample.
    if (rows.length < R && R === C) {
      rows = [...new Set([...rows, ...cols])].sort((a, b) => a - b);
      cols = [...new Set([...cols, ...rows])].sort((a, b) => a - b);
    }
    return { w, rows, cols, sampled: rows.length < R || cols.length < C };
  }).map((p) => ({ ...p, rowSet: new Set(p.rows) }));
}

/**
 * Analytic: rows from backward with one-hot upstream gradients, one call per
 * row shared by all wrts (batched through the op's backwardBatch when it has
 * one); per plan (by position: a value fed to two inputs, as in x − x, has
 * two Jacobians).
 */
function analyticRows(check: LocalCheck, plan: JacobianPlan[]): AnalyticRows[] {
  const R = check.output.data.length;
  const neededRows = [...new Set(plan.flatMap((p) => p.rows))].sort((a, b) => a - b);
  const analyticRows = plan.map((): AnalyticRows => new Map());
  const chunk = Math.max(1, Math.floor(BATCH_VALUES / Math.max(1, R)));
  for (let start = 0; start < neededRows.length; start += chunk) {
    const rows = neededRows.slice(start, start + chunk);
    const oneHots = rows.map((r) => {
      const e = { shape: check.output.shape, data: new Float64Array(R) };
      e.data[r] = 1;
      return e;
    });
    const results = check.node.op.backwardBatch ? backwardsOf(check, oneHots) : undefined;
    rows.forEach((r, k) => {
      const res = results ? results[k] : backwardsOf(check, [oneHots[k]])[0];
      for (let i = 0; i < plan.length; i++) {
        const p = plan[i];
        if (!p.rowSet.has(r)) continue;
        const g = gradOf(res, p.w);
        const row = new Float64Array(p.cols.length);
        if (g) p.cols.forEach((c, j) => (row[j] = g.data[c]));
        analyticRows[i].set(r, row);
      }
    });
  }
  return analyticRows;
}

/** The numeric Jacobian at a plan's entries: central differences with the one-sided ones and the rounding noise. */
interface Numeric {
  numeric: Float64Array;
  ahead: Float64Array;
  behind: Float64Array;
  noise: Float64Array;
}

/** Numeric: columns by central differences of this node's forward alone (the perturbed forwards in one batch). */
function numericColumns(check: LocalCheck, p: JacobianPlan): Numeric {
  const { output, opts } = check;
  const { w, rows, cols } = p;
  const nr = rows.length, nc = cols.length;
  const N = new Float64Array(nr * nc), ahead = new Float64Array(nr * nc), behind = new Float64Array(nr * nc);
  const noise = new Float64Array(nr * nc);
  const steps = cols.map((c) => stepFor(w.tensor.data[c], opts.step));
  const outs = perturbedForwards(check, w, cols.flatMap((c, j) => [{ indices: [c], values: [steps[j].plus] }, { indices: [c], values: [steps[j].minus] }]));
  cols.forEach((c, j) => {
    const plus = outs[2 * j], minus = outs[2 * j + 1], s = steps[j];
    rows.forEach((r, i) => {
      const k = i * nc + j;
      N[k] = centralDifference(plus[r], minus[r], s);
      noise[k] = roundingNoise(Math.max(Math.abs(plus[r]), Math.abs(minus[r])), Math.abs(w.tensor.data[c]), N[k], (s.up + s.down) / 2);
      ahead[k] = (plus[r] - output.data[r]) / s.up;
      behind[k] = (output.data[r] - minus[r]) / s.down;
    });
  });
  return { numeric: N, ahead, behind, noise };
}

/** The central differences with step 2h at the given entries (k = i·nc + j) of a plan. */
function secondStep(check: LocalCheck, p: JacobianPlan, entries: number[]): Map<number, number> {
  const nc = p.cols.length;
  const columns = [...new Set(entries.map((k) => k % nc))];
  const steps = columns.map((j) => stepFor(p.w.tensor.data[p.cols[j]], check.opts.step, 2));
  const outs = perturbedForwards(check, p.w, columns.flatMap((j, m) => [{ indices: [p.cols[j]], values: [steps[m].plus] }, { indices: [p.cols[j]], values: [steps[m].minus] }]));
  const at = new Map(columns.map((j, m) => [j, m]));
  const result = new Map<number, number>();
  for (const k of entries) {
    const m = at.get(k % nc)!, r = p.rows[Math.floor(k / nc)];
    result.set(k, centralDifference(outs[2 * m][r], outs[2 * m + 1][r], steps[m]));
  }
  return result;
}

function jacobianReport(check: LocalCheck, p: JacobianPlan, arows: AnalyticRows): JacobianReport {
  const { node, inputs, output, opts } = check;
  const { w, rows, cols, sampled } = p;
  const tol: Tolerance = { rtol: opts.rtol, atol: opts.atol };
  const R = output.data.length, C = w.tensor.data.length;
  const nr = rows.length, nc = cols.length;
  const A = new Float64Array(nr * nc);
  rows.forEach((r, i) => A.set(arows.get(r)!, i * nc));
  const numeric = numericColumns(check, p);
  const N = numeric.numeric;
  const rowOf = new Float64Array(nr * nc), colOf = new Float64Array(nr * nc);
  for (let i = 0; i < nr; i++) for (let j = 0; j < nc; j++) { rowOf[i * nc + j] = rows[i]; colOf[i * nc + j] = cols[j]; }
  const indexOf = (k: number) => [rowOf[k], colOf[k]];
  let summary = summarise({ analytic: A, ...numeric }, tol, indexOf);
  const candidates = suspectCandidates(A, N, numeric.noise, summary.statuses, tol);
  let marks: SuspectMarks | undefined;
  if (candidates.length) {
    const second = secondStep(check, p, candidates);
    marks = judgeSuspects(A, N, numeric.noise, candidates, (k) => second.get(k)!);
    if (marks.count) summary = summarise({ analytic: A, ...numeric }, tol, indexOf, undefined, marks);
  }
  const report: JacobianReport = {
    wrt: w.name, kind: w.kind, rows: R, cols: C, outputShape: output.shape, wrtShape: w.tensor.shape, sampled,
    rowIndices: rows, colIndices: cols,
    analytic: nr * nc <= DISPLAY_LIMIT ? Array.from(A) : [], numeric: nr * nc <= DISPLAY_LIMIT ? Array.from(N) : [],
    checked: nr * nc, status: summary.status, maxRelError: summary.maxRelError, worst: summary.worst,
    // Suspect: a verdict of pass that cannot be trusted (a failing Jacobian is wrong already).
    ...(summary.suspect && summary.status !== "fail" ? { suspect: true, suspectEntries: summary.suspect } : {}),
  };
  if (summary.status === "fail") {
    report.diagnosis = diagnose({
      analytic: A, numeric: N, rows: rowOf, cols: colOf, outputShape: output.shape, wrtShape: w.tensor.shape,
      what: `∂${node.id}/∂${w.name}`, hints: diagnosisHintsOf(node.op), batch: batchOf(inputs),
      statuses: summary.statuses, wrtValues: w.tensor.data, wrtName: w.name, wrtKind: w.kind,
      factorTensors: factorTensors(check, w), outputValues: output.data, suspect: marks?.suspect,
    }, tol);
  }
  return report;
}

/** Tensors a per-column (or per-row) factor may be: the node's parameters and inputs (a gain applied twice). */
function factorTensors(check: LocalCheck, w: Wrt): { name: string; data: ArrayLike<number> }[] {
  const out: { name: string; data: ArrayLike<number> }[] = [];
  for (const [name, t] of Object.entries(check.node.params)) if (!(w.kind === "param" && w.key === name)) out.push({ name, data: t.data });
  return out;
}
