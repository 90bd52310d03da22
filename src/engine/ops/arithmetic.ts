/**
 * Elementwise arithmetic with a constant from the attributes, or none: sqrt, abs,
 * pow (a scalar exponent), scale (a constant factor: attention's 1/√d), clamp
 * (min and/or max). Each is its two formulas (./unary.ts).
 */
import { ShapeError, type AttrSpec } from "../op.js";
import { unaryOp } from "./unary.js";
import { attr } from "./util.js";

export const sqrt = unaryOp({
  name: "sqrt",
  summary: "√x, elementwise (x ≥ 0)",
  formula: "d√x/dx = 1/(2√x); dL/dx = g ⊘ (2y)",
  // x < 0 gives NaN and x = 0 an infinite slope: the checker reports them as non-finite rather than hiding them.
  f: Math.sqrt,
  dx: (g, _x, y) => g / (2 * y),
});

export const abs = unaryOp({
  name: "abs",
  summary: "|x|, elementwise",
  formula: "dL/dx = g ⊙ sign(x)  (subgradient 0 at x = 0)",
  f: Math.abs,
  // NOTE: at x = 0 we take the subgradient 0 (sign(0) = 0, as PyTorch); the checker reports that point as a kink.
  dx: (g, x) => (x > 0 ? g : x < 0 ? -g : 0),
});

const powAttrs: Record<string, AttrSpec> = {
  exponent: { type: "number", required: true, doc: "The scalar exponent p of y = x^p (x < 0 needs an integer p)." },
};

export const pow = unaryOp({
  name: "pow",
  summary: "x^p for a scalar exponent p, elementwise",
  formula: "d xᵖ/dx = p·x^(p−1); dL/dx = g ⊙ p·x^(p−1)  (0 for p = 0)",
  attrs: powAttrs,
  constant: (attrs) => attr<number>(powAttrs, attrs, "exponent"),
  f: (x, p) => Math.pow(x, p),
  // p = 0: y = 1 everywhere, so the gradient is 0 even at x = 0 (where 0·0^(−1) would be NaN), as PyTorch.
  dx: (g, x, _y, p) => (p === 0 ? 0 : g * p * Math.pow(x, p - 1)),
});

const scaleAttrs: Record<string, AttrSpec> = {
  factor: { type: "number", required: true, doc: "The constant c of y = c·x (e.g. 1/√d before a softmax)." },
};

export const scale = unaryOp({
  name: "scale",
  summary: "c·x for a constant factor c, elementwise",
  formula: "dL/dx = c·g",
  attrs: scaleAttrs,
  constant: (attrs) => attr<number>(scaleAttrs, attrs, "factor"),
  f: (x, c) => c * x,
  dx: (g, _x, _y, c) => c * g,
});

const clampAttrs: Record<string, AttrSpec> = {
  min: { type: "number", doc: "Lower bound: y = max(x, min). At least one of min and max is needed." },
  max: { type: "number", doc: "Upper bound: y = min(x, max). At least one of min and max is needed." },
};

interface Bounds {
  lo: number;
  hi: number;
}

export const clamp = unaryOp<Bounds>({
  name: "clamp",
  summary: "x limited to [min, max] (either bound may be left out), elementwise",
  formula: "dL/dx = g ⊙ [min ≤ x ≤ max]  (the gradient passes at a bound)",
  attrs: clampAttrs,
  constant: (attrs) => {
    const lo = attrs.min as number | undefined, hi = attrs.max as number | undefined;
    if (lo === undefined && hi === undefined) throw new ShapeError("clamp needs \"min\" or \"max\" (or both)");
    if (lo !== undefined && hi !== undefined && lo > hi) throw new ShapeError(`clamp's min ${lo} is above its max ${hi}`);
    return { lo: lo ?? -Infinity, hi: hi ?? Infinity };
  },
  f: (x, { lo, hi }) => (x < lo ? lo : x > hi ? hi : x),
  // NOTE: at x = min or x = max the gradient passes (as PyTorch's clamp); the checker reports those points as kinks.
  dx: (g, x, _y, { lo, hi }) => (x >= lo && x <= hi ? g : 0),
});

export const arithmeticOps = [sqrt, abs, pow, scale, clamp];
