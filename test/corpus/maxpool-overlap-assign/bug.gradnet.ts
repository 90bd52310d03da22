// Corpus case maxpool-overlap-assign — BUG.
// Source: https://github.com/ghosert/cmd-editor/issues/2058 (max pooling backward, the learn_dl CNN code):
// "the pooling window also slides, so one element of x may be taken by several windows; backward should add
// the sensitivity maps":
//     self.delta_array[d, i * self.stride + k, j * self.stride + l] = sensitivity_array[d,i,j]
// should be `+=`. With stride 1 and a 2×2 window the windows overlap, and an input that is the maximum of two
// windows keeps only the last window's gradient. (Same class: https://github.com/ahrefs/ocannl/issues/512.)
//
// y[i, j] = max of the window at (i·s, j·s); dL/dx = Σ over windows of g[i, j] at that window's argmax.
import { defineOp, network, tensor } from "gradlens";

const K = 2;
const STRIDE = 1;

function argmaxOfWindow(x: Float64Array, base: number, W: number, i: number, j: number): number {
  let best = base + i * STRIDE * W + j * STRIDE;
  for (let k = 0; k < K; k++)
    for (let l = 0; l < K; l++) {
      const at = base + (i * STRIDE + k) * W + (j * STRIDE + l);
      if (x[at] > x[best]) best = at;
    }
  return best;
}

const maxPool = defineOp({
  name: "maxPool",
  forward: ({ inputs: [x] }) => {
    const [B, C, H, W] = x.shape;
    const Ho = (H - K) / STRIDE + 1;
    const Wo = (W - K) / STRIDE + 1;
    const y = tensor([B, C, Ho, Wo]);
    for (let d = 0; d < B * C; d++)
      for (let i = 0; i < Ho; i++) for (let j = 0; j < Wo; j++) y.data[(d * Ho + i) * Wo + j] = x.data[argmaxOfWindow(x.data, d * H * W, W, i, j)];
    return y;
  },
  backward: ({ inputs: [x], gradOutput: sensitivity }) => {
    const [B, C, H, W] = x.shape;
    const Ho = (H - K) / STRIDE + 1;
    const Wo = (W - K) / STRIDE + 1;
    const delta = tensor(x.shape);
    for (let d = 0; d < B * C; d++)
      for (let i = 0; i < Ho; i++)
        for (let j = 0; j < Wo; j++) delta.data[argmaxOfWindow(x.data, d * H * W, W, i, j)] = sensitivity.data[(d * Ho + i) * Wo + j]; // BUG: `=` where `+=` belongs
    return { inputs: [delta] };
  },
});

export default network({
  name: "corpus-maxpool-overlap-assign",
  seed: 28,
  inputs: { x: { shape: [2, 1, 4, 4] }, target: { shape: [2, 1, 3, 3] } },
  nodes: [
    { id: "h", op: "tanh", inputs: ["x"] },
    { id: "pool", op: maxPool },
    { id: "loss", op: "mse", inputs: ["pool", "target"] },
  ],
});
