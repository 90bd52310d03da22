/**
 * linear: y = x·Wᵀ + b, the lecture's linear layer lⱼ = Σᵢ wⱼ,ᵢ xᵢ + bⱼ for every row of x.
 * x is [B, in] (or [B, …, in]: every leading index is a row), W [units, in], b [units].
 */
import type { AttrSpec, Attrs, OpDef } from "../op.js";
import { ShapeError } from "../op.js";
import { type Tensor, shapeText } from "../tensor.js";
import { attr, uniformFanIn } from "./util.js";

const attrs: Record<string, AttrSpec> = {
  units: { type: "int", required: true, min: 1, doc: "Number of outputs per row (W has shape [units, in])." },
  bias: { type: "bool", default: true, doc: "Add a learned bias b [units]." },
};

const inFeatures = (shape: number[]): number => shape[shape.length - 1];
const hasBias = (a: Attrs): boolean => attr<boolean>(attrs, a, "bias") !== false;

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
  forward: ({ inputs: [x], params, attrs: a }) => {
    const W = params.W, b = hasBias(a) ? params.b : undefined;
    const [units, nIn] = W.shape;
    if (inFeatures(x.shape) !== nIn)
      throw new ShapeError(`linear expects x with last dim ${inFeatures(x.shape)} to match W ${shapeText(W.shape)} (W is [units, in])`, 0);
    const rows = x.data.length / nIn;
    const X = x.data, Wd = W.data, bd = b?.data;
    const out = new Float64Array(rows * units);
    for (let n = 0; n < rows; n++) {
      const xo = n * nIn;
      for (let u = 0; u < units; u++) {
        const wo = u * nIn;
        let s = bd ? bd[u] : 0;
        for (let i = 0; i < nIn; i++) s += X[xo + i] * Wd[wo + i];
        out[n * units + u] = s;
      }
    }
    return { shape: [...x.shape.slice(0, -1), units], data: out };
  },
  backward: ({ inputs: [x], params, attrs: a, gradOutput: g }) => {
    const W = params.W, b = hasBias(a) ? params.b : undefined;
    const [units, nIn] = W.shape;
    const rows = x.data.length / nIn;
    const X = x.data, Wd = W.data, G = g.data;
    const dx = new Float64Array(X.length), dW = new Float64Array(Wd.length), db = new Float64Array(units);
    for (let n = 0; n < rows; n++) {
      const xo = n * nIn;
      for (let u = 0; u < units; u++) {
        const gnu = G[n * units + u];
        if (gnu === 0) continue;
        const wo = u * nIn;
        db[u] += gnu; // dL/db = Σ_b g
        for (let i = 0; i < nIn; i++) {
          dx[xo + i] += gnu * Wd[wo + i]; // dL/dx = g·W
          dW[wo + i] += gnu * X[xo + i]; // dL/dW = gᵀ·x
        }
      }
    }
    const grads: Record<string, Tensor> = { W: { shape: [units, nIn], data: dW } };
    // With bias false, b (if the graph made one anyway) does not reach the output: its gradient is 0.
    if (params.b) grads.b = { shape: [...params.b.shape], data: b ? db : new Float64Array(params.b.data.length) };
    return { inputs: [{ shape: [...x.shape], data: dx }], params: grads };
  },
};
