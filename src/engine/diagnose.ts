/**
 * Saying how a gradient is wrong, when the pattern is clear (DESIGN.md):
 * sign, scale (with the factor), transpose, missing-off-diagonal, zero,
 * non-finite; else mismatch. Each diagnosis comes with one sentence a student
 * understands, in the lecture's notation.
 */
import type { Diagnosis } from "../shared/report.js";
import type { DiagnosisHints } from "./op.js";
import { passes, type Tolerance } from "./compare.js";
import { strides, unravel } from "./tensor.js";

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
}

export function diagnose(input: DiagnoseInput, tol: Tolerance): Diagnosis {
  // Non-finite first: nothing else can be said about NaN.
  const nonFinite = nonFiniteEntry(input);
  if (nonFinite) return nonFinite;
  const m = moments(input);
  return zeroGradient(input, m, tol) ?? signOrScale(input, m, tol) ?? transposed(input, tol) ?? offDiagonalMissing(input, tol) ?? mismatch(input);
}

/** max |a|, max |n|, Σ a·n and Σ n·n over the compared entries. */
interface Moments {
  maxA: number;
  maxN: number;
  an: number;
  nn: number;
}

function moments(input: DiagnoseInput): Moments {
  const { analytic: a, numeric: n } = input;
  let maxA = 0, maxN = 0, an = 0, nn = 0;
  for (let i = 0; i < a.length; i++) {
    maxA = Math.max(maxA, Math.abs(a[i]));
    maxN = Math.max(maxN, Math.abs(n[i]));
    an += a[i] * n[i];
    nn += n[i] * n[i];
  }
  return { maxA, maxN, an, nn };
}

function nonFiniteEntry(input: DiagnoseInput): Diagnosis | undefined {
  const { analytic: a, numeric: n, what } = input;
  for (let i = 0; i < a.length; i++) {
    if (!Number.isFinite(a[i])) return { kind: "non-finite", detail: `the analytic ${what} holds ${a[i]} at ${where(input, i)}: the backward produced a non-finite value (overflow, log of 0, 0/0).` };
    if (!Number.isFinite(n[i])) return { kind: "non-finite", detail: `the numeric ${what} is ${n[i]} at ${where(input, i)}: the forward itself is not finite there (overflow, log of 0), so it cannot be checked.` };
  }
  return undefined;
}

function zeroGradient(input: DiagnoseInput, m: Moments, tol: Tolerance): Diagnosis | undefined {
  if (m.maxA <= tol.atol && m.maxN > tol.atol)
    return { kind: "zero", detail: `the analytic ${input.what} is zero everywhere, but the numeric one is not (largest |n| = ${fmt(m.maxN)}): the backward returns zeros, or never writes its result.` };
  return undefined;
}

/** a ≈ c·n everywhere: c = −1 is a sign error, another c with a name (2, 1/2, B, 1/B …) a scale error. */
function signOrScale(input: DiagnoseInput, m: Moments, tol: Tolerance): Diagnosis | undefined {
  const { analytic: a, numeric: n, what } = input;
  const count = a.length;
  if (!(m.nn > 0 && count > 0)) return undefined;
  const all = (f: (i: number) => boolean) => { for (let i = 0; i < count; i++) if (!f(i)) return false; return true; };
  // A looser tolerance for patterns: the factor is estimated from the same noisy numbers.
  const loose: Tolerance = { rtol: Math.max(tol.rtol, 1e-3) * 10, atol: tol.atol * 10 };
  const c = m.an / m.nn;
  if (all((i) => passes(a[i], -n[i], loose)) && Math.abs(c + 1) < 0.05)
    return { kind: "sign", detail: `the analytic ${what} has the wrong sign: a ≈ −n everywhere. Check the sign of the local gradient (for −log pₐ it is −1/pₐ; for softmax + cross-entropy dL/dl = p − y, not y − p).` };
  // One compared number (fast mode's directional derivative) always fits "a = c·n" for some c:
  // only a factor with a name (2, 1/2, N, 1/B…) is evidence of a scale bug then.
  const named = nameFactor(c, input.batch, count === 1);
  if (Math.abs(c - 1) > 0.01 && Math.abs(c) > 1e-12 && (count > 1 || named.named) && all((i) => passes(a[i], c * n[i], loose))) {
    return { kind: "scale", factor: named.value, detail: `the analytic ${what} is ${named.text} times the numeric one everywhere: ${named.hint}` };
  }
  return undefined;
}

