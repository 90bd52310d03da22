/**
 * How a subset of a Jacobian's entries is wrong, if it is: right, zero where
 * the numeric one is not, non-zero where it is exactly zero, the wrong sign, a
 * factor, a constant offset, a factor per column equal to a parameter — or
 * wrong with no pattern. Patterns that cover the whole matrix (diagnose/
 * whole.ts) and those that cover a part (parts, branches, entries) all say
 * "how" with this.
 */
import { passes } from "../compare.js";
import { nameFactor } from "./factor.js";
import { analyticZero, evidence, loose, numericZero, type View } from "./view.js";
import { fmt, wrtIndex } from "./words.js";

export type How =
  | { kind: "right" }
  | { kind: "zero" }
  | { kind: "nonzero" }
  | { kind: "sign" }
  | { kind: "scale"; c: number }
  | { kind: "columns"; tensor?: string; factors: number[] }
  | { kind: "offset"; d: number }
  | { kind: "wrong"; maxRel: number };

/** How the entries `subset` are wrong (only judged, non-trivial entries count). */
export function classify(v: View, subset: number[]): How {
  const ks = evidence(v, subset);
  const bad = ks.filter((k) => v.wrong[k]);
  if (bad.length === 0) {
    if (ks.every((k) => !v.suspect[k])) return { kind: "right" };
    let maxRel = 0;
    for (const k of ks) if (v.suspect[k]) maxRel = Math.max(maxRel, Math.abs(v.a[k] - v.n[k]) / Math.max(Math.abs(v.a[k]), Math.abs(v.n[k]), 1e-300));
    return { kind: "wrong", maxRel };
  }
  if (bad.every((k) => analyticZero(v, k) && !numericZero(v, k))) return { kind: "zero" };
  if (bad.every((k) => numericZero(v, k) && !analyticZero(v, k))) return { kind: "nonzero" };
  const lt = loose(v.tol);
  // A pattern explains the error only if it leaves far less than the error itself (the loose
  // tolerance alone would "explain" an error of 1% by any nearby pattern).
  let error = 0;
  for (const k of ks) error = Math.max(error, Math.abs(v.a[k] - v.n[k]));
  const explains = (model: (k: number) => number) => ks.every((k) => passes(v.a[k], model(k), lt) && Math.abs(v.a[k] - model(k)) <= 0.2 * error);
  let an = 0, nn = 0;
  for (const k of ks) {
    an += v.a[k] * v.n[k];
    nn += v.n[k] * v.n[k];
  }
  if (nn > 0 && ks.length > 0) {
    const c = an / nn;
    if (Math.abs(c + 1) < 0.05 && explains((k) => -v.n[k])) return { kind: "sign" };
    // One entry always has "a factor": only one with a name (2, 1/2, 1/B …) is said.
    if (Math.abs(c - 1) > 0.01 && Math.abs(c) > 1e-12 && (ks.length > 1 || nameFactor(c, v.input.batch).named) && explains((k) => c * v.n[k])) return { kind: "scale", c };
  }
  const columns = columnFactors(v, ks);
  if (columns) return columns;
  if (ks.length > 1) {
    let d = 0;
    for (const k of ks) d += v.a[k] - v.n[k];
    d /= ks.length;
    if (Math.abs(d) > lt.atol && explains((k) => v.n[k] + d)) return { kind: "offset", d };
  }
  let maxRel = 0;
  for (const k of bad) maxRel = Math.max(maxRel, Math.abs(v.a[k] - v.n[k]) / Math.max(Math.abs(v.a[k]), Math.abs(v.n[k]), 1e-300));
  return { kind: "wrong", maxRel };
}

/**
 * A factor per column (per input entry) that is not one number: each column's
 * entries a ≈ cⱼ·n with cⱼ varying — and, when the cⱼ are a parameter's values
 * (wᵢ for column i along the last axis), which parameter. A gain applied twice
 * scales every column of ∂y/∂x by the gain.
 */
function columnFactors(v: View, ks: number[]): How | undefined {
  if (!v.isJacobian) return undefined;
  const lt = loose(v.tol);
  const byCol = new Map<number, number[]>();
  for (const k of ks) {
    if (numericZero(v, k)) continue;
    const c = wrtIndex(v, k);
    (byCol.get(c) ?? byCol.set(c, []).get(c)!).push(k);
  }
  if (byCol.size < 2) return undefined;
  const factors = new Map<number, number>();
  for (const [col, members] of byCol) {
    let an = 0, nn = 0;
    for (const k of members) {
      an += v.a[k] * v.n[k];
      nn += v.n[k] * v.n[k];
    }
    const c = an / nn;
    if (!members.every((k) => passes(v.a[k], c * v.n[k], lt))) return undefined;
    factors.set(col, c);
  }
  const values = [...factors.values()];
  const spread = Math.max(...values) - Math.min(...values);
  if (spread <= 0.01 * Math.max(...values.map(Math.abs))) return undefined; // one factor: a plain scale
  const last = v.input.wrtShape[v.input.wrtShape.length - 1] ?? 1;
  for (const t of v.input.factorTensors ?? []) {
    const size = t.data.length;
    if (size < 2) continue;
    const at = (col: number) => (size === last ? t.data[col % last] : size === (v.input.wrtShape.reduce((p, d) => p * d, 1)) ? t.data[col] : NaN);
    if ([...factors].every(([col, c]) => Math.abs(c - at(col)) <= 1e-3 * Math.max(1, Math.abs(at(col)))))
      return { kind: "columns", tensor: t.name, factors: [...factors].sort((x, y) => x[0] - y[0]).map(([, c]) => c) };
  }
  // Untied to a parameter, a factor per column means something only where columns have several entries
  // (one entry per column, as in an elementwise op's diagonal, always has "its own factor").
  const several = [...byCol.values()].filter((m) => m.length >= 2).length;
  if (several < byCol.size / 2) return undefined;
  return { kind: "columns", factors: [...factors].sort((x, y) => x[0] - y[0]).map(([, c]) => c) };
}

/** How, in words ("has the wrong sign", "is 1/2 of the numeric one", …), for a sentence about `what` entries. */
export function howText(v: View, how: How, batch?: number): string {
  switch (how.kind) {
    case "right":
      return "is right";
    case "zero":
      return "is zero where the numeric one is not";
    case "nonzero":
      return "is non-zero where the numeric one is exactly zero";
    case "sign":
      return "has the wrong sign (a ≈ −n)";
    case "scale": {
      const f = nameFactor(how.c, batch);
      return `is ${f.text} times the numeric one`;
    }
    case "columns":
      return how.tensor
        ? `is ${how.tensor}ⱼ times the numeric one in column j (${how.tensor} applied once too often?)`
        : `is off by a factor that differs from column to column (${how.factors.slice(0, 4).map(fmt).join(", ")}${how.factors.length > 4 ? ", …" : ""})`;
    case "offset":
      return `is the numeric one plus a constant ${fmt(how.d)}`;
    case "wrong":
      return `is wrong (relative error up to ${fmt(how.maxRel)})`;
  }
}
