/**
 * Elementwise unary ops y = f(x): relu, leaky_relu, sigmoid, tanh, exp, log, softplus.
 *
 * The Jacobian of each is diagonal, so the backward is dL/dx = g ⊙ f′(x), where
 * g = dL/dy is the upstream gradient. Where f′ can be written with the output y
 * (sigmoid, tanh, exp) the backward reads the saved output instead of recomputing f.
 */
import type { AttrSpec, OpDef } from "../op.js";
import type { Tensor } from "../tensor.js";
import { attr } from "./util.js";

const like = (t: Tensor): Tensor => ({ shape: [...t.shape], data: new Float64Array(t.data.length) });
const sameShape = ({ inputShapes }: { inputShapes: number[][] }): number[] => [...inputShapes[0]];

export const relu: OpDef = {
  name: "relu",
  builtin: true,
  summary: "max(x, 0), elementwise",
  formula: "dL/dx = g ⊙ [x > 0]  (subgradient 0 at x = 0)",
  arity: 1,
  outputShape: sameShape,
  forward: ({ inputs: [x] }) => {
    const y = like(x), xd = x.data, yd = y.data;
    for (let i = 0; i < xd.length; i++) yd[i] = xd[i] > 0 ? xd[i] : 0;
    return y;
  },
  backward: ({ inputs: [x], gradOutput: g }) => {
    const dx = like(x), xd = x.data, gd = g.data, dd = dx.data;
    // NOTE: at x = 0 we take the subgradient 0 (as PyTorch does); the checker reports that point as a kink.
    for (let i = 0; i < xd.length; i++) dd[i] = xd[i] > 0 ? gd[i] : 0;
    return { inputs: [dx] };
  },
};

const leakyAttrs: Record<string, AttrSpec> = {
  slope: { type: "number", default: 0.01, doc: "Slope for x < 0 (y = slope·x there)." },
};

export const leaky_relu: OpDef = {
  name: "leaky_relu",
  builtin: true,
  summary: "x for x > 0, slope·x otherwise (slope default 0.01)",
  formula: "dL/dx = g ⊙ (1 if x > 0 else slope)  (slope at x = 0)",
  arity: 1,
  attrs: leakyAttrs,
  outputShape: sameShape,
  forward: ({ inputs: [x], attrs }) => {
    const slope = attr<number>(leakyAttrs, attrs, "slope");
    const y = like(x), xd = x.data, yd = y.data;
    for (let i = 0; i < xd.length; i++) yd[i] = xd[i] > 0 ? xd[i] : slope * xd[i];
    return y;
  },
  backward: ({ inputs: [x], attrs, gradOutput: g }) => {
    const slope = attr<number>(leakyAttrs, attrs, "slope");
    const dx = like(x), xd = x.data, gd = g.data, dd = dx.data;
    // NOTE: at x = 0 we take the left slope (the same side relu's 0 comes from).
    for (let i = 0; i < xd.length; i++) dd[i] = xd[i] > 0 ? gd[i] : slope * gd[i];
    return { inputs: [dx] };
  },
};

export const sigmoid: OpDef = {
  name: "sigmoid",
  builtin: true,
  summary: "σ(x) = 1 / (1 + e^(−x)), elementwise",
  formula: "dσ/dx = σ(1 − σ); dL/dx = g ⊙ y ⊙ (1 − y)",
  arity: 1,
  outputShape: sameShape,
  forward: ({ inputs: [x] }) => {
    const y = like(x), xd = x.data, yd = y.data;
    for (let i = 0; i < xd.length; i++) {
      const v = xd[i];
      // Two forms so that e^(·) never overflows.
      if (v >= 0) yd[i] = 1 / (1 + Math.exp(-v));
      else {
        const e = Math.exp(v);
        yd[i] = e / (1 + e);
      }
    }
    return y;
  },
  backward: ({ output: y, gradOutput: g }) => {
    const dx = like(y), yd = y.data, gd = g.data, dd = dx.data;
    for (let i = 0; i < yd.length; i++) dd[i] = gd[i] * yd[i] * (1 - yd[i]);
    return { inputs: [dx] };
  },
};

