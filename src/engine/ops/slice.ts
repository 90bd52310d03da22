/**
 * slice: the entries start, start + step, … (before end) along one axis, as Python's
 * x[start:end:step] on that axis (negative start / end count from the end, and both
 * are clamped to the axis). Its Jacobian selects, so the backward writes g back at
 * the positions the forward read and leaves zeros elsewhere.
 */
import type { AttrSpec, Attrs, OpDef } from "../op.js";
import { ShapeError } from "../op.js";
import { shapeText } from "../tensor.js";
import { attr, normAxis, splitAt } from "./util.js";

const sliceAttrs: Record<string, AttrSpec> = {
  axis: { type: "int", default: -1, doc: "The axis to slice (negative counts from the end; default the last)." },
  start: { type: "int", default: 0, doc: "First index taken (negative counts from the end). Default 0." },
  end: { type: "int", doc: "Index to stop before (negative counts from the end). Default: the axis length." },
  step: { type: "int", default: 1, min: 1, doc: "Take every step-th entry. Default 1." },
};

interface Selection {
  axis: number;
  start: number;
  step: number;
  /** Entries taken along the axis. */
  count: number;
}

/** Python's slice rule on an axis of length n: clamp start and end into [0, n]. */
function selection(shape: readonly number[], a: Attrs): Selection {
  const axis = normAxis(attr<number>(sliceAttrs, a, "axis"), shape, "slice");
  const n = shape[axis], step = attr<number>(sliceAttrs, a, "step");
  const clampIndex = (i: number) => Math.min(n, Math.max(0, i < 0 ? i + n : i));
  const start = clampIndex(attr<number>(sliceAttrs, a, "start"));
  const end = clampIndex(a.end === undefined ? n : (a.end as number));
  const count = end > start ? Math.ceil((end - start) / step) : 0;
  if (count === 0)
    throw new ShapeError(`slice [${attr<number>(sliceAttrs, a, "start")}:${a.end ?? ""}] of axis ${axis} (length ${n}) of x ${shapeText(shape)} selects nothing`, 0);
  return { axis, start, step, count };
}

const outShape = (shape: readonly number[], s: Selection): number[] => shape.map((d, i) => (i === s.axis ? s.count : d));

export const slice: OpDef = {
  name: "slice",
  builtin: true,
  summary: "x[start:end:step] along one axis (default the last), as in Python",
  formula: "J selects; dL/dx = g at the positions taken, 0 elsewhere",
  arity: 1,
  attrs: sliceAttrs,
  outputShape: ({ inputShapes: [x], attrs: a }) => outShape(x, selection(x, a)),
  forward: ({ inputs: [x], attrs: a }) => {
    const s = selection(x.shape, a), { outer, n, inner } = splitAt(x.shape, s.axis);
    const shape = outShape(x.shape, s), out = new Float64Array(outer * s.count * inner), X = x.data;
    for (let o = 0, dst = 0; o < outer; o++)
      for (let k = 0; k < s.count; k++, dst += inner) {
        const src = (o * n + s.start + k * s.step) * inner;
        out.set(X.subarray(src, src + inner), dst);
      }
    return { shape, data: out };
  },
  backward: ({ inputs: [x], attrs: a, gradOutput: g }) => {
    const s = selection(x.shape, a), { outer, n, inner } = splitAt(x.shape, s.axis);
    const dx = new Float64Array(x.data.length), G = g.data;
    for (let o = 0, src = 0; o < outer; o++)
      for (let k = 0; k < s.count; k++, src += inner) dx.set(G.subarray(src, src + inner), (o * n + s.start + k * s.step) * inner);
    return { inputs: [{ shape: [...x.shape], data: dx }] };
  },
};
