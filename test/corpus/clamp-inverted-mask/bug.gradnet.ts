// Corpus case clamp-inverted-mask — BUG.
// Source: https://github.com/tenstorrent/tt-metal/issues/48201 (clamp_bw / clip_bw: inverted ge/le in tensor
// both-bounds branch produces all-zero gradients):
//     Tensor minT = ttnn::le(input, min.value(), ...);  // (input <= min)
//     Tensor maxT = ttnn::ge(input, max.value(), ...);  // (input >= max)
// "mask = (input <= min) AND (input >= max) — empty for any min < max".
//
// clamp(x, lo, hi) with tensor bounds: dL/dx = g·[lo ≤ x ≤ hi]; dL/dlo = g·[x < lo]; dL/dhi = g·[x > hi].
import { defineOp, network, tensor } from "gradlens";

const clamp = defineOp({
  name: "clamp",
  forward: ({ inputs: [x, lo, hi] }) => tensor(x.shape, x.data.map((v, i) => Math.min(Math.max(v, lo.data[i]), hi.data[i]))),
  backward: ({ inputs: [input, min, max], gradOutput: grad }) => {
    const dx = tensor(input.shape);
    const dmin = tensor(input.shape);
    const dmax = tensor(input.shape);
    for (let i = 0; i < input.data.length; i++) {
      const minT = input.data[i] <= min.data[i]; // BUG: le where ge belongs (input >= min)
      const maxT = input.data[i] >= max.data[i]; // BUG: ge where le belongs (input <= max)
      dx.data[i] = minT && maxT ? grad.data[i] : 0;
      dmin.data[i] = input.data[i] < min.data[i] ? grad.data[i] : 0;
      dmax.data[i] = input.data[i] > max.data[i] ? grad.data[i] : 0;
    }
    return { inputs: [dx, dmin, dmax] };
  },
});

export default network({
  name: "corpus-clamp-inverted-mask",
  seed: 18,
  inputs: {
    x: { shape: [4, 3] },
    lo: { values: [[-0.6, -0.5, -0.4], [-0.6, -0.5, -0.4], [-0.6, -0.5, -0.4], [-0.6, -0.5, -0.4]] },
    hi: { values: [[0.5, 0.6, 0.7], [0.5, 0.6, 0.7], [0.5, 0.6, 0.7], [0.5, 0.6, 0.7]] },
    target: { shape: [4, 3] },
  },
  nodes: [
    { id: "fc", op: "linear", units: 3, inputs: ["x"] },
    { id: "c", op: clamp, inputs: ["fc", "lo", "hi"] },
    { id: "loss", op: "mse", inputs: ["c", "target"] },
  ],
});
