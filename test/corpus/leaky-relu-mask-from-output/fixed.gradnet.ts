// Corpus case leaky-relu-mask-from-output — corrected twin of bug.gradnet.ts: the branch is decided on the input x.
// Source: https://github.com/chainer/chainer/pull/5898 (Fix broken `F.leaky_relu` grad when slope = 0):
// "When slope = 0, `F.leaky_relu` backpropagated all gradients, even at x < 0." The backward chose the
// branch from the output with the forward's kernel, 'y = cond >= 0 ? x : (T)(slope * x)', cond = y:
// with slope 0 the output of a negative x is (−)0, which passes `>= 0`.
//
// leaky_relu(x) = x for x ≥ 0, slope·x otherwise; dL/dx = g where x > 0, slope·g where x < 0.
import { defineOp, map, network, zip } from "gradlens";

const SLOPE = 0;

const leakyRelu = defineOp({
  name: "leakyRelu",
  forward: ({ inputs: [x] }) => map(x, (v) => (v >= 0 ? v : SLOPE * v)),
  backward: ({ inputs: [x], gradOutput: gy }) => ({
    inputs: [zip(x, gy, (v, g) => (v > 0 ? g : SLOPE * g))], // decided on the input
  }),
});

export default network({
  name: "corpus-leaky-relu-mask-from-output-fixed",
  seed: 16,
  inputs: { x: { shape: [4, 3] }, target: { shape: [4, 3] } },
  nodes: [
    { id: "fc", op: "linear", units: 3 },
    { id: "act", op: leakyRelu },
    { id: "loss", op: "mse", inputs: ["act", "target"] },
  ],
});
