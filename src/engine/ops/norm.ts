/**
 * Normalisation layers: layer_norm (over the last axis of each row),
 * batch_norm (training mode: statistics over the batch, per feature/channel) and
 * rms_norm (each row divided by its root mean square; no mean, no β).
 *
 * Both compute, over a group of M entries, x̂ = (x − μ)/σ with σ = √(var + eps)
 * (biased variance, as PyTorch) and y = γ·x̂ + β. With ĝ = g ⊙ γ (the gradient
 * at x̂), μ and σ depending on every x in the group give the standard result
 *   dL/dx = (1/σ)·(ĝ − mean(ĝ) − x̂ ⊙ mean(ĝ ⊙ x̂)),
 * and dL/dγ = Σ g ⊙ x̂, dL/dβ = Σ g over the entries that share that γ, β.
 */
import type { AttrSpec, OpDef } from "../op.js";
import { ShapeError } from "../op.js";
import type { Rng } from "../random.js";
import { type Tensor, sizeOf, shapeText } from "../tensor.js";
import { attr, jittered } from "./util.js";

const epsAttr: AttrSpec = { type: "number", default: 1e-5, min: 0, doc: "Added to the variance before the square root." };

// γ near 1 and β near 0 but not exactly: at γ = 1, β = 0 a checker could not tell
// whether a backward forgot to multiply by γ.
const gammaInit = (shape: number[], rng: Rng): Tensor => jittered(shape, rng, 1, 0.1);
const betaInit = (shape: number[], rng: Rng): Tensor => jittered(shape, rng, 0, 0.1);

// ---------------------------------------------------------------- layer_norm

const layerAttrs: Record<string, AttrSpec> = { eps: epsAttr };
const lastDim = (shape: number[]): number => shape[shape.length - 1];

export const layer_norm: OpDef = {
  name: "layer_norm",
  builtin: true,
  summary: "Normalise each row over the last axis, then y = γ ⊙ x̂ + β (γ, β [last])",
  formula: "x̂ = (x − μ)/σ; dL/dx = (1/σ)(ĝ − mean(ĝ) − x̂ ⊙ mean(ĝ ⊙ x̂)), ĝ = g ⊙ γ; dL/dγ = Σ_rows g ⊙ x̂, dL/dβ = Σ_rows g",
  arity: 1,
  attrs: layerAttrs,
  locality: { kind: "rowwise" },
  params: {
    gamma: { shape: ({ inputShapes }) => [lastDim(inputShapes[0])], init: gammaInit },
    beta: { shape: ({ inputShapes }) => [lastDim(inputShapes[0])], init: betaInit },
  },
  outputShape: ({ inputShapes: [x] }) => {
    if (x.length < 1 || lastDim(x) < 1)
      throw new ShapeError(`layer_norm expects x [..., D] with D ≥ 1, got ${shapeText(x)}`, 0);
    return [...x];
  },
  forward: ({ inputs: [x], params: { gamma, beta }, attrs: a }) => {
    const eps = attr<number>(layerAttrs, a, "eps");
    const D = lastDim(x.shape), rows = x.data.length / D;
    const X = x.data, G = gamma.data, Bt = beta.data, Y = new Float64Array(X.length);
    for (let r = 0; r < rows; r++) {
      const o = r * D;
      let mu = 0;
      for (let i = 0; i < D; i++) mu += X[o + i];
      mu /= D;
      let v = 0;
      for (let i = 0; i < D; i++) v += (X[o + i] - mu) * (X[o + i] - mu);
      const rstd = 1 / Math.sqrt(v / D + eps);
      for (let i = 0; i < D; i++) Y[o + i] = G[i] * (X[o + i] - mu) * rstd + Bt[i];
    }
    return { shape: [...x.shape], data: Y };
  },
  backward: ({ inputs: [x], params: { gamma }, attrs: a, gradOutput: g }) => {
    const eps = attr<number>(layerAttrs, a, "eps");
    const D = lastDim(x.shape), rows = x.data.length / D;
    const X = x.data, Gm = gamma.data, Gd = g.data;
    const dx = new Float64Array(X.length), dGamma = new Float64Array(D), dBeta = new Float64Array(D);
    for (let r = 0; r < rows; r++) {
      const o = r * D;
      let mu = 0;
      for (let i = 0; i < D; i++) mu += X[o + i];
      mu /= D;
      let v = 0;
      for (let i = 0; i < D; i++) v += (X[o + i] - mu) * (X[o + i] - mu);
      const rstd = 1 / Math.sqrt(v / D + eps);
      let meanGh = 0, meanGhXh = 0; // mean(ĝ), mean(ĝ ⊙ x̂)
      for (let i = 0; i < D; i++) {
        const xh = (X[o + i] - mu) * rstd, gh = Gd[o + i] * Gm[i];
        meanGh += gh;
        meanGhXh += gh * xh;
        dGamma[i] += Gd[o + i] * xh;
        dBeta[i] += Gd[o + i];
      }
      meanGh /= D;
      meanGhXh /= D;
      for (let i = 0; i < D; i++) {
        const xh = (X[o + i] - mu) * rstd;
        dx[o + i] = rstd * (Gd[o + i] * Gm[i] - meanGh - xh * meanGhXh);
      }
    }
    return {
      inputs: [{ shape: [...x.shape], data: dx }],
      params: { gamma: { shape: [D], data: dGamma }, beta: { shape: [D], data: dBeta } },
    };
  },
};

