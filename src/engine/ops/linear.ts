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
    // Each y[n, u] = b[u] + Σᵢ x[n, i]·W[u, i] is one sum, i in order (the plain loop's numbers, bit for
    // bit); they are computed two rows × four units at a time, so each x and W value loaded serves
    // several sums and eight independent additions overlap instead of waiting on one another.
    let n = 0;
    for (; n + 1 < rows; n += 2) {
      const xa = n * nIn, xb = xa + nIn, oa = n * units, ob = oa + units;
      let u = 0;
      for (; u + 3 < units; u += 4) {
        const w0 = u * nIn, w1 = w0 + nIn, w2 = w1 + nIn, w3 = w2 + nIn;
        let a0 = bd ? bd[u] : 0, a1 = bd ? bd[u + 1] : 0, a2 = bd ? bd[u + 2] : 0, a3 = bd ? bd[u + 3] : 0;
        let c0 = a0, c1 = a1, c2 = a2, c3 = a3;
        for (let i = 0; i < nIn; i++) {
          const p = X[xa + i], q = X[xb + i];
          const v0 = Wd[w0 + i], v1 = Wd[w1 + i], v2 = Wd[w2 + i], v3 = Wd[w3 + i];
          a0 += p * v0; a1 += p * v1; a2 += p * v2; a3 += p * v3;
          c0 += q * v0; c1 += q * v1; c2 += q * v2; c3 += q * v3;
        }
        out[oa + u] = a0; out[oa + u + 1] = a1; out[oa + u + 2] = a2; out[oa + u + 3] = a3;
        out[ob + u] = c0; out[ob + u + 1] = c1; out[ob + u + 2] = c2; out[ob + u + 3] = c3;
      }
      for (; u < units; u++) {
        const wo = u * nIn;
        let a = bd ? bd[u] : 0, c = a;
        for (let i = 0; i < nIn; i++) {
          const v = Wd[wo + i];
          a += X[xa + i] * v;
          c += X[xb + i] * v;
        }
        out[oa + u] = a;
        out[ob + u] = c;
      }
    }
    for (; n < rows; n++) {
      const xo = n * nIn, oo = n * units;
      let u = 0;
      for (; u + 3 < units; u += 4) {
        const w0 = u * nIn, w1 = w0 + nIn, w2 = w1 + nIn, w3 = w2 + nIn;
        let a0 = bd ? bd[u] : 0, a1 = bd ? bd[u + 1] : 0, a2 = bd ? bd[u + 2] : 0, a3 = bd ? bd[u + 3] : 0;
        for (let i = 0; i < nIn; i++) {
          const p = X[xo + i];
          a0 += p * Wd[w0 + i]; a1 += p * Wd[w1 + i]; a2 += p * Wd[w2 + i]; a3 += p * Wd[w3 + i];
        }
        out[oo + u] = a0; out[oo + u + 1] = a1; out[oo + u + 2] = a2; out[oo + u + 3] = a3;
      }
      for (; u < units; u++) {
        const wo = u * nIn;
        let s = bd ? bd[u] : 0;
        for (let i = 0; i < nIn; i++) s += X[xo + i] * Wd[wo + i];
        out[oo + u] = s;
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
    // Only the nonzero upstream entries are added (a one-hot g, as the local check sends, costs one row),
    // in order, so every sum adds its terms in the same order as a plain loop. Eight (then four) terms are
    // added per pass over a row ((((d + t₀) + t₁) + …) + t₇, left to right): far fewer loads and stores.
    const nz = new Int32Array(Math.max(units, rows));
    for (let n = 0; n < rows; n++) {
      // dL/dx[n, :] = Σ_u g[n, u]·W[u, :]  (dL/dx = g·W)
      const xo = n * nIn, go = n * units;
      let m = 0;
      for (let u = 0; u < units; u++) if (G[go + u] !== 0) nz[m++] = u;
      let k = 0;
      for (; k + 7 < m; k += 8) {
        const g0 = G[go + nz[k]], g1 = G[go + nz[k + 1]], g2 = G[go + nz[k + 2]], g3 = G[go + nz[k + 3]];
        const g4 = G[go + nz[k + 4]], g5 = G[go + nz[k + 5]], g6 = G[go + nz[k + 6]], g7 = G[go + nz[k + 7]];
        const w0 = nz[k] * nIn, w1 = nz[k + 1] * nIn, w2 = nz[k + 2] * nIn, w3 = nz[k + 3] * nIn;
        const w4 = nz[k + 4] * nIn, w5 = nz[k + 5] * nIn, w6 = nz[k + 6] * nIn, w7 = nz[k + 7] * nIn;
        for (let i = 0; i < nIn; i++)
          dx[xo + i] = dx[xo + i] + g0 * Wd[w0 + i] + g1 * Wd[w1 + i] + g2 * Wd[w2 + i] + g3 * Wd[w3 + i] + g4 * Wd[w4 + i] + g5 * Wd[w5 + i] + g6 * Wd[w6 + i] + g7 * Wd[w7 + i];
      }
      for (; k + 3 < m; k += 4) {
        const u0 = nz[k], u1 = nz[k + 1], u2 = nz[k + 2], u3 = nz[k + 3];
        const g0 = G[go + u0], g1 = G[go + u1], g2 = G[go + u2], g3 = G[go + u3];
        const w0 = u0 * nIn, w1 = u1 * nIn, w2 = u2 * nIn, w3 = u3 * nIn;
        for (let i = 0; i < nIn; i++) dx[xo + i] = dx[xo + i] + g0 * Wd[w0 + i] + g1 * Wd[w1 + i] + g2 * Wd[w2 + i] + g3 * Wd[w3 + i];
      }
      for (; k < m; k++) {
        const u = nz[k], gnu = G[go + u], wo = u * nIn;
        for (let i = 0; i < nIn; i++) dx[xo + i] += gnu * Wd[wo + i];
      }
    }
    for (let u = 0; u < units; u++) {
      // dL/dW[u, :] = Σ_n g[n, u]·x[n, :]  (dL/dW = gᵀ·x), dL/db[u] = Σ_n g[n, u]
      const wo = u * nIn;
      let m = 0;
      for (let n = 0; n < rows; n++) {
        const gnu = G[n * units + u];
        if (gnu === 0) continue;
        nz[m++] = n;
        db[u] += gnu;
      }
      let k = 0;
      for (; k + 7 < m; k += 8) {
        const g0 = G[nz[k] * units + u], g1 = G[nz[k + 1] * units + u], g2 = G[nz[k + 2] * units + u], g3 = G[nz[k + 3] * units + u];
        const g4 = G[nz[k + 4] * units + u], g5 = G[nz[k + 5] * units + u], g6 = G[nz[k + 6] * units + u], g7 = G[nz[k + 7] * units + u];
        const x0 = nz[k] * nIn, x1 = nz[k + 1] * nIn, x2 = nz[k + 2] * nIn, x3 = nz[k + 3] * nIn;
        const x4 = nz[k + 4] * nIn, x5 = nz[k + 5] * nIn, x6 = nz[k + 6] * nIn, x7 = nz[k + 7] * nIn;
        for (let i = 0; i < nIn; i++)
          dW[wo + i] = dW[wo + i] + g0 * X[x0 + i] + g1 * X[x1 + i] + g2 * X[x2 + i] + g3 * X[x3 + i] + g4 * X[x4 + i] + g5 * X[x5 + i] + g6 * X[x6 + i] + g7 * X[x7 + i];
      }
      for (; k + 3 < m; k += 4) {
        const n0 = nz[k], n1 = nz[k + 1], n2 = nz[k + 2], n3 = nz[k + 3];
        const g0 = G[n0 * units + u], g1 = G[n1 * units + u], g2 = G[n2 * units + u], g3 = G[n3 * units + u];
        const x0 = n0 * nIn, x1 = n1 * nIn, x2 = n2 * nIn, x3 = n3 * nIn;
        for (let i = 0; i < nIn; i++) dW[wo + i] = dW[wo + i] + g0 * X[x0 + i] + g1 * X[x1 + i] + g2 * X[x2 + i] + g3 * X[x3 + i];
      }
      for (; k < m; k++) {
        const n = nz[k], gnu = G[n * units + u], xo = n * nIn;
        for (let i = 0; i < nIn; i++) dW[wo + i] += gnu * X[xo + i];
      }
    }
    const grads: Record<string, Tensor> = { W: { shape: [units, nIn], data: dW } };
    // With bias false, b (if the graph made one anyway) does not reach the output: its gradient is 0.
    if (params.b) grads.b = { shape: [...params.b.shape], data: b ? db : new Float64Array(params.b.data.length) };
    return { inputs: [{ shape: [...x.shape], data: dx }], params: grads };
  },
};