export const tanh: OpDef = {
  name: "tanh",
  builtin: true,
  summary: "tanh(x), elementwise",
  formula: "d tanh/dx = 1 − tanh²; dL/dx = g ⊙ (1 − y²)",
  arity: 1,
  outputShape: sameShape,
  forward: ({ inputs: [x] }) => {
    const y = like(x), xd = x.data, yd = y.data;
    for (let i = 0; i < xd.length; i++) yd[i] = Math.tanh(xd[i]);
    return y;
  },
  backward: ({ output: y, gradOutput: g }) => {
    const dx = like(y), yd = y.data, gd = g.data, dd = dx.data;
    for (let i = 0; i < yd.length; i++) dd[i] = gd[i] * (1 - yd[i] * yd[i]);
    return { inputs: [dx] };
  },
};

export const exp: OpDef = {
  name: "exp",
  builtin: true,
  summary: "e^x, elementwise",
  formula: "d eˣ/dx = eˣ; dL/dx = g ⊙ y",
  arity: 1,
  outputShape: sameShape,
  forward: ({ inputs: [x] }) => {
    const y = like(x), xd = x.data, yd = y.data;
    for (let i = 0; i < xd.length; i++) yd[i] = Math.exp(xd[i]);
    return y;
  },
  backward: ({ output: y, gradOutput: g }) => {
    const dx = like(y), yd = y.data, gd = g.data, dd = dx.data;
    for (let i = 0; i < yd.length; i++) dd[i] = gd[i] * yd[i];
    return { inputs: [dx] };
  },
};

export const log: OpDef = {
  name: "log",
  builtin: true,
  summary: "natural log ln(x), elementwise (x > 0)",
  formula: "d ln x/dx = 1/x; dL/dx = g ⊘ x",
  arity: 1,
  outputShape: sameShape,
  forward: ({ inputs: [x] }) => {
    const y = like(x), xd = x.data, yd = y.data;
    // x ≤ 0 gives −Infinity / NaN, which the checker reports as non-finite rather than hiding it.
    for (let i = 0; i < xd.length; i++) yd[i] = Math.log(xd[i]);
    return y;
  },
  backward: ({ inputs: [x], gradOutput: g }) => {
    const dx = like(x), xd = x.data, gd = g.data, dd = dx.data;
    for (let i = 0; i < xd.length; i++) dd[i] = gd[i] / xd[i];
    return { inputs: [dx] };
  },
};

export const softplus: OpDef = {
  name: "softplus",
  builtin: true,
  summary: "ln(1 + e^x), elementwise (a smooth relu)",
  formula: "d softplus/dx = σ(x); dL/dx = g ⊙ σ(x)",
  arity: 1,
  outputShape: sameShape,
  forward: ({ inputs: [x] }) => {
    const y = like(x), xd = x.data, yd = y.data;
    // ln(1 + eˣ) = max(x, 0) + ln(1 + e^(−|x|)): no overflow for large x, no lost digits for very negative x.
    for (let i = 0; i < xd.length; i++) {
      const v = xd[i];
      yd[i] = (v > 0 ? v : 0) + Math.log1p(Math.exp(-Math.abs(v)));
    }
    return y;
  },
  backward: ({ inputs: [x], gradOutput: g }) => {
    const dx = like(x), xd = x.data, gd = g.data, dd = dx.data;
    for (let i = 0; i < xd.length; i++) {
      const v = xd[i];
      const s = v >= 0 ? 1 / (1 + Math.exp(-v)) : Math.exp(v) / (1 + Math.exp(v));
      dd[i] = gd[i] * s;
    }
    return { inputs: [dx] };
  },
};

export const elementwiseOps: OpDef[] = [relu, leaky_relu, sigmoid, tanh, exp, log, softplus];