// ---------------------------------------------------------------- batch_norm

const batchAttrs: Record<string, AttrSpec> = { eps: epsAttr };

/** x [B, C, …spatial] as B × C × S: channel c holds entries (b, c, s), M = B·S of them. */
function groups(x: Tensor) {
  const [B, C] = x.shape;
  return { B, C, S: sizeOf(x.shape.slice(2)) };
}

export const batch_norm: OpDef = {
  name: "batch_norm",
  builtin: true,
  summary: "Training-mode batch norm: per feature (x [B, F]) or channel (x [B, C, H, W]) over batch (and H, W); y = γ·x̂ + β",
  formula: "x̂ = (x − μ_c)/σ_c over the batch; dL/dx = (1/σ)(ĝ − mean(ĝ) − x̂ ⊙ mean(ĝ ⊙ x̂)), ĝ = γ_c g; dL/dγ_c = Σ g ⊙ x̂, dL/dβ_c = Σ g",
  arity: 1,
  attrs: batchAttrs,
  params: {
    gamma: { shape: ({ inputShapes }) => [inputShapes[0][1]], init: gammaInit },
    beta: { shape: ({ inputShapes }) => [inputShapes[0][1]], init: betaInit },
  },
  outputShape: ({ inputShapes: [x] }) => {
    if (x.length < 2 || x[1] < 1)
      throw new ShapeError(`batch_norm expects x [B, F] or [B, C, H, W], got ${shapeText(x)}`, 0);
    return [...x];
  },
  forward: ({ inputs: [x], params: { gamma, beta }, attrs: a }) => {
    const eps = attr<number>(batchAttrs, a, "eps");
    const { B, C, S } = groups(x), M = B * S;
    const X = x.data, Gm = gamma.data, Bt = beta.data, Y = new Float64Array(X.length);
    for (let c = 0; c < C; c++) {
      let mu = 0;
      for (let b = 0; b < B; b++) for (let s = 0, o = (b * C + c) * S; s < S; s++) mu += X[o + s];
      mu /= M;
      let v = 0;
      for (let b = 0; b < B; b++) for (let s = 0, o = (b * C + c) * S; s < S; s++) v += (X[o + s] - mu) * (X[o + s] - mu);
      const rstd = 1 / Math.sqrt(v / M + eps);
      for (let b = 0; b < B; b++)
        for (let s = 0, o = (b * C + c) * S; s < S; s++) Y[o + s] = Gm[c] * (X[o + s] - mu) * rstd + Bt[c];
    }
    return { shape: [...x.shape], data: Y };
  },
  backward: ({ inputs: [x], params: { gamma }, attrs: a, gradOutput: g }) => {
    const eps = attr<number>(batchAttrs, a, "eps");
    const { B, C, S } = groups(x), M = B * S;
    const X = x.data, Gm = gamma.data, Gd = g.data;
    const dx = new Float64Array(X.length), dGamma = new Float64Array(C), dBeta = new Float64Array(C);
    for (let c = 0; c < C; c++) {
      let mu = 0;
      for (let b = 0; b < B; b++) for (let s = 0, o = (b * C + c) * S; s < S; s++) mu += X[o + s];
      mu /= M;
      let v = 0;
      for (let b = 0; b < B; b++) for (let s = 0, o = (b * C + c) * S; s < S; s++) v += (X[o + s] - mu) * (X[o + s] - mu);
      const rstd = 1 / Math.sqrt(v / M + eps);
      let sumG = 0, sumGXh = 0;
      for (let b = 0; b < B; b++)
        for (let s = 0, o = (b * C + c) * S; s < S; s++) {
          sumG += Gd[o + s];
          sumGXh += Gd[o + s] * (X[o + s] - mu) * rstd;
        }
      dGamma[c] = sumGXh;
      dBeta[c] = sumG;
      // ĝ = γ_c·g, so mean(ĝ) = γ_c·sumG/M and mean(ĝ ⊙ x̂) = γ_c·sumGXh/M.
      const meanGh = (Gm[c] * sumG) / M, meanGhXh = (Gm[c] * sumGXh) / M;
      for (let b = 0; b < B; b++)
        for (let s = 0, o = (b * C + c) * S; s < S; s++) {
          const xh = (X[o + s] - mu) * rstd;
          dx[o + s] = rstd * (Gm[c] * Gd[o + s] - meanGh - xh * meanGhXh);
        }
    }
    return {
      inputs: [{ shape: [...x.shape], data: dx }],
      params: { gamma: { shape: [C], data: dGamma }, beta: { shape: [C], data: dBeta } },
    };
  },
};

