/**
 * Regions of the op's input values: for an elementwise op (or one whose
 * output has its input's shape), a Jacobian column is one input entry x, so
 * the entries of one branch of a piecewise function — an ELU's x ≤ 0, a
 * hard-sigmoid's saturation x ≤ −3 or x ≥ 3 — are the columns whose x lies in
 * a range. `branchRegion` finds the simplest such range that holds a set of
 * entries (the wrong ones) and none of another (entries that must stay
 * outside), with thresholds that are round numbers: 0 first, then integers,
 * halves, one decimal. Ranges other than the sign of x are tried only for a
 * diagonal Jacobian (elementwise), where a column's x is all an entry depends on.
 */
import { evidence, right, type View } from "./view.js";

export interface Region {
  /** "where x ≤ 0", "where x ≤ −3 or x ≥ 3". */
  text: string;
  /** The rest, in words: "where x > 0", "where −3 < x < 3". */
  complement: string;
  /** The evidence entries inside the region. */
  members: number[];
}

/** x of entry k: the value of the input entry its column stands for. */
function xOf(v: View, k: number): number {
  return v.input.wrtValues![v.input.cols![k]];
}

/** Whether regions of x mean anything here: a Jacobian w.r.t. an input, output and input of one size. */
export function regionsApply(v: View): boolean {
  const { input } = v;
  if (!v.isJacobian || !input.wrtValues || input.wrtKind !== "input") return false;
  const size = (s: number[]) => s.reduce((p, d) => p * d, 1);
  return size(input.outputShape!) === size(input.wrtShape);
}

function isDiagonal(v: View, ks: number[]): boolean {
  return ks.every((k) => v.input.rows![k] === v.input.cols![k]);
}

/**
 * A region holding every entry of `target`, none for which `mustStayOut` is
 * true, at least two evidence entries outside it, and mostly target entries
 * inside (at least half). With `rightOutside`, every entry outside must be
 * right (passing, and not suspect): "right elsewhere" is then a fact.
 */
