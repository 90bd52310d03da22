// Corpus case pow-gradient-copied-from-relu — corrected twin of bug.gradnet.ts: the power rule g·p·x^(p−1).
// Source: https://github.com/ahrefs/ocannl/issues/73 (Major bug: `pointpow` (exponentiation) gradient op is
// missing): "There's a copy-pasted `relu` gradient there."
//
// y = x^p: dL/dx = g·p·x^(p−1). ReLU's rule, g·[x > 0], is another op's.
import { defineOp, map, network, zip } from "gradlens";

const P = 2;

const pointpow = defineOp({
  name: "pointpow",
  forward: ({ inputs: [x] }) => map(x, (v) => v ** P),
  backward: ({ inputs: [x], gradOutput: g }) => ({
    inputs: [zip(x, g, (v, gi) => gi * P * v ** (P - 1))], // p·x^(p−1)
  }),
});

export default network({
  name: "corpus-pow-gradient-copied-from-relu-fixed",
  seed: 35,
  inputs: { x: { shape: [4, 3] }, target: { shape: [4, 3] } },
  nodes: [
    { id: "fc", op: "linear", units: 3 },
    { id: "sq", op: pointpow },
    { id: "loss", op: "mse", inputs: ["sq", "target"] },
  ],
});
