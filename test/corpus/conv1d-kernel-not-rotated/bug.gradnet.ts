// Corpus case conv1d-kernel-not-rotated — BUG.
// Source: https://github.com/nntrainer/nntrainer/issues/705 (Conv2d backward fix): the checklist's last item,
// "1 channel multi filter -> multiply 180 rotated weight": the input gradient, a full convolution of the
// upstream gradient with the kernel, used the kernel as it is instead of rotated by 180°.
//
// Forward (valid cross-correlation): y[i] = Σ_u w[u]·x[i + u]. Then dL/dx[j] = Σ_u g[j − u]·w[u], i.e. g
// zero-padded by K − 1 and correlated with the kernel rotated by 180°; dL/dw[u] = Σ_i g[i]·x[i + u].
import { defineOp, network, tensor } from "gradlens";

const K = 3;

const conv1d = defineOp({
  name: "conv1d",
  params: { w: { shape: () => [K], init: "normal" } },
  forward: ({ inputs: [x], params: { w } }) => {
    const [B, L] = x.shape;
    const Lo = L - K + 1;
    const y = tensor([B, Lo]);
    for (let b = 0; b < B; b++) for (let i = 0; i < Lo; i++) for (let u = 0; u < K; u++) y.data[b * Lo + i] += w.data[u] * x.data[b * L + i + u];
    return y;
  },
  backward: ({ inputs: [x], params: { w }, gradOutput: g }) => {
    const [B, L] = x.shape;
    const Lo = L - K + 1;
    const rotated = w.data; // BUG: the kernel as it is; the full convolution needs it rotated by 180° (w[K − 1 − v])
    const dx = tensor(x.shape);
    const dw = tensor(w.shape);
    for (let b = 0; b < B; b++) {
      for (let j = 0; j < L; j++)
        for (let v = 0; v < K; v++) {
          const i = j + v - (K - 1); // g zero-padded by K − 1 on both sides
          if (i >= 0 && i < Lo) dx.data[b * L + j] += g.data[b * Lo + i] * rotated[v];
        }
      for (let i = 0; i < Lo; i++) for (let u = 0; u < K; u++) dw.data[u] += g.data[b * Lo + i] * x.data[b * L + i + u];
    }
    return { inputs: [dx], params: { w: dw } };
  },
});

export default network({
  name: "corpus-conv1d-kernel-not-rotated",
  seed: 30,
  inputs: { x: { shape: [4, 3] }, target: { shape: [4, 4] } },
  nodes: [
    { id: "fc", op: "linear", units: 6 },
    { id: "conv", op: conv1d },
    { id: "loss", op: "mse", inputs: ["conv", "target"] },
  ],
});
