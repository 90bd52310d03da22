// Corpus case sigmoid-derivative-of-input — corrected twin of bug.gradnet.ts: σ'(x) = y(1 − y) in the output y.
// Source: https://github.com/BoltzmannEntropy/interviews.ai/issues/15 (SOL-120: Sigmoid.backward)
// The line as the book wrote it, where self.x is the forward's *input*:
//     grad_input = self.x*(1-self.x) * grad
// σ'(x) = σ(x)(1 − σ(x)) = y(1 − y) is written in the *output* y, not the input x.
import { defineOp, map, network, zip } from "gradlens";

const sigmoid = defineOp({
  name: "sigmoid",
  forward: ({ inputs: [x] }) => map(x, (v) => 1 / (1 + Math.exp(-v))),
  backward: ({ output: y, gradOutput: grad }) => ({
    inputs: [zip(y, grad, (yi, g) => yi * (1 - yi) * g)], // y(1 − y), the output
  }),
});

export default network({
  name: "corpus-sigmoid-derivative-of-input-fixed",
  seed: 8,
  inputs: { x: { shape: [4, 3] }, target: { shape: [4, 3] } },
  nodes: [
    { id: "fc", op: "linear", units: 3 },
    { id: "s", op: sigmoid },
    { id: "loss", op: "mse", inputs: ["s", "target"] },
  ],
});
