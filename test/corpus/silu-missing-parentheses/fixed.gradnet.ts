// Corpus case silu-missing-parentheses — corrected twin of bug.gradnet.ts: the parentheses the comment meant.
// Source: https://github.com/chelsea0x3b/dfdx/pull/915 (Add SiLU activation function), the reviewer:
// "Are you missing parentheses here?" on
//     F::one() + exp_nx + *x * exp_nx / (F::one() + exp_nx).powi(2)
// The comment above it says what was meant: (1 + e^-x + x * e^-x) / (1 + e^-x)^2.
//
// silu(x) = x·σ(x), silu'(x) = σ(x)(1 + x(1 − σ(x))) = (1 + e^−x + x e^−x) / (1 + e^−x)².
import { defineOp, map, network, zip } from "gradlens";

const silu = defineOp({
  name: "silu",
  forward: ({ inputs: [x] }) => map(x, (v) => v / (1 + Math.exp(-v))),
  backward: ({ inputs: [x], gradOutput: g }) => {
    const df = map(x, (v) => {
      const expNx = Math.exp(-v);
      return (1 + expNx + v * expNx) / (1 + expNx) ** 2;
    });
    return { inputs: [zip(g, df, (gi, d) => gi * d)] };
  },
});

export default network({
  name: "corpus-silu-missing-parentheses-fixed",
  seed: 9,
  inputs: { x: { shape: [4, 3] }, target: { shape: [4, 3] } },
  nodes: [
    { id: "fc", op: "linear", units: 3 },
    { id: "act", op: silu },
    { id: "loss", op: "mse", inputs: ["act", "target"] },
  ],
});
