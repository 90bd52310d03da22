// Corpus case avgpool-ceil-overhang-divisor — corrected twin of bug.gradnet.ts: the backward divides by the same clipped count as the forward.
// Source: https://github.com/tracel-ai/burn/issues/5604 (avg_pool2d_backward divisor disagrees with forward in
// ceil_mode with count_include_pad): "forward divides an overhanging last window by the clipped window size,
// but avg_pool2d_backward divides by the full kernel volume" — "width 5, kernel 2, stride 2, ceil_mode -> 3
// outputs; last window holds one valid element ... x_grad[4] should be 1.0". Same bug in PyTorch's Inductor:
// https://github.com/pytorch/pytorch/issues/198119.
//
// y[j] = (1/n_j) Σ over window j of x, n_j = the window's size clipped to the input; dL/dx = g[j]/n_j.
import { defineOp, network, tensor } from "gradlens";

const KERNEL = 2;
const STRIDE = 2;

const outWidth = (W: number) => Math.ceil((W - KERNEL) / STRIDE) + 1; // ceil_mode: the last window may overhang
const windowCount = (W: number, j: number) => Math.min(j * STRIDE + KERNEL, W) - j * STRIDE;

const avgPool = defineOp({
  name: "avgPool",
  forward: ({ inputs: [x] }) => {
    const [B, W] = x.shape;
    const Wo = outWidth(W);
    const y = tensor([B, Wo]);
    for (let b = 0; b < B; b++)
      for (let j = 0; j < Wo; j++) {
        let s = 0;
        for (let k = j * STRIDE; k < Math.min(j * STRIDE + KERNEL, W); k++) s += x.data[b * W + k];
        y.data[b * Wo + j] = s / windowCount(W, j); // the clipped window
      }
    return y;
  },
  backward: ({ inputs: [x], gradOutput: grad }) => {
    const [B, W] = x.shape;
    const Wo = outWidth(W);
    const dx = tensor(x.shape);
    for (let b = 0; b < B; b++)
      for (let j = 0; j < Wo; j++)
        for (let k = j * STRIDE; k < Math.min(j * STRIDE + KERNEL, W); k++) dx.data[b * W + k] += grad.data[b * Wo + j] / windowCount(W, j); // the clipped window, as in the forward
    return { inputs: [dx] };
  },
});

export default network({
  name: "corpus-avgpool-ceil-overhang-divisor-fixed",
  seed: 29,
  inputs: { x: { shape: [4, 3] }, target: { shape: [4, 3] } },
  nodes: [
    { id: "fc", op: "linear", units: 5 },
    { id: "pool", op: avgPool },
    { id: "loss", op: "mse", inputs: ["pool", "target"] },
  ],
});
