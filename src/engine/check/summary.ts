/** Many compared entries summed up: a status, the largest relative error, the worst few entries. */
import { entryStatus, relError, worstStatus, type Compared, type Tolerance } from "../compare.js";
import type { Status, WorstEntry } from "../../shared/report.js";
import type { SuspectMarks } from "./suspect.js";

/** Entries a report lists as the worst. */
const WORST = 5;

export interface Summary {
  status: Status;
  maxRelError: number;
  worst: WorstEntry[];
  failing: number;
  /** Each entry's status. */
  statuses: Status[];
  /** Entries marked suspect (with `marks`). */
  suspect: number;
}

export type StatusOf = (c: Compared, k: number, tol: Tolerance) => Status;

/** `indexOf(k)`: entry k's index as the report shows it (a Jacobian's [row, column], a gradient's multi-index). */
export function summarise(c: Compared, tol: Tolerance, indexOf: (k: number) => number[], statusOf: StatusOf = entryStatus, marks?: SuspectMarks): Summary {
  const { analytic: A, numeric: N, noise } = c;
  const statuses: Status[] = new Array(A.length);
  let maxRel = 0, failing = 0;
  const rels = new Float64Array(A.length);
  // The user's tolerance widened by an entry's rounding noise, one object reused for every entry.
  const widened: Tolerance = { rtol: tol.rtol, atol: tol.atol };
  for (let k = 0; k < A.length; k++) {
    const n = noise ? noise[k] : 0;
    widened.atol = tol.atol + (n > 0 ? n : 0);
    statuses[k] = statusOf(c, k, n > 0 ? widened : tol);
    // An entry that passes only within the rounding noise was not resolved by the step: skipped, not passed.
    if (n > 0 && statuses[k] === "pass" && statusOf(c, k, tol) !== "pass") statuses[k] = "skipped";
    rels[k] = relError(A[k], N[k], tol);
    if (statuses[k] === "fail") failing++;
    if (statuses[k] !== "kink" && statuses[k] !== "skipped" && rels[k] > maxRel) maxRel = rels[k];
  }
  const worst = worstEntries(statuses, (k) => !!marks?.suspect[k], rels).map((k): WorstEntry => ({
    index: indexOf(k), analytic: A[k], numeric: N[k], relError: finite(rels[k]), status: statuses[k],
    ...(marks?.suspect[k] ? { suspect: true } : {}),
    ...(marks && Number.isFinite(marks.estimated[k]) ? { estimatedError: marks.estimated[k] } : {}),
  }));
  return { status: worstStatus(statuses), maxRelError: finite(maxRel), worst, failing, statuses, suspect: marks?.count ?? 0 };
}

/** Worst first: failures, then kinks, then suspect entries, then the rest, each by relative error; ties by position. */
const rank = (s: Status, suspect: boolean) => (s === "fail" ? 3 : s === "kink" ? 2 : s === "skipped" ? -1 : suspect ? 1 : 0);

/**
 * The WORST worst entries, in order: one pass keeping the few best so far
 * (a local Jacobian has up to 65,536 entries; sorting them all for five was a
 * large part of a local check).
 */
function worstEntries(statuses: Status[], suspect: (k: number) => boolean, rels: Float64Array): number[] {
  const before = (i: number, j: number) => rank(statuses[i], suspect(i)) - rank(statuses[j], suspect(j)) || rels[i] - rels[j] || j - i;
  const kept: number[] = [];
  for (let k = 0; k < statuses.length; k++) {
    if (kept.length === WORST && before(k, kept[WORST - 1]) <= 0) continue;
    let at = kept.length;
    while (at > 0 && before(k, kept[at - 1]) > 0) at--;
    kept.splice(at, 0, k);
    if (kept.length > WORST) kept.pop();
  }
  return kept;
}

/** JSON has no Infinity or NaN: report the largest number of the same sign instead (NaN: the worst error, +MAX_VALUE). */
export function finite(x: number): number {
  return Number.isFinite(x) ? x : x === -Infinity ? -Number.MAX_VALUE : Number.MAX_VALUE;
}

export function range(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i);
}

export function maxAbs(data: Float64Array): number {
  let m = 0;
  for (let i = 0; i < data.length; i++) m = Math.max(m, Math.abs(data[i]));
  return m;
}
