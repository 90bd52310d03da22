/**
 * The zero pattern differs: the analytic entry is non-zero where the numeric
 * one is exactly zero (the output does not depend on that input entry: a mask,
 * gate or argmax not applied, a sample's gradient spilled onto another), or
 * zero where the numeric one is not (a window, row or column never written, a
 * gradient assigned with = where contributions must accumulate with +=).
 */
import type { Diagnosis } from "../../shared/report.js";
import { classify, howText } from "./classify.js";
import { branchRegion } from "./regions.js";
import { evidence, failing, numericZero, zeroPatternKind, type View } from "./view.js";
import { entries, examples, indexSet, wrtIndex, wrtLabel } from "./words.js";

/** At least this share of the wrong entries must be zero-pattern failures for the zero pattern to be the headline. */
const MOSTLY = 0.75;

/**
 * Every wrong entry is a zero-pattern failure (or nearly every one: the rest,
 * wrong otherwise, are said too — a sample's upstream gradient used for all
 * samples spills non-zeros into other samples' columns and is wrong on its own).
 */
export function sparsityWhole(v: View): Diagnosis | undefined {
  const bad = failing(v);
  const pattern = bad.filter((k) => zeroPatternKind(v, k));
  if (bad.length === 0 || pattern.length < Math.max(1, MOSTLY * bad.length) || (pattern.length < bad.length && pattern.length < 4)) return undefined;
  const rest0 = new Set(bad.filter((k) => !zeroPatternKind(v, k)));
  const apart = pattern.length === bad.length ? undefined : regionApart(v, pattern, rest0);
  // The zero pattern wrong on the diagonal or off-diagonal and the other part wrong otherwise: parts.ts says it.
  if (apart === "the off-diagonal" || apart === "the diagonal") return undefined;
  const region = pattern.length === bad.length ? regionOf(v, bad) : apart;
  const nonzero = pattern.filter((k) => zeroPatternKind(v, k) === "nonzero");
  const zero = pattern.filter((k) => zeroPatternKind(v, k) === "zero");
  const branch = region?.startsWith("where ");
  const parts: string[] = [];
  const counted = region !== undefined && / of \d+ entries$/.test(region) && !(nonzero.length && zero.length);
  const at = (ks: number[]) =>
    branch ? ` ${region} (x = ${wrtLabel(v)}; ${entries(ks.length)}${locate(v, ks)})`
      : ` in ${counted ? region : entries(ks.length)}${region && !counted && !(nonzero.length && zero.length) ? ` (${region})` : ""}${locate(v, ks)}`;
  if (nonzero.length) parts.push(`non-zero where the numeric one is exactly 0${at(nonzero)} — ${nonzeroHint(v, nonzero)}`);
  if (zero.length) parts.push(`zero where the numeric one is not${at(zero)} — ${zeroHint(v, zero)}`);
  const rest = bad.filter((k) => !zeroPatternKind(v, k));
  if (rest.length) parts.push(`wrong in ${entries(rest.length)} besides${locate(v, rest)}: ${howText(v, classify(v, rest), v.input.batch).replace(/^is /, "")}`);
  return { kind: "sparsity", ...(region ? { region } : {}), detail: `the analytic ${v.input.what} is ${parts.join("; it is ")}.` };
}

/**
 * The zero pattern differs on one branch of the input (x ≤ 0, say) and the
 * rest is wrong as well: a derivative copied from another function (ReLU's
 * step for x², say) is zero where it should not be, and wrong elsewhere.
 */
export function sparsityOnBranch(v: View): Diagnosis | undefined {
  const bad = failing(v);
  const pattern = bad.filter((k) => zeroPatternKind(v, k));
  if (pattern.length < 2 || pattern.length === bad.length) return undefined;
  const kinds = new Set(pattern.map((k) => zeroPatternKind(v, k)));
  if (kinds.size !== 1) return undefined;
  const others = new Set(bad.filter((k) => !zeroPatternKind(v, k)));
  const region = branchRegion(v, pattern, (k) => others.has(k), false);
  if (!region) return undefined;
  const rest = [...others];
  const how = classify(v, rest);
  const kind = [...kinds][0];
  return {
    kind: "sparsity", region: region.text,
    detail: `the analytic ${v.input.what} is ${kind === "zero" ? "zero where the numeric one is not" : "non-zero where the numeric one is exactly 0"} ${region.text} (x = ${wrtLabel(v)}; ${entries(pattern.length)}), and ${region.complement} it ${howText(v, how, v.input.batch)} too (${examples(v, rest, 2)})${constantHint(v)}.`,
  };
}

