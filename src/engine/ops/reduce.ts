/**
 * sum and mean: over everything (to a scalar, shape []) or over one axis (that axis is removed).
 * Each input entry feeds exactly one output entry with weight 1 (sum) or 1/N (mean),
 * so the backward copies ("broadcasts") g back over the reduced positions.
 */
import type { AttrSpec, Attrs, OpDef } from "../op.js";
import type { Tensor } from "../tensor.js";
import { normAxis, splitAt } from "./util.js";

const attrs: Record<string, AttrSpec> = {
  axis: { type: "int", doc: "Reduce only this axis (negative counts from the end); without it reduce everything to a scalar." },
};

/** [outer, n, inner] of the reduction: everything is one long axis when no axis is given. */
function layout(shape: number[], a: Attrs, op: string) {
  const axis = a.axis as number | undefined;
  if (axis === undefined || axis === null) {
    let size = 1;
    for (const d of shape) size *= d;
    return { outer: 1, n: size, inner: 1, outShape: [] as number[] };
  }
  const ax = normAxis(axis, shape, op);
  return { ...splitAt(shape, ax), outShape: shape.filter((_, i) => i !== ax) };
}

/** sum or mean: the op's name (for messages) and the weight of each entry when n are reduced. */
interface Reduction {
  op: string;
  weightOf: (n: number) => number;
}

function reduceForward(x: Tensor, a: Attrs, { op, weightOf }: Reduction): Tensor {
  const { outer, n, inner, outShape } = layout(x.shape, a, op);
  const X = x.data, out = new Float64Array(outer * inner), w = weightOf(n);
  for (let o = 0; o < outer; o++)
    for (let j = 0; j < n; j++) {
      const src = (o * n + j) * inner, dst = o * inner;
      for (let i = 0; i < inner; i++) out[dst + i] += X[src + i];
    }
  if (w !== 1) for (let i = 0; i < out.length; i++) out[i] *= w;
  return { shape: outShape, data: out };
}

function reduceBackward(x: Tensor, g: Tensor, a: Attrs, { op, weightOf }: Reduction): Tensor {
  const { outer, n, inner } = layout(x.shape, a, op);
  const G = g.data, dx = new Float64Array(x.data.length), w = weightOf(n);
  for (let o = 0; o < outer; o++)
    for (let j = 0; j < n; j++) {
      const dst = (o * n + j) * inner, src = o * inner;
      for (let i = 0; i < inner; i++) dx[dst + i] = w * G[src + i];
    }
  return { shape: [...x.shape], data: dx };
}

const summing: Reduction = { op: "sum", weightOf: () => 1 };
const averaging: Reduction = { op: "mean", weightOf: (n) => 1 / n };

export const sum: OpDef = {
  name: "sum",
  builtin: true,
  summary: "Σ of all entries (→ []), or along one axis",
  formula: "∂y/∂xᵢ = 1 for every xᵢ summed into y; dL/dx = g broadcast back over the reduced axis",
  arity: 1,
  attrs,
  outputShape: ({ inputShapes: [x], attrs: a }) => layout(x, a, "sum").outShape,
  forward: ({ inputs: [x], attrs: a }) => reduceForward(x, a, summing),
  backward: ({ inputs: [x], attrs: a, gradOutput: g }) => ({ inputs: [reduceBackward(x, g, a, summing)] }),
};

export const mean: OpDef = {
  name: "mean",
  builtin: true,
  summary: "mean of all entries (→ []), or along one axis",
  formula: "∂y/∂xᵢ = 1/N; dL/dx = g/N broadcast back over the reduced axis (N entries)",
  arity: 1,
  attrs,
  outputShape: ({ inputShapes: [x], attrs: a }) => layout(x, a, "mean").outShape,
  forward: ({ inputs: [x], attrs: a }) => reduceForward(x, a, averaging),
  backward: ({ inputs: [x], attrs: a, gradOutput: g }) => ({ inputs: [reduceBackward(x, g, a, averaging)] }),
};

export const reduceOps: OpDef[] = [sum, mean];
