/**
 * The local check of one node: the analytic local Jacobian, row by row from
 * backward with one-hot upstream gradients (as torch gradcheck does), against
 * central differences of that node's forward alone, column by column, at the
 * values the forward pass gave it. Above `jacobianLimit` entries (or in
 * sampled mode) a seeded subset of rows and columns; fast mode: fast-local.ts.
 */
import { roundingNoise, type Tolerance } from "../compare.js";
import { DISPLAY_LIMIT } from "../limits.js";
import { diagnose } from "../diagnose.js";
import type { JacobianReport } from "../../shared/report.js";
import { fastLocal } from "./fast-local.js";
import { backwardOf, batchOf, forwardWith, gradOf, ofWhat, wrtsOf, type LocalCheck, type Wrt } from "./local-node.js";
import { probeUpstream } from "./reentrancy.js";
import { range, summarise } from "./summary.js";
import { diagnosisHintsOf } from "../ops/index.js";


export interface LocalResult {
  jacobians: JacobianReport[];
  /** Set when backward did not repeat itself (non-deterministic). */
  reentrancy?: string;
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

export function localJacobians(check: LocalCheck): LocalResult {
  const wrts = wrtsOf(check);
  const { u, uJ, reentrancy } = probeUpstream(check, wrts);
  if (check.opts.mode === "fast") return { jacobians: wrts.map((w) => fastLocal(check, w, u, uJ ? gradOf(uJ, w) : null)), reentrancy };
  const plan = planJacobians(check, wrts);
  const analytic = analyticRows(check, plan);
  return { reentrancy, jacobians: plan.map((p, i) => jacobianReport(check, p, analytic[i])) };
}

function planJacobians(check: LocalCheck, wrts: Wrt[]): JacobianPlan[] {
  const { opts, rng } = check;
  const R = check.output.data.length;
  return wrts.map((w) => {
    const C = w.tensor.data.length;
    if (R * C <= opts.jacobianLimit && opts.mode !== "sampled") return { w, rows: range(R), cols: range(C), sampled: false };
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
 * row shared by all wrts; per plan (by position: a value fed to two inputs,
 * as in x − x, has two Jacobians).
 */
function analyticRows(check: LocalCheck, plan: JacobianPlan[]): AnalyticRows[] {
  const R = check.output.data.length;
  const neededRows = [...new Set(plan.flatMap((p) => p.rows))].sort((a, b) => a - b);
  const analyticRows = plan.map((): AnalyticRows => new Map());
  const e = { shape: check.output.shape, data: new Float64Array(R) };
  for (const r of neededRows) {
    e.data.fill(0);
    e.data[r] = 1;
    const res = backwardOf(check, e);
    for (let i = 0; i < plan.length; i++) {
      const p = plan[i];
      if (!p.rowSet.has(r)) continue;
      const g = gradOf(res, p.w);
      const row = new Float64Array(p.cols.length);
      if (g) p.cols.forEach((c, j) => (row[j] = g.data[c]));
      analyticRows[i].set(r, row);
    }
  }
  return analyticRows;
}

/** Numeric: columns by central differences of this node's forward alone; with the one-sided differences and the rounding noise. */
function numericColumns(check: LocalCheck, p: JacobianPlan): { numeric: Float64Array; ahead: Float64Array; behind: Float64Array; noise: Float64Array } {
  const { output, opts } = check;
  const { w, rows, cols } = p;
  const h = opts.step;
  const nr = rows.length, nc = cols.length;
  const N = new Float64Array(nr * nc), ahead = new Float64Array(nr * nc), behind = new Float64Array(nr * nc);
  const noise = new Float64Array(nr * nc);
  const x = { shape: w.tensor.shape, data: new Float64Array(w.tensor.data) };
  cols.forEach((c, j) => {
    const orig = x.data[c];
    x.data[c] = orig + h;
    const plus = forwardWith(check, w, x).data;
    x.data[c] = orig - h;
    const minus = forwardWith(check, w, x).data;
    x.data[c] = orig;
    rows.forEach((r, i) => {
      N[i * nc + j] = (plus[r] - minus[r]) / (2 * h);
      noise[i * nc + j] = roundingNoise(Math.max(Math.abs(plus[r]), Math.abs(minus[r])), Math.abs(orig), N[i * nc + j], h);
      ahead[i * nc + j] = (plus[r] - output.data[r]) / h;
      behind[i * nc + j] = (output.data[r] - minus[r]) / h;
    });
  });
  return { numeric: N, ahead, behind, noise };
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
  const summary = summarise({ analytic: A, ...numeric }, tol, (k) => [rowOf[k], colOf[k]]);
  const report: JacobianReport = {
    wrt: w.name, kind: w.kind, ...(check.of ? { output: check.of.name } : {}), rows: R, cols: C, outputShape: output.shape, wrtShape: w.tensor.shape, sampled,
    rowIndices: rows, colIndices: cols,
    analytic: nr * nc <= DISPLAY_LIMIT ? Array.from(A) : [], numeric: nr * nc <= DISPLAY_LIMIT ? Array.from(N) : [],
    checked: nr * nc, status: summary.status, maxRelError: summary.maxRelError, worst: summary.worst,
  };
  if (summary.status === "fail") {
    report.diagnosis = diagnose({
      analytic: A, numeric: N, rows: rowOf, cols: colOf, outputShape: output.shape, wrtShape: w.tensor.shape,
      what: `∂${ofWhat(check)}/∂${w.name}`, hints: diagnosisHintsOf(node.op), batch: batchOf(inputs),
    }, tol);
  }
  return report;
}
