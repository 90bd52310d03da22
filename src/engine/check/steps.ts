/**
 * The finite-difference step of one entry: it grows with the entry's size
 * (h·max(1, |x|), rounded up to a power of two so that entries of one tensor
 * share a few steps, which the end-to-end evaluators take one at a time), and
 * the steps actually taken are exact: x + h' and x − h' are rounded, and the
 * differences (x + h') − x and x − (x − h') — exactly representable — are the
 * steps the slope is divided by. A fixed h = 1e-6 at x = 1e8 is below the
 * float spacing there; at x = 1e3 it loses 9 of the 16 digits to rounding.
 */

export interface Step {
  /** The perturbed values. */
  plus: number;
  minus: number;
  /** The steps taken: plus − x and x − minus, exactly. */
  up: number;
  down: number;
}

/** h·max(1, |x|) rounded up to h times a power of two. */
export function stepScale(x: number): number {
  const a = Math.abs(x);
  if (!(a > 1) || !Number.isFinite(a)) return 1;
  return 2 ** Math.ceil(Math.log2(a));
}

/** The step of entry x for base step h (times `multiple`: 2 for the second step of the error estimate). */
export function stepFor(x: number, h: number, multiple = 1): Step {
  const hs = h * stepScale(x) * multiple;
  const plus = x + hs, minus = x - hs;
  return { plus, minus, up: plus - x, down: x - minus };
}

/** The central difference with the steps actually taken. */
export function centralDifference(fPlus: number, fMinus: number, s: Step): number {
  return (fPlus - fMinus) / (s.up + s.down);
}