function transposed(input: DiagnoseInput, tol: Tolerance): Diagnosis | undefined {
  const transposed = findTranspose(input, tol);
  if (transposed) return { kind: "transpose", detail: `the analytic ${input.what} matches the numeric one with ${transposed}: a transpose is missing or extra (for y = x·Wᵀ + b: dL/dx = g·W and dL/dW = gᵀ·x).` };
  return undefined;
}

function offDiagonalMissing(input: DiagnoseInput, tol: Tolerance): Diagnosis | undefined {
  const { what } = input;
  const offDiagonal = missingOffDiagonal(input, tol);
  if (offDiagonal)
    return { kind: "missing-off-diagonal", detail: `the analytic ${what} has its diagonal right but every off-diagonal entry (j ≠ k) is zero where the numeric one is not: ${input.hints?.["missing-off-diagonal"] ?? "the backward treats each output as depending on its own input only"}.` };
  return undefined;
}

function mismatch(input: DiagnoseInput): Diagnosis {
  const { analytic: a, numeric: n, what } = input;
  const count = a.length;
  let worst = 0, worstI = 0;
  for (let i = 0; i < count; i++) {
    const d = Math.abs(a[i] - n[i]);
    if (d > worst) { worst = d; worstI = i; }
  }
  if (count === 1)
    return { kind: "mismatch", detail: `the analytic and numeric ${what} disagree: analytic ${fmt(a[0])}, numeric ${fmt(n[0])}. One directional derivative says that it is wrong, not how: check with --mode exhaustive to see the pattern.` };
  return { kind: "mismatch", detail: `the analytic and numeric ${what} disagree with no simple pattern; the worst entry is ${where(input, worstI)}: analytic ${fmt(a[worstI])}, numeric ${fmt(n[worstI])}.` };
}

function where(input: DiagnoseInput, i: number): string {
  if (input.rows && input.cols && input.outputShape)
    return `output [${unravel(input.rows[i], input.outputShape).join(", ")}], input [${unravel(input.cols[i], input.wrtShape).join(", ")}]`;
  if (input.index) return `[${unravel(input.index[i], input.wrtShape).join(", ")}]`;
  return `entry ${i}`;
}

function fmt(v: number): string {
  return Number.isFinite(v) ? Number(v.toPrecision(4)).toString() : String(v);
}

/**
 * Name a factor c: 2, 1/2, the batch size B, 1/B …
 * `single`: the factor comes from one number (fast mode's directional derivative). A real
 * scale bug gives the factor to finite-difference accuracy (~1e-8); a mismatch lands within
 * 1e-3 of some integer by chance, so one number must match far more closely.
 */
function nameFactor(c: number, batch?: number, single = false): { value: number; text: string; hint: string; named: boolean } {
  const sign = c < 0 ? "−" : "";
  const m = Math.abs(c);
  const near = (x: number) => Math.abs(m - x) <= (single ? 1e-6 : 1e-3) * x;
  if (batch && batch > 1 && near(batch))
    return { value: Math.sign(c) * batch, text: `${sign}${batch} (the batch size B)`, hint: `a mean over the batch was differentiated as a sum — the 1/B (1/N) factor is missing.`, named: true };
  if (batch && batch > 1 && near(1 / batch))
    return { value: Math.sign(c) / batch, text: `${sign}1/${batch} (1/B, the batch size)`, hint: `a 1/B was applied twice, or to a sum that has none.`, named: true };
  for (let k = 2; k <= 1024; k++) {
    if (near(k)) return { value: Math.sign(c) * k, text: `${sign}${k}`, hint: k === 2 ? `the factor 2 is doubled or a gradient is added twice.` : `a factor ${k} is wrong — a sum where a mean belongs (1/N missing, N = ${k})?`, named: true };
    if (near(1 / k)) return { value: Math.sign(c) / k, text: `${sign}1/${k}`, hint: k === 2 ? `the factor 2 of the square's derivative is missing (d(e²)/de = 2e).` : `a 1/${k} too many — a mean where a sum belongs, or a factor ${k} dropped?`, named: true };
  }
  return { value: c, text: `${sign}${fmt(m)}`, hint: `a constant factor in the backward is wrong.`, named: false };
}

