// Corpus case clip-grad-squared — corrected twin of bug.gradnet.ts: g once.
// Source: https://github.com/elixir-nx/nx/pull/1779 (Fix Nx.clip gradient applying upstream grad twice (g²)):
// "the `:clip` rule builds its selection masks with `g` already inside them:
//     w_operand = Nx.select(..., g, 0.0)
// …and then multiplies by `g` a second time when assembling the result. So `clip` backprops g² instead of g."
// The existing tests differentiated sum(clip(x)), where g = 1 and g² = g.
//
// clip(x, lo, hi) passes g through where lo < x < hi and gives 0 elsewhere: dL/dx = g·[lo < x < hi].
import { defineOp, map, network, zip } from "gradlens";

const LO = -1;
const HI = 1;

const clip = defineOp({
  name: "clip",
  forward: ({ inputs: [x] }) => map(x, (v) => Math.min(Math.max(v, LO), HI)),
  backward: ({ inputs: [operand], gradOutput: g }) => {
    const wOperand = zip(operand, g, (x, gi) => (x > LO && x < HI ? gi : 0)); // the mask, with g already in it
    return { inputs: [wOperand] }; // g·[lo < x < hi], g once
  },
});

export default network({
  name: "corpus-clip-grad-squared-fixed",
  seed: 17,
  inputs: { x: { shape: [4, 3] }, target: { shape: [4, 3] } },
  nodes: [
    { id: "fc", op: "linear", units: 3 },
    { id: "c", op: clip },
    { id: "h", op: "tanh" },
    { id: "loss", op: "mse", inputs: ["h", "target"] },
  ],
});
