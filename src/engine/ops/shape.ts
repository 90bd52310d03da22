/**
 * Ops that move entries without changing them: reshape, transpose, concat.
 * Their Jacobians are permutation (or selection) matrices, so each backward
 * moves g back the way the forward moved x.
 */
import type { AttrSpec, Attrs, OpDef } from "../op.js";
import { ShapeError } from "../op.js";
import { sizeOf, shapeText, strides } from "../tensor.js";
import { attr, normAxis, splitAt } from "./util.js";

// ---------------------------------------------------------------- reshape

const reshapeAttrs: Record<string, AttrSpec> = {
  shape: { type: "int[]", required: true, min: -1, doc: "The new full shape (batch dim included); one entry may be −1 (inferred)." },
};

function resolveShape(from: number[], to: number[]): number[] {
  const size = sizeOf(from);
  const free = to.filter((d) => d === -1).length;
  if (free > 1) throw new ShapeError(`reshape allows one −1 in shape, got ${shapeText(to)}`);
  const known = sizeOf(to.filter((d) => d !== -1));
  const out = to.map((d) => (d === -1 ? (known === 0 ? -1 : size / known) : d));
  if (out.some((d) => !Number.isInteger(d) || d < 0) || sizeOf(out) !== size)
    throw new ShapeError(`reshape cannot turn x ${shapeText(from)} (${size} entries) into ${shapeText(to)}`, 0);
  return out;
}

export const reshape: OpDef = {
  name: "reshape",
  builtin: true,
  summary: "Same entries in row-major order, new shape (one −1 inferred)",
  formula: "J = I (identity on the flat entries); dL/dx = g reshaped to x's shape",
  arity: 1,
  attrs: reshapeAttrs,
  outputShape: ({ inputShapes: [x], attrs: a }) => resolveShape(x, attr<number[]>(reshapeAttrs, a, "shape")),
  forward: ({ inputs: [x], attrs: a }) => ({
    shape: resolveShape(x.shape, attr<number[]>(reshapeAttrs, a, "shape")),
    data: new Float64Array(x.data),
  }),
  backward: ({ inputs: [x], gradOutput: g }) => ({ inputs: [{ shape: [...x.shape], data: new Float64Array(g.data) }] }),
};

// ---------------------------------------------------------------- transpose

const transposeAttrs: Record<string, AttrSpec> = {
  perm: { type: "int[]", min: 0, doc: "Output axis i is input axis perm[i]; default swaps the last two axes." },
};

function permOf(shape: number[], a: Attrs): number[] {
  const given = a.perm as number[] | undefined;
  const r = shape.length;
  if (given === undefined || given === null) {
    if (r < 2) throw new ShapeError(`transpose without perm swaps the last two axes, so it needs rank ≥ 2, got ${shapeText(shape)}`, 0);
    const p = Array.from({ length: r }, (_, i) => i);
    [p[r - 2], p[r - 1]] = [p[r - 1], p[r - 2]];
    return p;
  }
  const seen = new Set(given);
  if (given.length !== r || seen.size !== r || given.some((d) => !Number.isInteger(d) || d < 0 || d >= r))
    throw new ShapeError(`transpose perm ${shapeText(given)} is not a permutation of the ${r} axes of x ${shapeText(shape)}`, 0);
  return [...given];
}

/** out[i₀, …] = x[…] with out axis k = x axis perm[k]. Walks the output in order with an odometer. */
function permute(data: Float64Array, shape: number[], perm: number[]): { shape: number[]; data: Float64Array } {
  const r = shape.length, inStrides = strides(shape);
  const outShape = perm.map((p) => shape[p]);
  const step = perm.map((p) => inStrides[p]); // input stride of each output axis
  const out = new Float64Array(data.length);
  const idx = new Array<number>(r).fill(0);
  let src = 0;
  for (let o = 0; o < out.length; o++) {
    out[o] = data[src];
    for (let k = r - 1; k >= 0; k--) {
      if (++idx[k] < outShape[k]) {
        src += step[k];
        break;
      }
      src -= step[k] * (outShape[k] - 1);
      idx[k] = 0;
    }
  }
  return { shape: outShape, data: out };
}

export const transpose: OpDef = {
  name: "transpose",
  builtin: true,
  summary: "Permute axes (default: swap the last two)",
  formula: "J is a permutation; dL/dx = g permuted back by the inverse perm",
  arity: 1,
  attrs: transposeAttrs,
  outputShape: ({ inputShapes: [x], attrs: a }) => permOf(x, a).map((p) => x[p]),
  forward: ({ inputs: [x], attrs: a }) => permute(x.data, x.shape, permOf(x.shape, a)),
  backward: ({ inputs: [x], attrs: a, gradOutput: g }) => {
    const perm = permOf(x.shape, a);
    const inverse = new Array<number>(perm.length);
    perm.forEach((p, k) => (inverse[p] = k));
    return { inputs: [permute(g.data, g.shape, inverse)] };
  },
};

// ---------------------------------------------------------------- concat

const concatAttrs: Record<string, AttrSpec> = {
  axis: { type: "int", default: -1, doc: "Axis to join along (negative counts from the end; default the last)." },
};

export const concat: OpDef = {
  name: "concat",
  builtin: true,
  summary: "Join 2+ inputs along an axis (default the last); other dims must agree",
  formula: "J selects; dL/dxₜ = the slice of g that xₜ filled",
  arity: [2, Infinity],
  attrs: concatAttrs,
  outputShape: ({ inputShapes, attrs: a }) => {
    const first = inputShapes[0];
    const ax = normAxis(attr<number>(concatAttrs, a, "axis"), first, "concat");
    let total = 0;
    inputShapes.forEach((s, t) => {
      if (s.length !== first.length || s.some((d, i) => i !== ax && d !== first[i]))
        throw new ShapeError(
          `concat along axis ${ax} expects every input to match ${shapeText(first)} except on that axis, got input ${t} ${shapeText(s)}`,
          t,
        );
      total += s[ax];
    });
    const out = [...first];
    out[ax] = total;
    return out;
  },
  forward: ({ inputs, attrs: a }) => {
    const first = inputs[0].shape;
    const ax = normAxis(attr<number>(concatAttrs, a, "axis"), first, "concat");
    const { outer, inner } = splitAt(first, ax);
    let total = 0;
    for (const t of inputs) total += t.shape[ax];
    const out = new Float64Array(outer * total * inner);
    for (let o = 0, dst = 0; o < outer; o++)
      for (const t of inputs) {
        const block = t.shape[ax] * inner;
        out.set(t.data.subarray(o * block, (o + 1) * block), dst);
        dst += block;
      }
    const shape = [...first];
    shape[ax] = total;
    return { shape, data: out };
  },
  backward: ({ inputs, attrs: a, gradOutput: g }) => {
    const first = inputs[0].shape;
    const ax = normAxis(attr<number>(concatAttrs, a, "axis"), first, "concat");
    const { outer, inner } = splitAt(first, ax);
    const grads = inputs.map((t) => ({ shape: [...t.shape], data: new Float64Array(t.data.length) }));
    for (let o = 0, src = 0; o < outer; o++)
      for (let t = 0; t < inputs.length; t++) {
        const block = inputs[t].shape[ax] * inner;
        grads[t].data.set(g.data.subarray(src, src + block), o * block);
        src += block;
      }
    return { inputs: grads };
  },
};

export const shapeOps: OpDef[] = [reshape, transpose, concat];
