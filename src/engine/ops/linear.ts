/**
 * linear: y = x·Wᵀ + b, the lecture's linear layer lⱼ = Σᵢ wⱼ,ᵢ xᵢ + bⱼ for every row of x.
 * x is [B, in] (or [B, …, in]: every leading index is a row), W [units, in], b [units].
 * The products are the kernels of ./kernels.ts; the incremental evaluator's sparse
 * rule (a column per W[i, j], rank-1 updates per x[n, j]) is ./linear-incremental.ts.
 */
import type { AttrSpec, Attrs, OpDef } from "../op.js";
import { ShapeError } from "../op.js";
import { type Tensor, shapeText } from "../tensor.js";
import { matmulSparseA, matmulTransASparse, matmulTransB, sumRows } from "./kernels.js";
import { linearIncremental } from "./linear-incremental.js";
import { attr, uniformFanIn } from "./util.js";

const attrs: Record<string, AttrSpec> = {
  units: { type: "int", required: true, min: 1, doc: "Number of outputs per row (W has shape [units, in])." },
  bias: { type: "bool", default: true, doc: "Add a learned bias b [units]." },
};

const inFeatures = (shape: number[]): number => shape[shape.length - 1];
const hasBias = (a: Attrs): boolean => attr<boolean>(attrs, a, "bias") !== false;

/** x [rows…, in] against W [units, in]: every leading index of x is a row. */
function sizes(x: Tensor, W: Tensor): { rows: number; units: number; nIn: number } {
  const [units, nIn] = W.shape;
  if (inFeatures(x.shape) !== nIn)
    throw new ShapeError(`linear expects x with last dim ${inFeatures(x.shape)} to match W ${shapeText(W.shape)} (W is [units, in])`, 0);
  return { rows: x.data.length / nIn, units, nIn };
}

export const linear: OpDef = {
  name: "linear",
  builtin: true,
  summary: "y = x·Wᵀ + b; x [B, in], W [units, in], b [units]",
  formula: "∂lⱼ/∂wⱼ,ᵢ = xᵢ; dL/dx = g·W, dL/dW = gᵀ·x, dL/db = Σ_b g",
  arity: 1,
  attrs,
  params: {
    W: {
      shape: ({ inputShapes, attrs: a }) => [attr<number>(attrs, a, "units"), inFeatures(inputShapes[0])],
      init: (shape, rng) => uniformFanIn(shape, rng, shape[1]),
    },
    b: {
      shape: ({ attrs: a }) => [attr<number>(attrs, a, "units")],
      init: (shape, rng, ctx) => uniformFanIn(shape, rng, inFeatures(ctx.inputShapes[0])),
      enabled: hasBias,
    },
  },
  outputShape: ({ inputShapes: [x], attrs: a }) => {
    if (x.length < 1 || inFeatures(x) < 1)
      throw new ShapeError(`linear expects x of shape [B, in] with in ≥ 1, got ${shapeText(x)}`, 0);
    return [...x.slice(0, -1), attr<number>(attrs, a, "units")];
  },
  forward: ({ inputs: [x], params: { W, b }, attrs: a }) => {
    const { rows, units, nIn } = sizes(x, W);
    // y = x·Wᵀ + b
    const y = matmulTransB(x.data, W.data, { m: rows, k: nIn, n: units }, hasBias(a) ? b?.data : undefined);
    return { shape: [...x.shape.slice(0, -1), units], data: y };
  },
  backward: ({ inputs: [x], params: { W, b }, attrs: a, gradOutput: g }) => {
    const { rows, units, nIn } = sizes(x, W);
    const dx = matmulSparseA(g.data, W.data, { m: rows, k: units, n: nIn }); // dL/dx = g·W
    const dW = matmulTransASparse(g.data, x.data, { m: units, k: rows, n: nIn }); // dL/dW = gᵀ·x
    const grads: Record<string, Tensor> = { W: { shape: [units, nIn], data: dW } };
    // dL/db = Σ_b g. With bias false, b (if the graph made one anyway) does not reach the output: its gradient is 0.
    if (b) grads.b = { shape: [...b.shape], data: hasBias(a) ? sumRows(g.data, rows, units) : new Float64Array(b.data.length) };
    return { inputs: [{ shape: [...x.shape], data: dx }], params: grads };
  },
  incremental: linearIncremental,
};