// ---------------------------------------------------------------- rms_norm

const rmsAttrs: Record<string, AttrSpec> = { eps: { ...epsAttr, doc: "Added to the mean square before the square root." } };

/**
 * Per row of D entries: r = 1/√(mean(x²) + eps), x̂ = x·r, y = γ ⊙ x̂. With ĝ = g ⊙ γ,
 * ∂r/∂xᵢ = −r³xᵢ/D gives dL/dx = r·(ĝ − x̂ ⊙ mean(ĝ ⊙ x̂)) — layer norm's formula without
 * the mean(ĝ) term, since nothing is subtracted.
 */
export const rms_norm: OpDef = {
  name: "rms_norm",
  builtin: true,
  summary: "Each row over the last axis divided by its root mean square, then y = γ ⊙ x̂ (γ [last])",
  formula: "x̂ = x/√(mean(x²) + eps); dL/dx = (1/rms)(ĝ − x̂ ⊙ mean(ĝ ⊙ x̂)), ĝ = g ⊙ γ; dL/dγ = Σ_rows g ⊙ x̂",
  arity: 1,
  attrs: rmsAttrs,
  locality: { kind: "rowwise" },
  params: {
    gamma: { shape: ({ inputShapes }) => [lastDim(inputShapes[0])], init: gammaInit },
  },
  outputShape: ({ inputShapes: [x] }) => {
    if (x.length < 1 || lastDim(x) < 1)
      throw new ShapeError(`rms_norm expects x [..., D] with D ≥ 1, got ${shapeText(x)}`, 0);
    return [...x];
  },
  forward: ({ inputs: [x], params: { gamma }, attrs: a }) => {
    const eps = attr<number>(rmsAttrs, a, "eps");
    const D = lastDim(x.shape), rows = x.data.length / D;
    const X = x.data, G = gamma.data, Y = new Float64Array(X.length);
    for (let r = 0; r < rows; r++) {
      const o = r * D;
      let ms = 0;
      for (let i = 0; i < D; i++) ms += X[o + i] * X[o + i];
      const rrms = 1 / Math.sqrt(ms / D + eps);
      for (let i = 0; i < D; i++) Y[o + i] = G[i] * X[o + i] * rrms;
    }
    return { shape: [...x.shape], data: Y };
  },
  backward: ({ inputs: [x], params: { gamma }, attrs: a, gradOutput: g }) => {
    const eps = attr<number>(rmsAttrs, a, "eps");
    const D = lastDim(x.shape), rows = x.data.length / D;
    const X = x.data, Gm = gamma.data, Gd = g.data;
    const dx = new Float64Array(X.length), dGamma = new Float64Array(D);
    for (let r = 0; r < rows; r++) {
      const o = r * D;
      let ms = 0;
      for (let i = 0; i < D; i++) ms += X[o + i] * X[o + i];
      const rrms = 1 / Math.sqrt(ms / D + eps);
      let meanGhXh = 0; // mean(ĝ ⊙ x̂)
      for (let i = 0; i < D; i++) {
        const xh = X[o + i] * rrms;
        meanGhXh += Gd[o + i] * Gm[i] * xh;
        dGamma[i] += Gd[o + i] * xh;
      }
      meanGhXh /= D;
      for (let i = 0; i < D; i++) dx[o + i] = rrms * (Gd[o + i] * Gm[i] - X[o + i] * rrms * meanGhXh);
    }
    return { inputs: [{ shape: [...x.shape], data: dx }], params: { gamma: { shape: [D], data: dGamma } } };
  },
};

export const normOps: OpDef[] = [layer_norm, batch_norm, rms_norm];
