/**
 * split: one tensor cut into parts along an axis, one output per part — the
 * built-in multi-output op (an LSTM's packed gates [B, 4H] → i, f, g, o).
 * Each part's Jacobian selects entries, so the backward puts every part's
 * gradient back where the part came from: dL/dx = concat(g₀, g₁, …), a part that
 * nothing reads contributing its zero gradient.
 */
import type { AttrSpec, Attrs, OpDef } from "../op.js";
import { ShapeError } from "../op.js";
import { shapeText, type Tensor } from "../tensor.js";
import { attr, normAxis, splitAt } from "./util.js";

const splitAttrs: Record<string, AttrSpec> = {
  sizes: { type: "int[]", required: true, min: 1, doc: "The length of each part along the axis, in order; they add up to the axis' length (e.g. [4, 4])." },
  axis: { type: "int", default: -1, doc: "Axis to split along (negative counts from the end; default the last)." },
  names: { type: "string[]", doc: "The outputs' names, one per part (default \"0\", \"1\", …); another node reads a part as \"node:name\"." },
};

/** The output names: `names`, else "0", "1", … */
function partNames(a: Attrs): string[] {
  const names = a.names as string[] | undefined;
  return names ?? attr<number[]>(splitAttrs, a, "sizes").map((_, k) => String(k));
}

/** The axis and sizes, checked against x's shape (a ShapeError names both). */
function layout(x: readonly number[], a: Attrs): { ax: number; sizes: number[]; names: string[] } {
  const sizes = attr<number[]>(splitAttrs, a, "sizes");
  const names = partNames(a);
  if (names.length !== sizes.length) throw new ShapeError(`split's "names" gives ${names.length} names for the ${sizes.length} parts of "sizes" ${shapeText(sizes)}`);
  const ax = normAxis(attr<number>(splitAttrs, a, "axis"), x, "split");
  const total = sizes.reduce((s, n) => s + n, 0);
  if (total !== x[ax]) throw new ShapeError(`split's "sizes" ${shapeText(sizes)} add up to ${total}, but x ${shapeText(x)} has ${x[ax]} along axis ${ax}`, 0);
  return { ax, sizes, names };
}

export const split: OpDef = {
  name: "split",
  builtin: true,
  summary: "Cut x into parts along an axis (sizes; default the last axis): one output per part, \"node:0\", \"node:1\"… or named",
  formula: "yₖ = x[…, oₖ : oₖ + sₖ, …] along the axis (oₖ = s₀ + … + sₖ₋₁); dL/dx = concat(g₀, g₁, …) along it (an unread part's g is 0)",
  arity: 1,
  attrs: splitAttrs,
  outputs: partNames,
  outputShapes: ({ inputShapes: [x], attrs: a }) => {
    const { ax, sizes, names } = layout(x, a);
    return Object.fromEntries(names.map((name, k) => [name, x.map((d, i) => (i === ax ? sizes[k] : d))]));
  },
  forward: ({ inputs: [x], attrs: a }) => {
    const { ax, sizes, names } = layout(x.shape, a);
    const { outer, n, inner } = splitAt(x.shape, ax);
    const parts: Record<string, Tensor> = {};
    let offset = 0;
    sizes.forEach((s, k) => {
      const data = new Float64Array(outer * s * inner);
      for (let o = 0; o < outer; o++) data.set(x.data.subarray((o * n + offset) * inner, (o * n + offset + s) * inner), o * s * inner);
      parts[names[k]] = { shape: x.shape.map((d, i) => (i === ax ? s : d)), data };
      offset += s;
    });
    return parts;
  },
  backward: ({ inputs: [x], attrs: a, gradOutputs }) => {
    const { ax, sizes, names } = layout(x.shape, a);
    const { outer, n, inner } = splitAt(x.shape, ax);
    const dx = new Float64Array(x.data.length);
    let offset = 0;
    sizes.forEach((s, k) => {
      const g = gradOutputs[names[k]].data;
      for (let o = 0; o < outer; o++) dx.set(g.subarray(o * s * inner, (o + 1) * s * inner), (o * n + offset) * inner);
      offset += s;
    });
    return { inputs: [{ shape: [...x.shape], data: dx }] };
  },
};
