// Corpus case logsumexp-ignores-upstream — corrected twin of bug.gradnet.ts: the local gradient times the upstream gradient g_b.
// Source: https://github.com/k2-fsa/k2/issues/341 (Backward of get_tot_scores ignores gradient): its backward
//     return None, None, None, arc_scores.exp()
// "the backward of get_tot_scores needs to multiply by the gradient at the output. In our training, this is
// causing us to get the sign of the update wrong!!!"
//
// t_b = log Σ_k e^(x[b,k]) (a per-row log-sum-exp, the total score); ∂t_b/∂x[b,k] = softmax(x[b])_k,
// so dL/dx[b,k] = g_b·softmax(x[b])_k — upstream × local.
import { defineOp, network, tensor } from "gradlens";

const totScores = defineOp({
  name: "totScores",
  forward: ({ inputs: [x] }) => {
    const [B, K] = x.shape;
    const t = tensor([B]);
    for (let b = 0; b < B; b++) {
      let m = -Infinity;
      for (let k = 0; k < K; k++) m = Math.max(m, x.data[b * K + k]);
      let s = 0;
      for (let k = 0; k < K; k++) s += Math.exp(x.data[b * K + k] - m);
      t.data[b] = m + Math.log(s);
    }
    return t;
  },
  backward: ({ inputs: [x], output: t, gradOutput: g }) => {
    const [B, K] = x.shape;
    const dx = tensor(x.shape);
    for (let b = 0; b < B; b++)
      for (let k = 0; k < K; k++) dx.data[b * K + k] = g.data[b] * Math.exp(x.data[b * K + k] - t.data[b]); // upstream × local
    return { inputs: [dx] };
  },
});

export default network({
  name: "corpus-logsumexp-ignores-upstream-fixed",
  seed: 22,
  inputs: { x: { shape: [4, 3] }, target: { shape: [4] } },
  nodes: [
    { id: "fc", op: "linear", units: 5, inputs: ["x"] },
    { id: "tot", op: totScores },
    { id: "loss", op: "mse", inputs: ["tot", "target"] },
  ],
});
