// Corpus case division-quotient-rule — BUG.
// Source: https://github.com/apache/singa/pull/484 (SINGA-475 add Div operator): the first backward,
//     return singa.__div__(dy, self.input[0]), singa.__mul__(dy, self.input[1])
// and the reviewer: "the gradients should be: dy/dx_1 = b^-1, dy/dx_2 = -a*b^-2".
//
// y = a / b: dL/da = g / b, dL/db = −g·a / b² (the quotient rule).
import { defineOp, div, mul, network } from "gradlens";

const divide = defineOp({
  name: "divide",
  forward: ({ inputs: [a, b] }) => div(a, b),
  backward: ({ inputs: [a, b], gradOutput: dy }) => ({
    inputs: [div(dy, a), mul(dy, b)], // BUG: dy/a and dy·b; should be dy/b and −dy·a/b²
  }),
});

export default network({
  name: "corpus-division-quotient-rule",
  seed: 34,
  inputs: { x: { shape: [4, 3] }, target: { shape: [4, 3] } },
  nodes: [
    { id: "num", op: "linear", units: 3, inputs: ["x"] },
    { id: "fd", op: "linear", units: 3, inputs: ["x"] },
    { id: "den", op: "softplus", inputs: ["fd"] },
    { id: "q", op: divide, inputs: ["num", "den"] },
    { id: "loss", op: "mse", inputs: ["q", "target"] },
  ],
});
