/** Numbers, entries and sets of entries in words, for the diagnosis sentences. */
import { unravel } from "../tensor.js";
import type { View } from "./view.js";

export function fmt(v: number): string {
  return Number.isFinite(v) ? Number(v.toPrecision(4)).toString() : String(v);
}

/** Entry k: "output [1, 2], input [1, 0]" of a Jacobian, "[3, 1]" of a gradient. */
export function where(v: View, k: number): string {
  const { input } = v;
  if (input.rows && input.cols && input.outputShape)
    return `output [${unravel(input.rows[k], input.outputShape).join(", ")}], input [${unravel(input.cols[k], input.wrtShape).join(", ")}]`;
  if (input.index) return `[${unravel(input.index[k], input.wrtShape).join(", ")}]`;
  return `entry ${k}`;
}

/** The flat index of entry k in the tensor differentiated against (a Jacobian's column, a gradient's own index). */
export function wrtIndex(v: View, k: number): number {
  return v.input.cols ? v.input.cols[k] : v.input.index ? v.input.index[k] : k;
}

/** The name the sentences use for the tensor differentiated against. */
export function wrtLabel(v: View): string {
  return v.input.wrtName ?? v.input.what.replace(/^.*∂/, "").replace(/^dL\/d/, "");
}

/**
 * A set of flat indices into `shape` as compactly as it can be said: "fc[:, 4]"
 * when it is a whole slice, "W[{1, 3}, :]" for a product of index sets, else
 * the first few indices.
 */
export function indexSet(name: string, flats: Iterable<number>, shape: number[]): string {
  const unique = [...new Set(flats)].sort((a, b) => a - b);
  if (unique.length === 0) return `no entry of ${name}`;
  if (shape.length === 0) return name;
  const idx = unique.map((f) => unravel(f, shape));
  const perAxis = shape.map((_, d) => [...new Set(idx.map((i) => i[d]))].sort((a, b) => a - b));
  const product = perAxis.reduce((p, s) => p * s.length, 1);
  if (product === unique.length) {
    const parts = perAxis.map((vals, d) => (vals.length === shape[d] && shape[d] > 1 ? ":" : vals.length === 1 ? String(vals[0]) : rangeText(vals)));
    return `${name}[${parts.join(", ")}]`;
  }
  const shown = idx.slice(0, 4).map((i) => `${name}[${i.join(", ")}]`).join(", ");
  return unique.length > 4 ? `${shown} and ${unique.length - 4} more` : shown;
}

/** Sorted integers: "2..5" for a run, else "{1, 3}". */
function rangeText(vals: number[]): string {
  const run = vals.every((x, i) => i === 0 || x === vals[i - 1] + 1);
  return run && vals.length > 2 ? `${vals[0]}..${vals[vals.length - 1]}` : `{${vals.join(", ")}}`;
}

/** "1 entry", "3 entries". */
export function entries(n: number): string {
  return `${n} ${n === 1 ? "entry" : "entries"}`;
}

/** A few entries, each as analytic against numeric. */
export function examples(v: View, ks: number[], max = 3): string {
  const shown = ks.slice(0, max).map((k) => `${where(v, k)}: ${fmt(v.a[k])} against ${fmt(v.n[k])}`);
  return shown.join("; ") + (ks.length > max ? `; …` : "");
}
