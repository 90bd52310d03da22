// Corpus case bias-grad-mean-not-sum — corrected twin of bug.gradnet.ts: dL/db is the sum over the batch.
// Source: https://github.com/kvfrans/notes/issues/5 (page 2-training-neural-networks/backpropagation):
// "For the gradient calculation of the bias term, I suppose d_b1 = jnp.mean(d_h2, axis=1) should be
// d_b1 = jnp.sum(d_h2, axis=1) as we are summing up the gradient influence paths across all datapoints".
//
// y = x·Wᵀ + b adds b to every row, so dL/db = Σ_b g (the lecture: every path from b to L is summed).
import { add, defineOp, matmul, network, sum, transpose } from "gradlens";

const dense = defineOp({
  name: "dense",
  params: {
    W: { shape: ({ inputShapes: [x] }) => [4, x[1]] },
    b: { shape: () => [4], init: "normal" },
  },
  forward: ({ inputs: [x], params: { W, b } }) => add(matmul(x, transpose(W)), b),
  backward: ({ inputs: [x], params: { W }, gradOutput: dH }) => ({
    inputs: [matmul(dH, W)],
    params: { W: matmul(transpose(dH), x), b: sum(dH, 0) }, // Σ over the batch
  }),
});

export default network({
  name: "corpus-bias-grad-mean-not-sum-fixed",
  seed: 21,
  inputs: { x: { shape: [4, 3] }, target: { shape: [4, 2] } },
  nodes: [
    { id: "fc1", op: dense },
    { id: "h", op: "tanh" },
    { id: "fc2", op: "linear", units: 2 },
    { id: "loss", op: "mse", inputs: ["fc2", "target"] },
  ],
});
