// Corpus case sqnorm-ignores-upstream-last-node — BUG (textbook; the buggy op is the loss, the last node).
// Source: textbook — the class of k2-fsa/k2#341, and the reproduction issue 9 of this project gives:
// "Write a squared-norm loss whose backward returns 2x". As the last node its upstream gradient is always
// 1, so g·2x = 2x there and no finite difference of this network can tell: only a check of the backward's
// linearity in g (backward(c·g) = c·backward(g)) sees that it never reads g.
//
// L = Σᵢ xᵢ², dL/dx = g·2x.
import { defineOp, map, network, tensor } from "gradlens";

const squaredNorm = defineOp({
  name: "squaredNorm",
  forward: ({ inputs: [x] }) => tensor([], [x.data.reduce((s, v) => s + v * v, 0)]),
  backward: ({ inputs: [x] }) => ({
    inputs: [map(x, (v) => 2 * v)], // BUG: 2x — the upstream gradient g is never read
  }),
});

export default network({
  name: "corpus-sqnorm-ignores-upstream-last-node",
  seed: 23,
  inputs: { x: { shape: [4, 3] } },
  nodes: [
    { id: "fc", op: "linear", units: 3 },
    { id: "h", op: "tanh" },
    { id: "loss", op: squaredNorm },
  ],
});
