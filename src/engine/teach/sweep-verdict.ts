/**
 * What a step-size sweep shows, in one sentence: the slopes of log error
 * against log h, fitted on the right (large h: truncation, slope 2 for a
 * central difference), on the left (small h: rounding, slope −1) and in the
 * middle (flat, and high, where the analytic value itself is wrong).
 */
import type { SweepResult, SweepVerdict } from "../../shared/teach.js";

type Point = { h: number; error: number };

/** Least-squares slope of log10(error) against log10(h) over the points with h in [lo, hi]. */
function fit(points: Point[], lo: number, hi: number, floor: number): number {
  const xs: number[] = [], ys: number[] = [];
  for (const p of points) {
    if (p.h < lo * 0.999 || p.h > hi * 1.001 || !Number.isFinite(p.error)) continue;
    xs.push(Math.log10(p.h));
    ys.push(Math.log10(Math.max(p.error, floor)));
  }
  const n = xs.length;
  if (n < 2) return NaN;
  const mx = xs.reduce((a, b) => a + b) / n, my = ys.reduce((a, b) => a + b) / n;
  let sxy = 0, sxx = 0;
  for (let i = 0; i < n; i++) {
    sxy += (xs[i] - mx) * (ys[i] - my);
    sxx += (xs[i] - mx) ** 2;
  }
  return sxy / sxx;
}

/** Right: h in [1e-3, 1e-1]; left: [1e-12, 1e-9]; middle: [1e-7, 1e-3]. An error of exactly 0 counts as ε²·scale. */
export function slopes(points: Point[], scale: number): SweepResult["slopes"] {
  const floor = Math.max(scale, 1e-300) * Number.EPSILON ** 2;
  return { right: fit(points, 1e-3, 1e-1, floor), left: fit(points, 1e-12, 1e-9, floor), middle: fit(points, 1e-7, 1e-3, floor) };
}

/** A step or an error: 1e-5, 3e-11; 0.4 and 2 as they are. */
const e = (x: number) => (x === 0 ? "0" : x >= 1e-3 && x < 1e4 ? String(Number(x.toPrecision(1))) : x.toExponential(0).replace("e+", "e"));
const s1 = (x: number) => (!Number.isFinite(x) ? "—" : Math.abs(x) < 0.05 ? "0.0" : x.toFixed(1).replace("-", "−"));

export function verdictOf(at: { best: Point; slopes: SweepResult["slopes"]; scale: number; step: number }): { verdict: SweepVerdict; sentence: string } {
  const { best, slopes: s, scale, step } = at;
  const where = `the best step here is h ≈ ${e(best.h)} (worst entry off by ${e(best.error)}); GradLens checks with h = ${e(step)}`;
  if (best.error > 1e-5 * scale || !Number.isFinite(best.error)) {
    return {
      verdict: "floor",
      sentence: `A flat floor: the error stays near ${e(best.error)} whatever h is (fitted slope ${s1(s.middle)} in the middle) — no step size brings the finite difference to the analytic value, so the analytic Jacobian is wrong, not the step.`,
    };
  }
  if (s.right >= 3 && s.left <= -0.5) {
    return {
      verdict: "kink",
      sentence: `A piecewise-linear op: no truncation error while the step stays on one side of every kink, then a jump once h is large enough to straddle one (fitted slope ${s1(s.right)} on the right); rounding rises as 1/h on the left (slope ${s1(s.left)}); ${where}.`,
    };
  }
  if (s.right >= 1.5 && s.left <= -0.5) {
    return {
      verdict: "v",
      sentence: `The V of a correct gradient: truncation falls as h² on the right (fitted slope ${s1(s.right)}), rounding rises as 1/h on the left (slope ${s1(s.left)}); ${where}.`,
    };
  }
  if (s.left <= -0.5 && s.right < 1.5) {
    return {
      verdict: "rounding-only",
      sentence: `No truncation error: the central difference is exact for this node (it is linear, or quadratic, in what it is differentiated against: its third derivative is zero), so only rounding is left, rising as 1/h to the left (fitted slope ${s1(s.left)}); ${where}.`,
    };
  }
  return { verdict: "unclear", sentence: `Neither a clean V nor a floor (slopes ${s1(s.right)} on the right, ${s1(s.left)} on the left); ${where}.` };
}
