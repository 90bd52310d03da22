// Corpus case hardsigmoid-mask-missing — corrected twin of bug.gradnet.ts: the gradient is g/6 where
// −3 < x < 3 and 0 where the output is clamped.
import { defineOp, map, network, zip } from "gradlens";

const hardsigmoid = defineOp({
  name: "hardsigmoid",
  forward: ({ inputs: [x] }) => map(x, (v) => Math.min(Math.max(v / 6 + 0.5, 0), 1)),
  backward: ({ inputs: [x], gradOutput: grad }) => ({
    inputs: [zip(x, grad, (v, g) => (v > -3 && v < 3 ? g / 6 : 0))],
  }),
});

export default network({
  name: "corpus-hardsigmoid-mask-missing-fixed",
  seed: 15,
  inputs: { x: { shape: [4, 3] }, target: { shape: [4, 3] } },
  nodes: [
    // weights this large put some pre-activations beyond ±3 (where the output is flat)
    { id: "fc", op: "linear", units: 3, params: { W: [[3.0, -2.2, 1.5], [-1.8, 2.6, 2.0], [2.4, 1.2, -2.8]] } },
    { id: "act", op: hardsigmoid },
    { id: "loss", op: "mse", inputs: ["act", "target"] },
  ],
});
