/**
 * What every pattern reads: the compared entries (analytic a, numeric n), which
 * of them fail, which say nothing (both zero), where each sits in the Jacobian
 * (row = output entry, column = input entry) and the input's value there.
 */
import { passes, type Tolerance } from "../compare.js";
import type { Status } from "../../shared/report.js";
import type { DiagnosisHints } from "../op.js";

export interface DiagnoseInput {
  /** The compared entries, analytic and numeric side by side. */
  analytic: ArrayLike<number>;
  numeric: ArrayLike<number>;
  /** What these entries are a gradient of, e.g. "∂p/∂l" or "dL/dfc.W". */
  what: string;
  /** For a local Jacobian: the flat output (row) and wrt (column) index of every entry. */
  rows?: ArrayLike<number>;
  cols?: ArrayLike<number>;
  outputShape?: number[];
  /** The shape of the tensor differentiated against (a Jacobian's wrt, or a gradient's own shape). */
  wrtShape: number[];
  /** For an end-to-end gradient: the flat index of every entry. */
  index?: ArrayLike<number>;
  /** What the op says a diagnosis may add about it (`diagnosisHintsOf(op)` in ops/index.ts), by kind. */
  hints?: DiagnosisHints;
  /** Batch size, to name a forgotten 1/B. */
  batch?: number;
  /** Each entry's status as the check judged it (kinks and unresolved entries are no evidence); default: pass or fail by the tolerance. */
  statuses?: Status[];
  /** The values of the tensor differentiated against, by flat index (a Jacobian column's input value x). */
  wrtValues?: ArrayLike<number>;
  /** Its name and kind ("fc", an input; "W", a parameter). */
  wrtName?: string;
  wrtKind?: "input" | "param";
  /** Tensors a per-column or per-row factor may equal (the node's parameters: a gain applied twice). */
  factorTensors?: { name: string; data: ArrayLike<number> }[];
  /** The node's output values, by flat index (a Jacobian row's y). */
  outputValues?: ArrayLike<number>;
  /** Entries that pass but far above their finite-difference error (suspect.ts): not "right" for a pattern's "right elsewhere". */
  suspect?: ArrayLike<number>;
}

export interface View {
  input: DiagnoseInput;
  tol: Tolerance;
  a: ArrayLike<number>;
  n: ArrayLike<number>;
  count: number;
  /** The entry fails the tolerance. */
  wrong: boolean[];
  /** The entry passes or fails (a kink or an unresolved entry is no evidence either way). */
  judged: boolean[];
  /** Both a and n are zero: the entry says nothing about a pattern. */
  trivial: boolean[];
  /** Passes, but far above its finite-difference error: not right, only within the tolerance. */
  suspect: boolean[];
  maxA: number;
  maxN: number;
  isJacobian: boolean;
}

export function viewOf(input: DiagnoseInput, tol: Tolerance): View {
  const { analytic: a, numeric: n } = input;
  const count = a.length;
  let maxA = 0, maxN = 0;
  for (let k = 0; k < count; k++) {
    if (Number.isFinite(a[k])) maxA = Math.max(maxA, Math.abs(a[k]));
    if (Number.isFinite(n[k])) maxN = Math.max(maxN, Math.abs(n[k]));
  }
  const view: View = {
    input, tol, a, n, count, wrong: new Array(count), judged: new Array(count), trivial: new Array(count), suspect: new Array(count), maxA, maxN,
    isJacobian: !!(input.rows && input.cols && input.outputShape),
  };
  for (let k = 0; k < count; k++) {
    const s = input.statuses?.[k];
    view.wrong[k] = s ? s === "fail" : !passes(a[k], n[k], tol);
    view.judged[k] = s ? s === "pass" || s === "fail" : true;
    view.trivial[k] = numericZero(view, k) && analyticZero(view, k);
    view.suspect[k] = !!input.suspect?.[k];
  }
  return view;
}

/** The numeric entry is zero: the forward does not depend on this input entry (to rounding). */
export function numericZero(v: View, k: number): boolean {
  return v.n[k] === 0 || Math.abs(v.n[k]) <= 1e-9 * Math.max(v.maxA, v.maxN, 1e-300);
}

/** The analytic entry is zero (the backward wrote nothing there). */
export function analyticZero(v: View, k: number): boolean {
  return v.a[k] === 0 || Math.abs(v.a[k]) <= 1e-12 * Math.max(v.maxA, v.maxN, 1e-300);
}

/** Analytic non-zero where the numeric one is exactly zero, or zero where it is not: a zero-pattern failure. */
export function zeroPatternKind(v: View, k: number): "nonzero" | "zero" | undefined {
  if (!v.wrong[k]) return undefined;
  if (numericZero(v, k) && !analyticZero(v, k)) return "nonzero";
  if (analyticZero(v, k) && !numericZero(v, k)) return "zero";
  return undefined;
}

/** Indices of the entries that are judged and not trivial: the evidence. */
export function evidence(v: View, subset?: number[]): number[] {
  const out: number[] = [];
  const each = subset ?? Array.from({ length: v.count }, (_, k) => k);
  for (const k of each) if (v.judged[k] && !v.trivial[k]) out.push(k);
  return out;
}

/** The entry is right: it passes, and not merely within the tolerance. */
export function right(v: View, k: number): boolean {
  return !v.wrong[k] && !v.suspect[k];
}

export function failing(v: View, subset?: number[]): number[] {
  return evidence(v, subset).filter((k) => v.wrong[k]);
}

/** A looser tolerance for patterns: the pattern's constant is estimated from the same noisy numbers. */
export function loose(tol: Tolerance): Tolerance {
  return { rtol: Math.max(tol.rtol, 1e-3) * 10, atol: tol.atol * 10 };
}
