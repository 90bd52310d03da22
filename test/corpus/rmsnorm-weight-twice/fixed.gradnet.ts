// Corpus case rmsnorm-weight-twice — corrected twin of bug.gradnet.ts: the variance term carries the weight once (inside s).
// Source: https://github.com/NVIDIA/Megatron-LM/pull/6859 (BatchInvariantRMSNormFn)
// What the author's backward computed for the variance term: "- w_k r^3 x_k s / D", where
// s = Σᵢ gᵢ xᵢ wᵢ already carries the weight: the weight is applied twice.
//
// y_k = x_k·r·w_k with r = (mean_j x_j² + ε)^(−1/2), so
// dL/dx_k = g_k w_k r − (r³ x_k / D)·Σᵢ gᵢ xᵢ wᵢ and dL/dw_k = Σ_rows g_k x_k r.
// The weight is not 1 here: a weight of exactly 1 hides the bug.
import { defineOp, network, tensor } from "gradlens";

const EPS = 1e-6;

const rmsNorm = defineOp({
  name: "rmsNorm",
  params: { w: { shape: ({ inputShapes: [x] }) => [x[x.length - 1]], init: "ones" } },
  forward: ({ inputs: [x], params: { w } }) => {
    const D = w.data.length;
    const y = tensor(x.shape);
    for (let row = 0; row < x.data.length; row += D) {
      let ms = 0;
      for (let i = 0; i < D; i++) ms += x.data[row + i] ** 2;
      const r = 1 / Math.sqrt(ms / D + EPS);
      for (let i = 0; i < D; i++) y.data[row + i] = x.data[row + i] * r * w.data[i];
    }
    return y;
  },
  backward: ({ inputs: [x], params: { w }, gradOutput: g }) => {
    const D = w.data.length;
    const dx = tensor(x.shape);
    const dw = tensor(w.shape);
    for (let row = 0; row < x.data.length; row += D) {
      let ms = 0;
      for (let i = 0; i < D; i++) ms += x.data[row + i] ** 2;
      const r = 1 / Math.sqrt(ms / D + EPS);
      let s = 0; // Σᵢ gᵢ xᵢ wᵢ
      for (let i = 0; i < D; i++) s += g.data[row + i] * x.data[row + i] * w.data[i];
      for (let k = 0; k < D; k++) {
        dx.data[row + k] = g.data[row + k] * w.data[k] * r - (r ** 3 * x.data[row + k] * s) / D; // the weight is inside s
        dw.data[k] += g.data[row + k] * x.data[row + k] * r;
      }
    }
    return { inputs: [dx], params: { w: dw } };
  },
});

export default network({
  name: "corpus-rmsnorm-weight-twice-fixed",
  seed: 1,
  inputs: { x: { shape: [4, 3] }, target: { shape: [4, 4] } },
  nodes: [
    { id: "fc", op: "linear", units: 4 },
    { id: "norm", op: rmsNorm, params: { w: [1.4, 0.6, 1.1, 0.8] } },
    { id: "loss", op: "mse", inputs: ["norm", "target"] },
  ],
});
