/** A transpose missing or extra: the analytic entries equal the numeric ones with two axes swapped. */
import { passes } from "../compare.js";
import { strides, unravel } from "../tensor.js";
import type { DiagnoseInput, View } from "./view.js";

/** A way to read the numeric entries transposed: entry i of a is compared with the numeric entry at map(i). */
interface Candidate {
  label: string;
  map: (i: number) => number | undefined;
}

/** Position key of a Jacobian entry (row, column). */
const key = (r: number, c: number) => r * 1e9 + c;

/** Does a match n under a swap of two equal-sized axes? Returns which, in words. */
export function findTranspose(v: View): string | undefined {
  const { input, a, n, tol } = v;
  const count = a.length;
  if (count < 2) return undefined;
  const isJacobian = !!(input.rows && input.cols && input.outputShape);
  const numericAt = new Map<number, number>();
  for (let i = 0; i < count; i++) numericAt.set(isJacobian ? key(input.rows![i], input.cols![i]) : input.index ? input.index[i] : i, n[i]);
  const candidates = isJacobian ? jacobianTransposes(input) : gradientTransposes(input);
  for (const cand of candidates) {
    let compared = 0, ok = true, moved = false;
    for (let i = 0; i < count && ok; i++) {
      const other = numericAt.get(cand.map(i)!);
      if (other === undefined) continue;
      compared++;
      if (!passes(a[i], other, tol)) ok = false;
      if (!passes(a[i], n[i], tol)) moved = true;
    }
    if (ok && moved && compared >= Math.max(2, count / 2)) return cand.label;
  }
  return undefined;
}

/** Flat index → the flat index with the last two axes swapped (when they have the same length ≥ 2). */
function swapLastTwo(shape: number[]): ((flat: number) => number) | undefined {
  const d = shape.length;
  if (d < 2 || shape[d - 1] !== shape[d - 2] || shape[d - 1] < 2) return undefined;
  const st = strides(shape);
  return (flat: number) => {
    const idx = unravel(flat, shape);
    [idx[d - 1], idx[d - 2]] = [idx[d - 2], idx[d - 1]];
    return idx.reduce((s, v, k) => s + v * st[k], 0);
  };
}

function jacobianTransposes(input: DiagnoseInput): Candidate[] {
  const candidates: Candidate[] = [];
  const wrtSwap = swapLastTwo(input.wrtShape);
  if (wrtSwap) candidates.push({ label: `its ${input.what.replace(/^.*∂/, "")} indices transposed`, map: (i) => key(input.rows![i], wrtSwap(input.cols![i])) });
  const out = input.outputShape!;
  const outSwap = swapLastTwo(out);
  if (outSwap) candidates.push({ label: "its output indices transposed", map: (i) => key(outSwap(input.rows![i]), input.cols![i]) });
  const w = input.wrtShape;
  if (out.length && w.length && out[out.length - 1] === w[w.length - 1] && out[out.length - 1] > 1) {
    const so = strides(out), sw = strides(w);
    candidates.push({
      label: "the last output axis and the last input axis swapped (the matrix in the backward is transposed)",
      map: (i) => {
        const ro = unravel(input.rows![i], out), cw = unravel(input.cols![i], w);
        const t = ro[ro.length - 1];
        ro[ro.length - 1] = cw[cw.length - 1];
        cw[cw.length - 1] = t;
        return key(ro.reduce((s, v, k) => s + v * so[k], 0), cw.reduce((s, v, k) => s + v * sw[k], 0));
      },
    });
  }
  return candidates;
}

function gradientTransposes(input: DiagnoseInput): Candidate[] {
  const swap = swapLastTwo(input.wrtShape);
  return swap ? [{ label: "its last two axes transposed", map: (i) => swap(input.index ? input.index[i] : i) }] : [];
}

