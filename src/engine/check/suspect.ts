/**
 * Verdicts to trust at the passing end: an entry within the tolerance
 * (|a − n| ≤ atol + rtol·|n|) can still be far above what the finite
 * difference itself can be wrong by. A relative error of 1e-4 in float64 is a
 * bug (x·0.3333 where x/3 belongs), not noise. Where the difference |a − n| is
 * above the rounding level, a second step 2h estimates the central
 * difference's own error (Richardson: n(h) − f' ≈ c·h², so
 * |n(2h) − n(h)| / 3 ≈ its truncation error), and an entry far above that
 * estimate plus rounding is `suspect`: reported, exit 0, `--strict` fails it.
 * The second step is taken only for those entries, so a correct network —
 * whose differences sit at rounding level — pays nothing.
 */
import { relError, type Tolerance } from "../compare.js";
import type { Status } from "../../shared/report.js";

/** Below this relative error an entry is never suspect (float64 backward passes agree to ~1e-12). */
export const SUSPECT_REL = 1e-6;
/** Suspect when |a − n| is this many times the finite difference's estimated error. */
export const SUSPECT_FACTOR = 100;

/** Marks of entries whose error was estimated: suspect or not, and the estimate. */
export interface SuspectMarks {
  suspect: Uint8Array;
  /** NaN where not estimated. */
  estimated: Float64Array;
  count: number;
}

/** Entries worth a second step: passing, relative error above SUSPECT_REL, |a − n| well above the rounding noise. */
export function suspectCandidates(A: ArrayLike<number>, N: ArrayLike<number>, noise: ArrayLike<number> | undefined, statuses: Status[], tol: Tolerance): number[] {
  const out: number[] = [];
  for (let k = 0; k < A.length; k++) {
    if (statuses[k] !== "pass") continue;
    const d = Math.abs(A[k] - N[k]);
    if (relError(A[k], N[k], tol) > SUSPECT_REL && d > SUSPECT_FACTOR * (noise?.[k] ?? 0)) out.push(k);
  }
  return out;
}

/**
 * `second[k]`: the central difference with step 2h for the candidate entries
 * (indexed like A). The estimated error of n(h) is |n(2h) − n(h)| / 3 plus the
 * rounding noise.
 */
export function judgeSuspects(A: ArrayLike<number>, N: ArrayLike<number>, noise: ArrayLike<number> | undefined, candidates: number[], second: (k: number) => number): SuspectMarks {
  const suspect = new Uint8Array(A.length);
  const estimated = new Float64Array(A.length).fill(NaN);
  let count = 0;
  for (const k of candidates) {
    const n2 = second(k);
    const est = Math.abs(n2 - N[k]) / 3 + (noise?.[k] ?? 0) + Number.EPSILON * Math.abs(N[k]);
    estimated[k] = est;
    if (Number.isFinite(n2) && Math.abs(A[k] - N[k]) > SUSPECT_FACTOR * est) {
      suspect[k] = 1;
      count++;
    }
  }
  return { suspect, estimated, count };
}
