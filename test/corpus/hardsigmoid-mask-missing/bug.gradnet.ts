// Corpus case hardsigmoid-mask-missing — BUG.
// Source: https://github.com/pytorch/pytorch/issues/51408 (hardsigmoid_backward, PyTorch 1.5): for inputs
// in [−5, −2] the reporter got "input1.grad: tensor([[0.1667, 0.1667], [0.1667, 0.1667]])" — the slope
// 1/6 everywhere, "I think the result should be [[0.0000,0.0000],[0.0000,0.1667]]".
//
// hardsigmoid(x) = clamp(x/6 + 1/2, 0, 1); its derivative is 1/6 on (−3, 3) and 0 outside, where the
// output is flat: the backward must mask the gradient there.
import { defineOp, map, network } from "gradlens";

const hardsigmoid = defineOp({
  name: "hardsigmoid",
  forward: ({ inputs: [x] }) => map(x, (v) => Math.min(Math.max(v / 6 + 0.5, 0), 1)),
  backward: ({ gradOutput: grad }) => ({
    inputs: [map(grad, (g) => g / 6)], // BUG: grad · 1/6 everywhere — the mask −3 < x < 3 is not applied
  }),
});

export default network({
  name: "corpus-hardsigmoid-mask-missing",
  seed: 15,
  inputs: { x: { shape: [4, 3] }, target: { shape: [4, 3] } },
  nodes: [
    // weights this large put some pre-activations beyond ±3 (where the output is flat)
    { id: "fc", op: "linear", units: 3, params: { W: [[3.0, -2.2, 1.5], [-1.8, 2.6, 2.0], [2.4, 1.2, -2.8]] } },
    { id: "act", op: hardsigmoid },
    { id: "loss", op: "mse", inputs: ["act", "target"] },
  ],
});
