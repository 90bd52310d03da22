// Corpus case inplace-write-into-gradoutput — BUG.
// Source: https://github.com/unslothai/unsloth/pull/4550 (compute RMSNorm weight gradients in
// fast_rms_layernorm backward): "For the non-Gemma path, `dX` aliases the incoming `dY` tensor; the Triton
// backward kernel overwrites that buffer with ∂L/∂X, so any `dW` logic that ran **after** the kernel was
// using the wrong tensor."
//
// RMSNorm y = x·r·w, r = (mean x² + ε)^(−1/2): dL/dx_k = r(ĝ_k − x̂_k·mean(ĝ x̂)) with ĝ = g ⊙ w,
// x̂ = x·r; dL/dw = Σ_rows g ⊙ x̂ — from the upstream gradient g, which the backward must not overwrite.
import { defineOp, network, tensor } from "gradlens";

const EPS = 1e-6;

const fastRmsLayernorm = defineOp({
  name: "fastRmsLayernorm",
  params: { W: { shape: ({ inputShapes: [x] }) => [x[x.length - 1]], init: "ones" } },
  forward: ({ inputs: [X], params: { W } }) => {
    const D = W.data.length;
    const Y = tensor(X.shape);
    for (let row = 0; row < X.data.length; row += D) {
      let ms = 0;
      for (let i = 0; i < D; i++) ms += X.data[row + i] ** 2;
      const r = 1 / Math.sqrt(ms / D + EPS);
      for (let i = 0; i < D; i++) Y.data[row + i] = X.data[row + i] * r * W.data[i];
    }
    return Y;
  },
  backward: ({ inputs: [X], params: { W }, gradOutput: dY }) => {
    const D = W.data.length;
    const dX = dY; // BUG: dX aliases the incoming dY; the kernel below overwrites that buffer
    for (let row = 0; row < X.data.length; row += D) {
      let ms = 0;
      for (let i = 0; i < D; i++) ms += X.data[row + i] ** 2;
      const r = 1 / Math.sqrt(ms / D + EPS);
      let meanGX = 0;
      for (let i = 0; i < D; i++) meanGX += (dY.data[row + i] * W.data[i] * X.data[row + i] * r) / D;
      for (let i = 0; i < D; i++) dX.data[row + i] = r * (dY.data[row + i] * W.data[i] - X.data[row + i] * r * meanGX);
    }
    const dW = tensor(W.shape); // computed after the kernel, from dY — which now holds dX
    for (let row = 0; row < X.data.length; row += D) {
      let ms = 0;
      for (let i = 0; i < D; i++) ms += X.data[row + i] ** 2;
      const r = 1 / Math.sqrt(ms / D + EPS);
      for (let i = 0; i < D; i++) dW.data[i] += dY.data[row + i] * X.data[row + i] * r;
    }
    return { inputs: [dX], params: { W: dW } };
  },
});

export default network({
  name: "corpus-inplace-write-into-gradoutput",
  seed: 27,
  inputs: { x: { shape: [4, 3] }, target: { shape: [4, 4] } },
  nodes: [
    { id: "fc", op: "linear", units: 4 },
    { id: "norm", op: fastRmsLayernorm, params: { W: [1.2, 0.7, 1.1, 0.9] } },
    { id: "loss", op: "mse", inputs: ["norm", "target"] },
  ],
});
