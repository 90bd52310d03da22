// BUGGY on purpose: a backward left as a placeholder that returns zeros.
//
// y = tanh x has dy/dx = 1 − y², never zero. The backward below was stubbed
// out with zeros "for now" — so every layer before it gets no gradient either,
// and training would silently stand still. gradlens: node h fails with "zero".
// The fix is in examples/custom/layers.ts (myTanh).
import { defineOp, map, network, zerosLike } from "gradlens";

const myTanh = defineOp({
  name: "myTanh",
  forward: ({ inputs: [x] }) => map(x, Math.tanh),
  backward: ({ inputs: [x] }) => ({
    inputs: [zerosLike(x)], // BUG: TODO left in — should be g ⊙ (1 − y²)
  }),
});

export default network({
  name: "buggy-backward-zeros",
  seed: 3,
  inputs: { x: { shape: [4, 3] }, target: { shape: [4, 2] } },
  nodes: [
    { id: "fc", op: "linear", units: 2 },
    { id: "h", op: myTanh },
    { id: "loss", op: "mse", inputs: ["h", "target"] },
  ],
});
