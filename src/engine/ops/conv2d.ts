/**
 * conv2d: y[b, f, i, j] = b_f + Σ_{c, u, v} W[f, c, u, v] · x[b, c, i·sh − ph + u, j·sw − pw + v]
 * (cross-correlation, as every framework calls "convolution"); x [B, C, H, W],
 * W [filters, C, kh, kw], b [filters]; positions outside x (the zero padding) contribute 0.
 *
 * Each product W·x appears once in the sum, so the backward walks the same loops
 * and sends g[b, f, i, j] to both factors: dL/dW += g·x, dL/dx += g·W, dL/db += g.
 */
import type { AttrSpec, Attrs, OpDef } from "../op.js";
import { ShapeError } from "../op.js";
import { type Tensor, shapeText } from "../tensor.js";
import { attr, pair, uniformFanIn } from "./util.js";

const attrs: Record<string, AttrSpec> = {
  filters: { type: "int", required: true, min: 1, doc: "Number of output channels (W has shape [filters, C, kh, kw])." },
  kernel: { type: "int|int[]", required: true, min: 1, doc: "Kernel size k or [kh, kw]." },
  stride: { type: "int|int[]", default: 1, min: 1, doc: "Step between windows: s or [sh, sw]." },
  padding: { type: "int|int[]", default: 0, min: 0, doc: "Zeros added on each side: p or [ph, pw]." },
  bias: { type: "bool", default: true, doc: "Add a learned bias b [filters]." },
};

interface Geometry {
  filters: number;
  kh: number;
  kw: number;
  sh: number;
  sw: number;
  ph: number;
  pw: number;
}

function geometry(a: Attrs): Geometry {
  const [kh, kw] = pair(attr(attrs, a, "kernel"), "kernel", "conv2d");
  const [sh, sw] = pair(attr(attrs, a, "stride"), "stride", "conv2d");
  const [ph, pw] = pair(attr(attrs, a, "padding"), "padding", "conv2d");
  return { filters: attr<number>(attrs, a, "filters"), kh, kw, sh, sw, ph, pw };
}

const hasBias = (a: Attrs): boolean => attr<boolean>(attrs, a, "bias") !== false;

function outSize(x: number[], g: Geometry): [number, number] {
  return [Math.floor((x[2] + 2 * g.ph - g.kh) / g.sh) + 1, Math.floor((x[3] + 2 * g.pw - g.kw) / g.sw) + 1];
}

/** One spatial axis: padding p, stride s, input size n, output size outN. */
interface Axis {
  p: number;
  s: number;
  n: number;
  outN: number;
}

/*
 * Output rows i (or columns) for which kernel offset u lands inside x, not in the padding:
 * 0 ≤ i·s − p + u ≤ n − 1, intersected with [0, outN); as [firstValid, endValid).
 */
const firstValid = (u: number, { p, s }: Axis): number => Math.max(0, Math.ceil((p - u) / s));
const endValid = (u: number, { p, s, n, outN }: Axis): number => Math.min(outN, Math.floor((n - 1 + p - u) / s) + 1);

