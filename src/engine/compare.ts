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

/** Status of one entry; `ahead`/`behind` are the one-sided differences when known. */
export function entryStatus(a: number, n: number, tol: Tolerance, ahead?: number, behind?: number): Status {
  if (!Number.isFinite(a) || !Number.isFinite(n)) return "fail";
  if (passes(a, n, tol)) return "pass";
  if (ahead !== undefined && behind !== undefined && Number.isFinite(ahead) && Number.isFinite(behind)) {
    const lo = Math.min(ahead, behind), hi = Math.max(ahead, behind);
    const slack = tol.atol + tol.rtol * Math.max(Math.abs(lo), Math.abs(hi));
    // NOTE: a kink is decided here — one-sided slopes differ, and the analytic
    // value is a subgradient between them.
    if (hi - lo > slack && a >= lo - slack && a <= hi + slack) return "kink";
  }
  return "fail";
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
