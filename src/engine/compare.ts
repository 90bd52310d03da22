/**
 * Comparing one analytic entry a with its finite difference n.
 *
 * Pass rule (DESIGN.md): |a − n| ≤ atol + rtol·|n|.
 * Relative error: |a − n| / max(|a|, |n|, atol/rtol) — the floor atol/rtol keeps
 * entries near zero from showing as huge relative errors while passing.
 * Kink: the one-sided differences (f(x+h) − f(x))/h and (f(x) − f(x−h))/h
 * disagree by more than the tolerance and a lies between them: the step
 * straddled a point where the function is not differentiable (ReLU at 0, a
 * max tie), so the central difference means nothing there.
 */
import type { Status } from "../shared/report.js";

export interface Tolerance {
  rtol: number;
  atol: number;
}

export function relError(a: number, n: number, tol: Tolerance): number {
  if (!Number.isFinite(a) || !Number.isFinite(n)) return a === n ? 0 : Infinity;
  const floor = tol.rtol > 0 ? tol.atol / tol.rtol : tol.atol;
  return Math.abs(a - n) / Math.max(Math.abs(a), Math.abs(n), floor, 1e-300);
}

export function passes(a: number, n: number, tol: Tolerance): boolean {
  return Math.abs(a - n) <= tol.atol + tol.rtol * Math.abs(n);
}

/**
 * What rounding alone can make a central difference wrong by: f(x ± h) are known
 * to about ε·|f|, and the step x ± h is itself rounded to ε·|x|. Negligible for
 * ordinary values (ε/h ≈ 2e-10); for |x| or |f| near 1e10 and beyond the step is
 * below the float spacing, and a mismatch there says nothing about the backward.
 */
export function roundingNoise(fMax: number, xMax: number, n: number, h: number): number {
  const noise = (4 * Number.EPSILON * (fMax + xMax * Math.abs(n))) / h;
  return Number.isFinite(noise) ? noise : 0;
}

/** The tolerance of one entry: the user's, widened by the difference's own rounding noise. */
export function withNoise(tol: Tolerance, noise: number): Tolerance {
  return noise > 0 ? { rtol: tol.rtol, atol: tol.atol + noise } : tol;
}

/**
 * Compared entries side by side: the analytic value a and the central
 * difference n of each, with the one-sided differences when known.
 */
export interface Compared {
  analytic: ArrayLike<number>;
  numeric: ArrayLike<number>;
  /** (f(x+h) − f(x))/h per entry. */
  ahead?: ArrayLike<number>;
  /** (f(x) − f(x−h))/h per entry. */
  behind?: ArrayLike<number>;
  /** Per entry: the central difference's own rounding noise (roundingNoise), added to atol. */
  noise?: ArrayLike<number>;
}

/** Status of entry k (the one-sided differences, when known, decide a kink). */
export function entryStatus(c: Compared, k: number, tol: Tolerance): Status {
  const a = c.analytic[k], n = c.numeric[k];
  if (!Number.isFinite(a) || !Number.isFinite(n)) return "fail";
  if (passes(a, n, tol)) return "pass";
  const ahead = c.ahead?.[k], behind = c.behind?.[k];
  if (ahead !== undefined && behind !== undefined && Number.isFinite(ahead) && Number.isFinite(behind)) {
    const lo = Math.min(ahead, behind), hi = Math.max(ahead, behind);
    const slack = tol.atol + tol.rtol * Math.max(Math.abs(lo), Math.abs(hi));
    // NOTE: a kink is decided here — one-sided slopes differ, and the analytic
    // value is a subgradient between them.
    if (hi - lo > slack && a >= lo - slack && a <= hi + slack) return "kink";
  }
  return "fail";
}

/**
 * Status of a directional derivative uᵀJv or ⟨∇L, v⟩ (fast mode). A direction
 * crosses every kink along it at once: with two or more (ReLU zeros tied in a
 * max-pool window, several ReLUs at 0), the analytic value is a sum of
 * subgradient choices with mixed signs and need not lie between the one-sided
 * slopes, as entryStatus asks of a single entry. So here one-sided slopes that
 * disagree mean the finite difference cannot judge: a kink. (A correct CNN,
 * examples/cnn with seed 0, failed fast mode on its max-pool this way.)
 */
export function directionalStatus(c: Compared, k: number, tol: Tolerance): Status {
  const status = entryStatus(c, k, tol);
  const a = c.analytic[k], n = c.numeric[k], ahead = c.ahead![k], behind = c.behind![k];
  if (status !== "fail" || ![a, n, ahead, behind].every(Number.isFinite)) return status;
  const slack = tol.atol + tol.rtol * Math.max(Math.abs(ahead), Math.abs(behind));
  return Math.abs(ahead - behind) > slack ? "kink" : status;
}

/** Combine entry statuses: any fail → fail; else any kink → kink; else pass. */
export function worstStatus(statuses: Iterable<Status>): Status {
  let kink = false, any = false;
  for (const s of statuses) {
    if (s === "fail") return "fail";
    if (s === "kink") kink = true;
    if (s !== "skipped") any = true;
  }
  return kink ? "kink" : any ? "pass" : "skipped";
}