export const conv2d: OpDef = {
  name: "conv2d",
  builtin: true,
  summary: "2-D convolution: x [B, C, H, W] * W [filters, C, kh, kw] + b [filters] → [B, filters, H′, W′]",
  formula: "∂y[b,f,i,j]/∂W[f,c,u,v] = x[b,c,i·s−p+u,j·s−p+v]; dL/dW = Σ g ⊙ x-window, dL/dx = Σ g·W scattered back, dL/db = Σ_{b,i,j} g",
  arity: 1,
  attrs,
  params: {
    W: {
      shape: ({ inputShapes, attrs: a }) => {
        const g = geometry(a);
        return [g.filters, inputShapes[0][1], g.kh, g.kw];
      },
      init: (shape, rng) => uniformFanIn(shape, rng, shape[1] * shape[2] * shape[3]),
    },
    b: {
      shape: ({ attrs: a }) => [geometry(a).filters],
      init: (shape, rng, ctx) => {
        const g = geometry(ctx.attrs);
        return uniformFanIn(shape, rng, ctx.inputShapes[0][1] * g.kh * g.kw);
      },
      enabled: hasBias,
    },
  },
  outputShape: ({ inputShapes: [x], attrs: a }) => {
    if (x.length !== 4) throw new ShapeError(`conv2d expects x [B, C, H, W], got ${shapeText(x)}`, 0);
    const g = geometry(a);
    const [ho, wo] = outSize(x, g);
    if (ho < 1 || wo < 1)
      throw new ShapeError(
        `conv2d kernel [${g.kh}, ${g.kw}] (padding [${g.ph}, ${g.pw}]) does not fit in x ${shapeText(x)}: output would be [${ho}, ${wo}]`,
        0,
      );
    return [x[0], g.filters, ho, wo];
  },
  forward: ({ inputs: [x], params, attrs: a }) => {
    const geo = geometry(a);
    const { kh, kw, sh, sw, ph, pw } = geo;
    const W = params.W, bias = hasBias(a) ? params.b?.data : undefined;
    const [B, C, H, Wd] = x.shape, F = W.shape[0];
    if (W.shape[1] !== C) throw new ShapeError(`conv2d expects x with ${W.shape[1]} channels to match W ${shapeText(W.shape)}, got x ${shapeText(x.shape)}`, 0);
    const [Ho, Wo] = outSize(x.shape, geo);
    const X = x.data, K = W.data, Y = new Float64Array(B * F * Ho * Wo);
    const rowsAxis: Axis = { p: ph, s: sh, n: H, outN: Ho }, colsAxis: Axis = { p: pw, s: sw, n: Wd, outN: Wo };
    // Loop order: one kernel weight at a time over a whole output plane, so the
    // innermost loop is long and walks memory in order (no im2col buffer).
    for (let b = 0; b < B; b++)
      for (let f = 0; f < F; f++) {
        const yo = (b * F + f) * Ho * Wo;
        if (bias) Y.fill(bias[f], yo, yo + Ho * Wo);
        for (let c = 0; c < C; c++)
          for (let u = 0; u < kh; u++) {
            const i0 = firstValid(u, rowsAxis), i1 = endValid(u, rowsAxis);
            for (let v = 0; v < kw; v++) {
              const j0 = firstValid(v, colsAxis), j1 = endValid(v, colsAxis);
              const w = K[((f * C + c) * kh + u) * kw + v];
              for (let i = i0; i < i1; i++) {
                const xr = ((b * C + c) * H + i * sh - ph + u) * Wd - pw + v, yr = yo + i * Wo;
                for (let j = j0; j < j1; j++) Y[yr + j] += w * X[xr + j * sw];
              }
            }
          }
      }
    return { shape: [B, F, Ho, Wo], data: Y };
  },
  backward: ({ inputs: [x], params, attrs: a, gradOutput: g }) => {
    const geo = geometry(a);
    const { kh, kw, sh, sw, ph, pw } = geo;
    const W = params.W, withBias = hasBias(a) && params.b !== undefined;
    const [B, C, H, Wd] = x.shape, F = W.shape[0];
    const [Ho, Wo] = outSize(x.shape, geo);
    const X = x.data, K = W.data, G = g.data;
    const rowsAxis: Axis = { p: ph, s: sh, n: H, outN: Ho }, colsAxis: Axis = { p: pw, s: sw, n: Wd, outN: Wo };
    const dx = new Float64Array(X.length), dW = new Float64Array(K.length), db = new Float64Array(F);
    for (let b = 0; b < B; b++)
      for (let f = 0; f < F; f++) {
        const yo = (b * F + f) * Ho * Wo;
        for (let k = 0; k < Ho * Wo; k++) db[f] += G[yo + k]; // dL/db_f = Σ_{b,i,j} g
        for (let c = 0; c < C; c++)
          for (let u = 0; u < kh; u++) {
            const i0 = firstValid(u, rowsAxis), i1 = endValid(u, rowsAxis);
            for (let v = 0; v < kw; v++) {
              const j0 = firstValid(v, colsAxis), j1 = endValid(v, colsAxis);
              const at = ((f * C + c) * kh + u) * kw + v, w = K[at];
              let dw = 0;
              for (let i = i0; i < i1; i++) {
                const xr = ((b * C + c) * H + i * sh - ph + u) * Wd - pw + v, yr = yo + i * Wo;
                for (let j = j0; j < j1; j++) {
                  const gv = G[yr + j];
                  dw += gv * X[xr + j * sw]; // dL/dW += g·x
                  dx[xr + j * sw] += gv * w; // dL/dx += g·W
                }
              }
              dW[at] += dw;
            }
          }
      }
    const grads: Record<string, Tensor> = { W: { shape: [...W.shape], data: dW } };
    // With bias false, b (if the graph made one anyway) does not reach the output: its gradient is 0.
    if (params.b) grads.b = { shape: [...params.b.shape], data: withBias ? db : new Float64Array(params.b.data.length) };
    return { inputs: [{ shape: [...x.shape], data: dx }], params: grads };
  },
};
