// BUGGY on purpose: a mean whose backward forgets the 1/N.
//
// m = (1/N) Σ xᵢ, so ∂m/∂xᵢ = 1/N for every entry. The backward below passes
// the upstream gradient through unchanged, as for a sum: N times too large
// (N = 4 × 3 = 12 entries here). gradlens: node loss fails with "scale", factor 12.
// The fix is in examples/custom/layers.ts (meanAll).
import { defineOp, full, mean, network } from "gradlens";

const meanAll = defineOp({
  name: "meanAll",
  forward: ({ inputs: [x] }) => mean(x),
  backward: ({ inputs: [x], gradOutput: g }) => ({
    inputs: [full(x.shape, g.data[0])], // BUG: should be g / N with N = x.data.length
  }),
});

export default network({
  name: "buggy-mean",
  seed: 4,
  inputs: { x: { shape: [4, 3] } },
  nodes: [
    { id: "fc", op: "linear", units: 3 },
    { id: "h", op: "tanh" },
    { id: "loss", op: meanAll },
  ],
});
