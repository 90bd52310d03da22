// BUGGY on purpose: a linear layer whose backward misses a transpose.
//
// y = x·Wᵀ + b gives dL/dx = g·W. The backward below computes g·Wᵀ. With a
// square W both have the right shape, so nothing crashes: only the numbers
// are wrong. gradlens: node fc fails with "transpose". The wrong dL/dx flows
// on into the layer before (hidden), whose weights then learn from it: in
// `gradlens descent` the loss no longer falls as it should.
// The fix is in examples/custom/layers.ts (myLinear).
import { add, defineOp, matmul, network, sum, transpose } from "gradlens";

const myLinear = defineOp({
  name: "myLinear",
  params: {
    W: { shape: ({ inputShapes: [x] }) => [x[1], x[1]] }, // square: [in, in]
    b: { shape: ({ inputShapes: [x] }) => [x[1]], init: "normal" },
  },
  forward: ({ inputs: [x], params: { W, b } }) => add(matmul(x, transpose(W)), b),
  backward: ({ inputs: [x], params: { W }, gradOutput: g }) => ({
    inputs: [matmul(g, transpose(W))], // BUG: dL/dx = g·W, not g·Wᵀ
    params: { W: matmul(transpose(g), x), b: sum(g, 0) },
  }),
});

export default network({
  name: "buggy-linear-transpose",
  seed: 2,
  inputs: { x: { shape: [4, 3] }, y: { shape: [4], classes: 3 } },
  nodes: [
    { id: "hidden", op: "linear", units: 3 },
    { id: "fc", op: myLinear },
    { id: "loss", op: "softmax_cross_entropy", inputs: ["fc", "y"] },
  ],
});
