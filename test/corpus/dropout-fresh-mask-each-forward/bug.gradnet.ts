// Corpus case dropout-fresh-mask-each-forward — BUG.
// Source: https://github.com/pytorch/pytorch/pull/62315 (OpInfo for dropout): gradcheck of dropout in training
// mode gave "numerical:tensor(-8101425.5804) analytical:tensor(0.9649)" — every forward call draws a new mask,
// so the finite difference (f(x + h) − f(x − h))/2h compares two different functions. Also
// https://github.com/torch/tutorials/issues/25 ("gradient checking on the Dropout is showing large error").
// Today's API has no seeded rng for a forward; a user writes what one writes in NumPy: Math.random().
//
// Inverted dropout: y = x ⊙ m/(1 − p) with a mask m drawn once; dL/dx = g ⊙ m/(1 − p) with the same m.
import { defineOp, network, tensor, zip } from "gradlens";

const P = 0.5;
let mask: Float64Array = new Float64Array(0); // the mask of the last forward, for the backward

const dropout = defineOp({
  name: "dropout",
  forward: ({ inputs: [x] }) => {
    mask = Float64Array.from(x.data, () => (Math.random() < P ? 0 : 1 / (1 - P))); // BUG: a fresh mask on every forward call
    return tensor(x.shape, x.data.map((v, i) => v * mask[i]));
  },
  backward: ({ gradOutput: g }) => ({ inputs: [zip(g, tensor(g.shape, mask), (gi, m) => gi * m)] }),
});

export default network({
  name: "corpus-dropout-fresh-mask-each-forward",
  seed: 24,
  inputs: { x: { shape: [4, 3] }, target: { shape: [4, 2] } },
  nodes: [
    { id: "fc1", op: "linear", units: 4 },
    { id: "drop", op: dropout },
    { id: "fc2", op: "linear", units: 2 },
    { id: "loss", op: "mse", inputs: ["fc2", "target"] },
  ],
});
