/**
 * The smooth activations of transformers and modern MLPs: gelu (exact, or its
 * tanh approximation), silu (swish), elu. Each is its two formulas (./unary.ts):
 * y = f(x) and dL/dx = g ⊙ f′(x), with f′ written the way PyTorch writes it, so
 * the numbers agree with torch to rounding (test/data/torch/kitchen2).
 */
import type { AttrSpec } from "../op.js";
import { erfc } from "./erf.js";
import { unaryOp } from "./unary.js";
import { attr } from "./util.js";

/** σ(v) in the form that never overflows e^(·). */
const sigma = (v: number): number => (v >= 0 ? 1 / (1 + Math.exp(-v)) : Math.exp(v) / (1 + Math.exp(v)));

const SQRT1_2 = Math.SQRT1_2;
const INV_SQRT_2PI = 0.3989422804014327; // 1/√(2π)
const TANH_BETA = Math.sqrt(2 / Math.PI); // √(2/π)
const TANH_KAPPA = 0.044715;

/** Φ(x), the standard normal CDF: ½·erfc(−x/√2) keeps its digits for very negative x. */
const normalCdf = (x: number): number => 0.5 * erfc(-x * SQRT1_2);

const geluAttrs: Record<string, AttrSpec> = {
  approximate: {
    type: "string",
    oneOf: ["none", "tanh"],
    default: "none",
    doc: "\"none\": the exact x·Φ(x) with the erf; \"tanh\": ½x(1 + tanh(√(2/π)(x + 0.044715x³))), as GPT-2 and PyTorch's approximate='tanh'.",
  },
};

export const gelu = unaryOp<boolean>({
  name: "gelu",
  summary: "x·Φ(x) (Φ the normal CDF), elementwise; \"approximate\": \"tanh\" for the tanh form",
  formula:
    "exact: dL/dx = g ⊙ (Φ(x) + x·φ(x)), φ(x) = e^(−x²/2)/√(2π); tanh: with t = tanh(√(2/π)(x + 0.044715x³)), dL/dx = g ⊙ (½(1 + t) + ½x(1 − t²)√(2/π)(1 + 3·0.044715x²))",
  attrs: geluAttrs,
  constant: (attrs) => attr<string>(geluAttrs, attrs, "approximate") === "tanh",
  f: (x, tanhForm) => {
    if (!tanhForm) return x * normalCdf(x);
    const t = Math.tanh(TANH_BETA * (x + TANH_KAPPA * x * x * x));
    return 0.5 * x * (1 + t);
  },
  dx: (g, x, _y, tanhForm) => {
    if (!tanhForm) return g * (normalCdf(x) + x * INV_SQRT_2PI * Math.exp(-0.5 * x * x));
    const t = Math.tanh(TANH_BETA * (x + TANH_KAPPA * x * x * x));
    return g * (0.5 * (1 + t) + 0.5 * x * (1 - t * t) * TANH_BETA * (1 + 3 * TANH_KAPPA * x * x));
  },
});

export const silu = unaryOp({
  name: "silu",
  summary: "x·σ(x) (swish), elementwise",
  formula: "d(xσ)/dx = σ(x)(1 + x(1 − σ(x))); dL/dx = g ⊙ σ(1 + x(1 − σ))",
  f: (x) => x * sigma(x),
  dx: (g, x) => {
    const s = sigma(x);
    return g * s * (1 + x * (1 - s));
  },
});

const eluAttrs: Record<string, AttrSpec> = {
  alpha: { type: "number", default: 1, doc: "y = alpha·(eˣ − 1) for x ≤ 0." },
};

export const elu = unaryOp({
  name: "elu",
  summary: "x for x > 0, alpha·(eˣ − 1) otherwise (alpha default 1), elementwise",
  formula: "dL/dx = g for x > 0, g ⊙ alpha·eˣ (= g ⊙ (y + alpha)) for x ≤ 0",
  attrs: eluAttrs,
  constant: (attrs) => attr<number>(eluAttrs, attrs, "alpha"),
  // expm1: alpha·(eˣ − 1) keeps its digits for x near 0.
  f: (x, alpha) => (x > 0 ? x : alpha * Math.expm1(x)),
  // NOTE: at x = 0 we take the left slope alpha (as PyTorch does); with alpha ≠ 1 that point is a kink.
  dx: (g, x, _y, alpha) => (x > 0 ? g : g * alpha * Math.exp(x)),
});

export const activationOps = [gelu, silu, elu];