/** A way to read the numeric entries transposed: entry i of a is compared with the numeric entry at map(i). */
interface Candidate {
  label: string;
  map: (i: number) => number | undefined;
}

/** Position key of a Jacobian entry (row, column). */
const key = (r: number, c: number) => r * 1e9 + c;

/** Does a match n under a swap of two equal-sized axes? Returns which, in words. */
function findTranspose(input: DiagnoseInput, tol: Tolerance): string | undefined {
  const { analytic: a, numeric: n } = input;
  const count = a.length;
  if (count < 2) return undefined;
  const isJacobian = !!(input.rows && input.cols && input.outputShape);
  const numericAt = new Map<number, number>();
  for (let i = 0; i < count; i++) numericAt.set(isJacobian ? key(input.rows![i], input.cols![i]) : input.index ? input.index[i] : i, n[i]);
  const candidates = isJacobian ? jacobianTransposes(input) : gradientTransposes(input);
  for (const cand of candidates) {
    let compared = 0, ok = true, moved = false;
    for (let i = 0; i < count && ok; i++) {
      const other = numericAt.get(cand.map(i)!);
      if (other === undefined) continue;
      compared++;
      if (!passes(a[i], other, tol)) ok = false;
      if (!passes(a[i], n[i], tol)) moved = true;
    }
    if (ok && moved && compared >= Math.max(2, count / 2)) return cand.label;
  }
  return undefined;
}

/** Flat index → the flat index with the last two axes swapped (when they have the same length ≥ 2). */
function swapLastTwo(shape: number[]): ((flat: number) => number) | undefined {
  const d = shape.length;
  if (d < 2 || shape[d - 1] !== shape[d - 2] || shape[d - 1] < 2) return undefined;
  const st = strides(shape);
  return (flat: number) => {
    const idx = unravel(flat, shape);
    [idx[d - 1], idx[d - 2]] = [idx[d - 2], idx[d - 1]];
    return idx.reduce((s, v, k) => s + v * st[k], 0);
  };
}

function jacobianTransposes(input: DiagnoseInput): Candidate[] {
  const candidates: Candidate[] = [];
  const wrtSwap = swapLastTwo(input.wrtShape);
  if (wrtSwap) candidates.push({ label: `its ${input.what.replace(/^.*∂/, "")} indices transposed`, map: (i) => key(input.rows![i], wrtSwap(input.cols![i])) });
  const out = input.outputShape!;
  const outSwap = swapLastTwo(out);
  if (outSwap) candidates.push({ label: "its output indices transposed", map: (i) => key(outSwap(input.rows![i]), input.cols![i]) });
  const w = input.wrtShape;
  if (out.length && w.length && out[out.length - 1] === w[w.length - 1] && out[out.length - 1] > 1) {
    const so = strides(out), sw = strides(w);
    candidates.push({
      label: "the last output axis and the last input axis swapped (the matrix in the backward is transposed)",
      map: (i) => {
        const ro = unravel(input.rows![i], out), cw = unravel(input.cols![i], w);
        const t = ro[ro.length - 1];
        ro[ro.length - 1] = cw[cw.length - 1];
        cw[cw.length - 1] = t;
        return key(ro.reduce((s, v, k) => s + v * so[k], 0), cw.reduce((s, v, k) => s + v * sw[k], 0));
      },
    });
  }
  return candidates;
}

function gradientTransposes(input: DiagnoseInput): Candidate[] {
  const swap = swapLastTwo(input.wrtShape);
  return swap ? [{ label: "its last two axes transposed", map: (i) => swap(input.index ? input.index[i] : i) }] : [];
}

function missingOffDiagonal(input: DiagnoseInput, tol: Tolerance): boolean {
  const { analytic: a, numeric: n, rows, cols, outputShape } = input;
  if (!rows || !cols || !outputShape) return false;
  if (outputShape.length !== input.wrtShape.length || !outputShape.every((d, k) => d === input.wrtShape[k])) return false;
  let diagonalSeen = 0, offNonZero = 0;
  for (let i = 0; i < a.length; i++) {
    if (rows[i] === cols[i]) {
      diagonalSeen++;
      if (!passes(a[i], n[i], tol)) return false;
    } else {
      if (Math.abs(a[i]) > tol.atol) return false;
      if (Math.abs(n[i]) > tol.atol) offNonZero++;
    }
  }
  return diagonalSeen > 0 && offNonZero > 0;
}
