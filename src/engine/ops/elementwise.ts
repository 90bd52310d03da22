/**
 * Elementwise unary ops y = f(x): relu, leaky_relu, sigmoid, tanh, exp, log, softplus.
 * Each is its two formulas (./unary.ts): f, and dL/dx = g ⊙ f′ per entry. Where f′
 * can be written with the output y (sigmoid, tanh, exp) it reads the saved output
 * instead of recomputing f.
 */
import type { AttrSpec } from "../op.js";
import { unaryOp } from "./unary.js";
import { attr } from "./util.js";

/** σ(v) in the form that never overflows e^(·). */
const sigma = (v: number): number => (v >= 0 ? 1 / (1 + Math.exp(-v)) : Math.exp(v) / (1 + Math.exp(v)));

export const relu = unaryOp({
  name: "relu",
  summary: "max(x, 0), elementwise",
  formula: "dL/dx = g ⊙ [x > 0]  (subgradient 0 at x = 0)",
  f: (x) => (x > 0 ? x : 0),
  // NOTE: at x = 0 we take the subgradient 0 (as PyTorch does); the checker reports that point as a kink.
  dx: (g, x) => (x > 0 ? g : 0),
});

const leakyAttrs: Record<string, AttrSpec> = {
  slope: { type: "number", default: 0.01, doc: "Slope for x < 0 (y = slope·x there)." },
};

export const leaky_relu = unaryOp({
  name: "leaky_relu",
  summary: "x for x > 0, slope·x otherwise (slope default 0.01)",
  formula: "dL/dx = g ⊙ (1 if x > 0 else slope)  (slope at x = 0)",
  attrs: leakyAttrs,
  constant: (attrs) => attr<number>(leakyAttrs, attrs, "slope"),
  f: (x, slope) => (x > 0 ? x : slope * x),
  // NOTE: at x = 0 we take the left slope (the same side relu's 0 comes from).
  dx: (g, x, _y, slope) => (x > 0 ? g : slope * g),
});

export const sigmoid = unaryOp({
  name: "sigmoid",
  summary: "σ(x) = 1 / (1 + e^(−x)), elementwise",
  formula: "dσ/dx = σ(1 − σ); dL/dx = g ⊙ y ⊙ (1 − y)",
  // Two forms so that e^(·) never overflows.
  f: (x) => {
    if (x >= 0) return 1 / (1 + Math.exp(-x));
    const e = Math.exp(x);
    return e / (1 + e);
  },
  dx: (g, _x, y) => g * y * (1 - y),
});

export const tanh = unaryOp({
  name: "tanh",
  summary: "tanh(x), elementwise",
  formula: "d tanh/dx = 1 − tanh²; dL/dx = g ⊙ (1 − y²)",
  f: Math.tanh,
  dx: (g, _x, y) => g * (1 - y * y),
});

export const exp = unaryOp({
  name: "exp",
  summary: "e^x, elementwise",
  formula: "d eˣ/dx = eˣ; dL/dx = g ⊙ y",
  f: Math.exp,
  dx: (g, _x, y) => g * y,
});

export const log = unaryOp({
  name: "log",
  summary: "natural log ln(x), elementwise (x > 0)",
  formula: "d ln x/dx = 1/x; dL/dx = g ⊘ x",
  // x ≤ 0 gives −Infinity / NaN, which the checker reports as non-finite rather than hiding it.
  f: Math.log,
  dx: (g, x) => g / x,
});

export const softplus = unaryOp({
  name: "softplus",
  summary: "ln(1 + e^x), elementwise (a smooth relu)",
  formula: "d softplus/dx = σ(x); dL/dx = g ⊙ σ(x)",
  // ln(1 + eˣ) = max(x, 0) + ln(1 + e^(−|x|)): no overflow for large x, no lost digits for very negative x.
  f: (x) => (x > 0 ? x : 0) + Math.log1p(Math.exp(-Math.abs(x))),
  dx: (g, x) => g * sigma(x),
});

export const elementwiseOps = [relu, leaky_relu, sigmoid, tanh, exp, log, softplus];
