// BUGGY on purpose: cross-entropy with its gradient's sign flipped.
//
// L = −log pₐ (a = the true class), so ∂L/∂pₐ = −1/pₐ: raising the probability
// of the true class lowers the loss. The backward below returns +1/pₐ.
// gradlens: node loss fails with "sign" (analytic ≈ −numeric).
// The fix is in examples/custom/layers.ts (crossEntropy).
import { defineOp, get, network, set, tensor, zeros } from "gradlens";

const crossEntropy = defineOp({
  name: "crossEntropy",
  forward: ({ inputs: [p, y] }) => {
    const [B] = p.shape;
    let loss = 0;
    for (let b = 0; b < B; b++) loss -= Math.log(get(p, b, get(y, b)));
    return tensor([], [loss / B]);
  },
  backward: ({ inputs: [p, y], gradOutput: g }) => {
    const [B] = p.shape;
    const dp = zeros(p.shape);
    for (let b = 0; b < B; b++) set(dp, [b, get(y, b)], (1 / (B * get(p, b, get(y, b)))) * g.data[0]); // BUG: should be −1/(B·pₐ)
    return { inputs: [dp, null] };
  },
});

export default network({
  name: "buggy-cross-entropy-sign",
  seed: 1,
  inputs: { x: { shape: [4, 3] }, y: { shape: [4], classes: 3 } },
  nodes: [
    { id: "fc", op: "linear", units: 3 },
    { id: "p", op: "softmax" },
    { id: "loss", op: crossEntropy, inputs: ["p", "y"] },
  ],
});