export function branchRegion(v: View, target: number[], mustStayOut: (k: number) => boolean = () => false, rightOutside = true): Region | undefined {
  if (!regionsApply(v) || target.length < 2) return undefined;
  const all = evidence(v);
  const inTarget = new Set(target);
  const xs = all.map((k) => ({ k, x: xOf(v, k) })).sort((p, q) => p.x - q.x);
  const valid = (contains: (x: number) => boolean): number[] | undefined => {
    const members = xs.filter((e) => contains(e.x)).map((e) => e.k);
    if (!target.every((k) => contains(xOf(v, k)))) return undefined;
    if (members.some(mustStayOut)) return undefined;
    if (all.length - members.length < 2) return undefined;
    if (rightOutside) {
      const inside = new Set(members);
      if (!all.every((k) => inside.has(k) || right(v, k))) return undefined;
    }
    if (members.filter((k) => inTarget.has(k)).length * 2 < members.length) return undefined;
    return members;
  };
  const zeroWrong = xs.some((e) => e.x === 0 && inTarget.has(e.k));
  const zeroRight = xs.some((e) => e.x === 0 && !inTarget.has(e.k));
  // The sign of x: the branch of ReLU, ELU, leaky ReLU… (0 with the negative side, as `x > 0 ? … : …` has it).
  const signs: [string, string, (x: number) => boolean][] = [
    zeroRight ? ["where x < 0", "where x ≥ 0", (x) => x < 0] : ["where x ≤ 0", "where x > 0", (x) => x <= 0],
    zeroWrong ? ["where x ≥ 0", "where x < 0", (x) => x >= 0] : ["where x > 0", "where x ≤ 0", (x) => x > 0],
    ["where x = 0", "where x ≠ 0", (x) => x === 0],
  ];
  for (const [text, complement, contains] of signs) {
    const members = valid(contains);
    if (members) return { text, complement, members };
  }
  if (!isDiagonal(v, all)) return undefined;
  const tx = target.map((k) => xOf(v, k)).sort((p, q) => p - q);
  const lo = tx[0], hi = tx[tx.length - 1];
  const above = (t: number) => xs.find((e) => e.x > t)?.x ?? Infinity;
  const below = (t: number) => [...xs].reverse().find((e) => e.x < t)?.x ?? -Infinity;
  // One tail: x ≤ T or x ≥ T.
  const tLow = roundIn(hi, above(hi));
  if (tLow !== undefined) {
    const members = valid((x) => x <= tLow);
    if (members) return { text: `where x ≤ ${num(tLow)}`, complement: `where x > ${num(tLow)}`, members };
  }
  const tHigh = roundIn(below(lo), lo, true);
  if (tHigh !== undefined) {
    const members = valid((x) => x >= tHigh);
    if (members) return { text: `where x ≥ ${num(tHigh)}`, complement: `where x < ${num(tHigh)}`, members };
  }
  // Both tails: x ≤ T₁ or x ≥ T₂ (a saturating function's flat ends), split at the widest gap of the target.
  let best: Region | undefined, bestInside = 0;
  for (let i = 0; i + 1 < tx.length; i++) {
    const t1 = roundIn(tx[i], above(tx[i])), t2 = roundIn(below(tx[i + 1]), tx[i + 1], true);
    if (t1 === undefined || t2 === undefined || !(t1 < t2)) continue;
    const members = valid((x) => x <= t1 || x >= t2);
    const inside = all.length - (members?.length ?? all.length);
    if (members && inside > bestInside) {
      best = { text: `where x ≤ ${num(t1)} or x ≥ ${num(t2)}`, complement: `where ${num(t1)} < x < ${num(t2)}`, members };
      bestInside = inside;
    }
  }
  if (best) return best;
  // One interval: T₁ ≤ x ≤ T₂ (the middle piece of a piecewise function).
  const t1 = roundIn(below(lo), lo, true), t2 = roundIn(hi, above(hi));
  if (t1 !== undefined && t2 !== undefined && t1 < t2) {
    const members = valid((x) => x >= t1 && x <= t2);
    if (members) return { text: `where ${num(t1)} ≤ x ≤ ${num(t2)}`, complement: `where x < ${num(t1)} or x > ${num(t2)}`, members };
  }
  return undefined;
}

/**
 * The roundest number in [lo, hi) (or (lo, hi] with `upper`): 0, else the
 * integer of least magnitude, else a half, else one or two decimals. None
 * when the gap holds no number that short.
 */
export function roundIn(lo: number, hi: number, upper = false): number | undefined {
  // An open end: a range one unit (or |x|) wide beside the finite one.
  if (!Number.isFinite(lo)) lo = hi - Math.max(1, Math.abs(hi));
  if (!Number.isFinite(hi)) hi = lo + Math.max(1, Math.abs(lo));
  if (!Number.isFinite(lo) || !Number.isFinite(hi)) return undefined;
  const inside = (t: number) => (upper ? t > lo && t <= hi : t >= lo && t < hi);
  if (inside(0)) return 0;
  for (const unit of [1, 0.5, 0.1, 0.05, 0.01]) {
    const first = Math.ceil((upper ? lo : lo - 1e-12) / unit) * unit;
    const candidates: number[] = [];
    for (let t = first, i = 0; i < 2000 && t <= hi + 1e-12; t += unit, i++) {
      const r = Math.round(t / unit) * unit;
      if (inside(r)) candidates.push(r);
    }
    if (candidates.length) return candidates.sort((a, b) => Math.abs(a) - Math.abs(b))[0];
  }
  return undefined;
}

/** −3 with a real minus sign; 0.5 as 0.5. */
function num(t: number): string {
  const s = Number(t.toPrecision(6)).toString();
  return s.startsWith("-") ? `−${s.slice(1)}` : s;
}
