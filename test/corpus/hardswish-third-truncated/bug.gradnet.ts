// Corpus case hardswish-third-truncated — BUG (small: a relative error of about 1e-4).
// Source: https://github.com/tenstorrent/tt-metal/issues/55291 (ttnn.hardswish_bw ... uses 0.3333 for 1/3)
//     where(lt(input, -3.0f), 0.f, where(le(input, 3.0f), grad * (input * 0.3333f + 0.5f), grad))
// "the slope constant is 0.3333f while the forward hardswish kernel uses the correctly rounded 1/6".
// In float64 a relative error of 1e-4 is a bug, not rounding: the finite difference here is good to ~1e-9.
//
// hardswish(x) = x·relu6(x + 3)/6; its derivative is 0 for x < −3, x/3 + 1/2 on [−3, 3], 1 above.
import { defineOp, map, network, zip } from "gradlens";

const hardswish = defineOp({
  name: "hardswish",
  forward: ({ inputs: [x] }) => map(x, (v) => (v * Math.min(Math.max(v + 3, 0), 6)) / 6),
  backward: ({ inputs: [input], gradOutput: grad }) => ({
    inputs: [zip(input, grad, (x, g) => (x < -3 ? 0 : x <= 3 ? g * (x * 0.3333 + 0.5) : g))], // BUG: 0.3333 for 1/3
  }),
});

export default network({
  name: "corpus-hardswish-third-truncated",
  seed: 14,
  inputs: { x: { shape: [4, 3] }, target: { shape: [4, 3] } },
  nodes: [
    // weights this large put some pre-activations beyond ±3, most of them inside
    { id: "fc", op: "linear", units: 3, params: { W: [[2.5, -1.8, 1.2], [-1.4, 2.2, 1.6], [1.9, 0.9, -2.4]] } },
    { id: "act", op: hardswish },
    { id: "loss", op: "mse", inputs: ["act", "target"] },
  ],
});
