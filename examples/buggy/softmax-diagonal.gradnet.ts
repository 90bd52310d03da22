// BUGGY on purpose: a softmax backward that keeps only the j = a case.
//
// ∂pⱼ/∂lₖ = pⱼ(δⱼₖ − pₖ): on the diagonal (j = k) that is pⱼ(1 − pⱼ), and off
// the diagonal (j ≠ k) it is −pⱼpₖ — every probability moves when any logit
// moves. The backward below uses only the diagonal, as if each pⱼ depended on
// lⱼ alone. gradlens: node p fails with "missing-off-diagonal".
// The fix is in examples/custom/layers.ts (mySoftmax).
import { defineOp, map, mul, network, softmax } from "gradlens";

const mySoftmax = defineOp({
  name: "mySoftmax",
  forward: ({ inputs: [l] }) => softmax(l),
  backward: ({ output: p, gradOutput: g }) => ({
    inputs: [mul(g, map(p, (pj) => pj * (1 - pj)))], // BUG: the −pⱼpₖ terms (j ≠ k) are missing
  }),
});

export default network({
  name: "buggy-softmax-diagonal",
  seed: 1,
  inputs: { x: { shape: [4, 3] }, y: { shape: [4], classes: 3 } },
  nodes: [
    { id: "fc", op: "linear", units: 3 },
    { id: "p", op: mySoftmax },
    { id: "loss", op: "cross_entropy", inputs: ["p", "y"] },
  ],
});