/** The region the zero-pattern failures form apart from the other wrong entries: the off-diagonal (the diagonal wrong otherwise), or a branch of x. */
function regionApart(v: View, pattern: number[], others: Set<number>): string | undefined {
  const { input } = v;
  if (v.isJacobian && input.outputShape!.length === input.wrtShape.length && input.outputShape!.every((d, i) => d === input.wrtShape[i])) {
    const onDiagonal = (k: number) => input.rows![k] === input.cols![k];
    if (pattern.every((k) => !onDiagonal(k)) && [...others].every(onDiagonal)) return "the off-diagonal";
    if (pattern.every(onDiagonal) && [...others].every((k) => !onDiagonal(k))) return "the diagonal";
  }
  return branchRegion(v, pattern, (k) => others.has(k), false)?.text;
}

/** The region the failing entries form: a branch of x, the diagonal or off-diagonal, else a count. */
function regionOf(v: View, bad: number[]): string | undefined {
  const branch = branchRegion(v, bad);
  if (branch) return branch.text;
  const { input } = v;
  if (v.isJacobian && input.outputShape!.length === input.wrtShape.length && input.outputShape!.every((d, i) => d === input.wrtShape[i])) {
    if (bad.every((k) => input.rows![k] !== input.cols![k]) && bad.length > 1) return "the off-diagonal";
    if (bad.every((k) => input.rows![k] === input.cols![k]) && bad.length > 1) return "the diagonal";
  }
  const n = evidence(v).length;
  return bad.length * 2 <= n ? `${bad.length} of ${n} entries` : undefined;
}

/** " (outputs ce[0], inputs fc[1..3, :])" for a Jacobian, ": fc[0, 2], …" on a diagonal, " (W[1, :])" for a gradient. */
function locate(v: View, ks: number[]): string {
  const { input } = v;
  const inputs = indexSet(wrtLabel(v), ks.map((k) => wrtIndex(v, k)), input.wrtShape);
  const whole = (t: string) => /^[^[]*\[(:, )*:\]$/.test(t);
  if (!v.isJacobian) return whole(inputs) ? "" : ` (${inputs})`;
  if (ks.every((k) => input.rows![k] === input.cols![k])) return whole(inputs) ? "" : `: ${inputs}`;
  const outputs = indexSet(outputLabel(v), ks.map((k) => input.rows![k]), input.outputShape!);
  if (whole(outputs) && whole(inputs)) return "";
  return ` (outputs ${outputs}, inputs ${inputs})`;
}

export function outputLabel(v: View): string {
  return /^∂(.+?)\/∂/.exec(v.input.what)?.[1] ?? "out";
}

function nonzeroHint(v: View, ks: number[]): string {
  if (v.isJacobian) {
    // Does one output row carry gradient into inputs of other rows (other samples)?
    const rows = new Set(ks.map((k) => v.input.rows![k]));
    if (rows.size === 1) return "that output's gradient goes to inputs it does not depend on (the upstream gradient of one entry used for all?)";
  }
  return "a mask, gate or argmax that zeroes the gradient there is not applied";
}

function zeroHint(v: View, ks: number[]): string {
  if (v.isJacobian) {
    // Columns whose other contributions survive: an assignment (=) where the gradient must accumulate (+=).
    const zeroSet = new Set(ks);
    const cols = new Set(ks.map((k) => wrtIndex(v, k)));
    let kept = 0;
    for (const k of evidence(v)) if (!zeroSet.has(k) && cols.has(wrtIndex(v, k)) && !numericZero(v, k) && !v.wrong[k]) kept++;
    if (kept > 0) return "the same inputs keep their other contributions: a gradient assigned (=) where contributions from several outputs must accumulate (+=)";
    const rows = new Set(ks.map((k) => v.input.rows![k]));
    if (rows.size < evidence(v).map((k) => v.input.rows![k]).filter((r, i, all) => all.indexOf(r) === i).length) return "those output rows (or windows) are never written back";
  }
  return "a window, row or column of the gradient is never written";
}

/** When the analytic takes only one or two distinct values, it does not follow the input at all. */
function constantHint(v: View): string {
  const values = new Set<number>();
  for (const k of evidence(v)) values.add(v.a[k]);
  return values.size <= 2 ? `; the analytic takes only the values ${[...values].sort((a, b) => a - b).map((x) => Number(x.toPrecision(4))).join(" and ")}: it does not follow x (a derivative copied from another function?)` : "";
}
