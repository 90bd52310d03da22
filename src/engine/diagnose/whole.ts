/**
 * Patterns of the whole Jacobian or gradient, as GradLens has always named
 * them: non-finite, zero, sign, scale (with the factor), transpose, missing
 * off-diagonal. Each with one sentence in the lecture's notation.
 */
import type { Diagnosis } from "../../shared/report.js";
import { passes } from "../compare.js";
import { nameFactor } from "./factor.js";
import { findTranspose } from "./transpose.js";
import { loose, type View } from "./view.js";
import { fmt, where } from "./words.js";

export function nonFiniteEntry(v: View): Diagnosis | undefined {
  const { a, n } = v;
  const what = v.input.what;
  for (let i = 0; i < v.count; i++) {
    if (!Number.isFinite(a[i])) return { kind: "non-finite", detail: `the analytic ${what} holds ${a[i]} at ${where(v, i)}: the backward produced a non-finite value (overflow, log of 0, 0/0).` };
    if (!Number.isFinite(n[i])) return { kind: "non-finite", detail: `the numeric ${what} is ${n[i]} at ${where(v, i)}: the forward itself is not finite there (overflow, log of 0), so it cannot be checked.` };
  }
  return undefined;
}

export function zeroGradient(v: View): Diagnosis | undefined {
  if (v.maxA <= v.tol.atol && v.maxN > v.tol.atol)
    return { kind: "zero", detail: `the analytic ${v.input.what} is zero everywhere, but the numeric one is not (largest |n| = ${fmt(v.maxN)}): the backward returns zeros, or never writes its result.` };
  return undefined;
}

/** a ≈ c·n everywhere: c = −1 is a sign error, another c with a name (2, 1/2, B, 1/B …) a scale error. */
export function signOrScale(v: View): Diagnosis | undefined {
  const { a, n, count } = v;
  const what = v.input.what;
  let an = 0, nn = 0;
  for (let i = 0; i < count; i++) {
    an += a[i] * n[i];
    nn += n[i] * n[i];
  }
  if (!(nn > 0 && count > 0)) return undefined;
  const all = (f: (i: number) => boolean) => { for (let i = 0; i < count; i++) if (!f(i)) return false; return true; };
  const lt = loose(v.tol);
  const c = an / nn;
  if (all((i) => passes(a[i], -n[i], lt)) && Math.abs(c + 1) < 0.05)
    return { kind: "sign", detail: `the analytic ${what} has the wrong sign: a ≈ −n everywhere. Check the sign of the local gradient (for −log pₐ it is −1/pₐ; for softmax + cross-entropy dL/dl = p − y, not y − p).` };
  // One compared number (fast mode's directional derivative) always fits "a = c·n" for some c:
  // only a factor with a name (2, 1/2, N, 1/B…) is evidence of a scale bug then.
  const named = nameFactor(c, v.input.batch, count === 1);
  if (Math.abs(c - 1) > 0.01 && Math.abs(c) > 1e-12 && (count > 1 || named.named) && all((i) => passes(a[i], c * n[i], lt)))
    return { kind: "scale", factor: named.value, detail: `the analytic ${what} is ${named.text} times the numeric one everywhere: ${named.hint}` };
  return undefined;
}

export function transposed(v: View): Diagnosis | undefined {
  const t = findTranspose(v);
  if (t) return { kind: "transpose", detail: `the analytic ${v.input.what} matches the numeric one with ${t}: a transpose is missing or extra (for y = x·Wᵀ + b: dL/dx = g·W and dL/dW = gᵀ·x).` };
  return undefined;
}

/** Diagonal right, every off-diagonal entry zero where the numeric one is not. */
export function offDiagonalMissing(v: View): Diagnosis | undefined {
  const { input, a, n, tol } = v;
  const { rows, cols, outputShape } = input;
  if (!rows || !cols || !outputShape) return undefined;
  if (outputShape.length !== input.wrtShape.length || !outputShape.every((d, k) => d === input.wrtShape[k])) return undefined;
  let diagonalSeen = 0, offNonZero = 0;
  for (let i = 0; i < v.count; i++) {
    if (rows[i] === cols[i]) {
      diagonalSeen++;
      if (!passes(a[i], n[i], tol)) return undefined;
    } else {
      if (Math.abs(a[i]) > tol.atol) return undefined;
      if (Math.abs(n[i]) > tol.atol) offNonZero++;
    }
  }
  if (!(diagonalSeen > 0 && offNonZero > 0)) return undefined;
  return { kind: "missing-off-diagonal", detail: `the analytic ${input.what} has its diagonal right but every off-diagonal entry (j ≠ k) is zero where the numeric one is not: ${input.hints?.["missing-off-diagonal"] ?? "the backward treats each output as depending on its own input only"}.` };
}
