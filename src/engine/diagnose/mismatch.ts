/**
 * No pattern of the kinds: `mismatch`, with the most a careful reader can
 * still say — how many entries are wrong, and a true observation where one
 * holds: close everywhere (a nearby function's derivative), the right values
 * in reverse order along each row (a kernel not flipped), an analytic that
 * does not follow the input (a derivative copied from another function), the
 * output's formula evaluated at the input (σ'(x) written as x(1 − x)), the
 * input itself returned — and the worst entry.
 */
import type { Diagnosis } from "../../shared/report.js";
import { passes } from "../compare.js";
import { classify, howText } from "./classify.js";
import { evidence, failing, loose, type View } from "./view.js";
import { fmt, where, wrtLabel } from "./words.js";

export function mismatch(v: View): Diagnosis {
  const { a, n, count, input } = v;
  const what = input.what;
  if (count === 1)
    return { kind: "mismatch", detail: `the analytic and numeric ${what} disagree: analytic ${fmt(a[0])}, numeric ${fmt(n[0])}. One directional derivative says that it is wrong, not how: check with --mode exhaustive to see the pattern.` };
  let worst = 0, worstI = 0;
  for (let i = 0; i < count; i++) {
    const d = Math.abs(a[i] - n[i]);
    if (d > worst) { worst = d; worstI = i; }
  }
  const all = evidence(v), bad = failing(v);
  const share = bad.length === all.length ? "in every entry" : `in ${bad.length} of ${all.length} entries`;
  const observation = outputFormulaAtInput(v) ?? returnsValue(v) ?? reversedRows(v) ?? doesNotFollow(v) ?? offsetOrColumns(v) ?? closeEverywhere(v, bad);
  return { kind: "mismatch", detail: `the analytic and numeric ${what} disagree ${share} with no single factor, sign, zero pattern or region${observation ? `; ${observation}` : ""}; the worst entry is ${where(v, worstI)}: analytic ${fmt(a[worstI])}, numeric ${fmt(n[worstI])}.` };
}

/** A diagonal Jacobian (elementwise op) with its input x and output y per entry. */
function diagonal(v: View): { k: number; x: number; y: number }[] | undefined {
  const { input } = v;
  if (!v.isJacobian || !input.wrtValues || !input.outputValues || input.wrtKind !== "input") return undefined;
  const ks = evidence(v);
  if (ks.length < 3 || !ks.every((k) => input.rows![k] === input.cols![k])) return undefined;
  return ks.map((k) => ({ k, x: input.wrtValues![input.cols![k]], y: input.outputValues![input.rows![k]] }));
}

/** Derivatives written in terms of the output: σ' = y(1 − y), tanh' = 1 − y², exp' = y. */
const OUTPUT_FORMS: { text: string; f: (t: number) => number }[] = [
  { text: "y(1 − y)", f: (t) => t * (1 - t) },
  { text: "1 − y²", f: (t) => 1 - t * t },
  { text: "y", f: (t) => t },
];

function outputFormulaAtInput(v: View): string | undefined {
  const d = diagonal(v);
  if (!d) return undefined;
  const lt = loose(v.tol);
  for (const form of OUTPUT_FORMS) {
    if (d.every((e) => passes(v.n[e.k], form.f(e.y), lt)) && d.every((e) => passes(v.a[e.k], form.f(e.x), lt)))
      return `the derivative is ${form.text} of the output y, but the analytic one is that formula evaluated at the input x (${form.text.replace(/y/g, "x")}): the input was used where the output belongs`;
  }
  return undefined;
}

/** The analytic entries are a value, not a derivative: the input x (or 1/x) itself, or the output y. */
function returnsValue(v: View): string | undefined {
  const d = diagonal(v);
  if (!d) return undefined;
  const lt = loose(v.tol);
  const x = wrtLabel(v);
  const forms: [string, (e: { x: number; y: number }) => number][] = [
    [`the input ${x} itself`, (e) => e.x], [`1/${x}, the input's reciprocal`, (e) => 1 / e.x], ["the output y itself", (e) => e.y],
  ];
  for (const [text, f] of forms) if (d.every((e) => passes(v.a[e.k], f(e), lt)) && !d.every((e) => passes(v.n[e.k], f(e), lt))) return `the analytic entries are ${text}, not its derivative`;
  return undefined;
}

/**
 * Each row's non-zero analytic entries are its numeric ones in reverse order
 * (a band with its kernel flipped: a convolution's backward must correlate
 * with the kernel rotated by 180°, and this one does not, or does it twice).
 */
function reversedRows(v: View): string | undefined {
  const { input } = v;
  if (!v.isJacobian) return undefined;
  const byRow = new Map<number, number[]>();
  for (const k of evidence(v)) (byRow.get(input.rows![k]) ?? byRow.set(input.rows![k], []).get(input.rows![k])!).push(k);
  const lt = loose(v.tol);
  let rowsSeen = 0;
  for (const ks of byRow.values()) {
    ks.sort((p, q) => input.cols![p] - input.cols![q]);
    if (ks.length < 2) continue;
    rowsSeen++;
    for (let i = 0; i < ks.length; i++) if (!passes(v.a[ks[i]], v.n[ks[ks.length - 1 - i]], lt)) return undefined;
  }
  return rowsSeen >= 2 ? "each row holds the right values in reverse order — a kernel flipped (w[K − 1 − v] where w[v] belongs: the input gradient of a convolution correlates the upstream gradient with the kernel rotated by 180°)" : undefined;
}

/** The analytic takes one or two values while the numeric varies: it does not follow the input. */
function doesNotFollow(v: View): string | undefined {
  const ks = evidence(v);
  if (ks.length < 4) return undefined;
  const av = new Set(ks.map((k) => v.a[k])), nv = new Set(ks.map((k) => Number(v.n[k].toPrecision(6))));
  if (av.size > 2 || nv.size < 4) return undefined;
  return `the analytic takes only the value${av.size === 1 ? "" : "s"} ${[...av].sort((p, q) => p - q).map(fmt).join(" and ")} while the numeric one varies from entry to entry: it does not follow the input (a derivative copied from another function?)`;
}

function offsetOrColumns(v: View): string | undefined {
  const how = classify(v, evidence(v));
  if (how.kind === "offset") return `it ${howText(v, how)} everywhere: a term whose derivative is a constant is added, or a constant dropped`;
  if (how.kind === "columns") return `it ${howText(v, how)}`;
  return undefined;
}

function closeEverywhere(v: View, bad: number[]): string | undefined {
  let maxRel = 0;
  for (const k of bad) maxRel = Math.max(maxRel, Math.abs(v.a[k] - v.n[k]) / Math.max(Math.abs(v.a[k]), Math.abs(v.n[k]), 1e-300));
  return maxRel <= 0.05 ? `it is close everywhere (relative error at most ${fmt(maxRel)}): the derivative of a nearby function — another approximation, a rounded constant?` : undefined;
}
