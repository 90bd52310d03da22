// BUGGY on purpose: squared error whose backward forgets the 2.
//
// L = (1/N) Σ eᵢ² with e = pred − target, and d(e²)/de = 2e, so
// dL/dpred = 2e/N. The backward below returns e/N: half the true gradient.
// gradlens: node loss fails with "scale", factor 1/2.
// The fix is in examples/custom/layers.ts (squaredError).
import { defineOp, map, mean, network, scale, sub } from "gradlens";

const squaredError = defineOp({
  name: "squaredError",
  forward: ({ inputs: [pred, target] }) => mean(map(sub(pred, target), (e) => e * e)),
  backward: ({ inputs: [pred, target], gradOutput: g }) => {
    const dPred = scale(sub(pred, target), g.data[0] / pred.data.length); // BUG: the factor 2 is missing
    return { inputs: [dPred, scale(dPred, -1)] };
  },
});

export default network({
  name: "buggy-squared-error",
  seed: 3,
  inputs: { x: { shape: [4, 3] }, target: { shape: [4, 2] } },
  nodes: [
    { id: "fc", op: "linear", units: 2 },
    { id: "h", op: "tanh" },
    { id: "loss", op: squaredError, inputs: ["h", "target"] },
  ],
});
