// Corpus case l2normalize-diagonal-only — corrected twin of bug.gradnet.ts: dL/dx = (g − y·⟨g, y⟩)/‖x‖, the full Jacobian.
// Source: https://github.com/AlexeyAB/darknet/issues/3949 (also pjreddie/darknet#1837), l2normalize_cpu in
// bias.c, after x[index] /= sum (sum = the row's norm):
//     dx[index] = (1 - x[index]) / sum;
// "dx must be the gradient of x[index]/sum, but is it correct?" — an elementwise factor, the backward then
// multiplies delta by it: the diagonal only, and a wrong diagonal.
//
// y = x/‖x‖ per row: ∂yᵢ/∂xⱼ = (δᵢⱼ − yᵢyⱼ)/‖x‖, so dL/dx = (g − y·⟨g, y⟩)/‖x‖.
import { defineOp, network, tensor } from "gradlens";

const D = 4;

const l2normalize = defineOp({
  name: "l2normalize",
  forward: ({ inputs: [x] }) => {
    const y = tensor(x.shape);
    for (let row = 0; row < x.data.length; row += D) {
      let s = 0;
      for (let i = 0; i < D; i++) s += x.data[row + i] ** 2;
      const sum = Math.sqrt(s);
      for (let i = 0; i < D; i++) y.data[row + i] = x.data[row + i] / sum;
    }
    return y;
  },
  backward: ({ inputs: [x], output: y, gradOutput: delta }) => {
    const dx = tensor(x.shape);
    for (let row = 0; row < x.data.length; row += D) {
      let s = 0;
      for (let i = 0; i < D; i++) s += x.data[row + i] ** 2;
      const sum = Math.sqrt(s);
      let gy = 0; // ⟨g, y⟩: the −yᵢyⱼ terms of the Jacobian live here
      for (let i = 0; i < D; i++) gy += delta.data[row + i] * y.data[row + i];
      for (let i = 0; i < D; i++) dx.data[row + i] = (delta.data[row + i] - y.data[row + i] * gy) / sum;
    }
    return { inputs: [dx] };
  },
});

export default network({
  name: "corpus-l2normalize-diagonal-only-fixed",
  seed: 36,
  inputs: { x: { shape: [4, 3] }, target: { shape: [4, 4] } },
  nodes: [
    { id: "fc", op: "linear", units: D },
    { id: "n", op: l2normalize },
    { id: "loss", op: "mse", inputs: ["n", "target"] },
  ],
});
