// Corpus case selu-negative-branch — corrected twin of bug.gradnet.ts: y + BETA on the negative side.
// Source: https://github.com/RubixML/ML/pull/427 (Fix SELU negative branch). The report: "x≤0 → BETA·(eˣ−1),
// so d/dx = BETA·eˣ where BETA = SCALE·ALPHA. The correct value is ... output + BETA. The code multiplies
// by SCALE again and uses ALPHA, overstating the gradient. Verified: at x=-0.5 true=1.066341 vs
// code=1.031268; at x=-10 true=0.00008 vs code=-0.089 (even wrong sign)."
//
// selu(x) = SCALE·x for x > 0, BETA(e^x − 1) otherwise; selu'(x) = SCALE, or BETA·e^x = y + BETA.
import { defineOp, map, network, zip } from "gradlens";

const ALPHA = 1.6732632423543772;
const SCALE = 1.0507009873554805;
const BETA = SCALE * ALPHA;

const selu = defineOp({
  name: "selu",
  forward: ({ inputs: [x] }) => map(x, (v) => (v > 0 ? SCALE * v : BETA * (Math.exp(v) - 1))),
  backward: ({ inputs: [x], output: y, gradOutput: g }) => ({
    inputs: [zip(g, zip(x, y, (xi, yi) => (xi > 0 ? SCALE : yi + BETA)), (gi, d) => gi * d)], // BETA·e^x = y + BETA where x ≤ 0
  }),
});

export default network({
  name: "corpus-selu-negative-branch-fixed",
  seed: 13,
  inputs: { x: { shape: [4, 3] }, target: { shape: [4, 3] } },
  nodes: [
    { id: "fc", op: "linear", units: 3 },
    { id: "act", op: selu },
    { id: "loss", op: "mse", inputs: ["act", "target"] },
  ],
});
