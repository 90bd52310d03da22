// Corpus case logsoftmax-assumes-nll-upstream — BUG.
// Source: https://github.com/mlpack/mlpack/issues/2360 (error in backward function in log softmax;
// fixed in https://github.com/mlpack/mlpack/pull/3469). The line in log_softmax_impl.hpp, where
// `input` is the layer's own output (the log-probabilities):
//     g = arma::exp(input) + gy;
// It is right only for the upstream gradient of mlpack's NegativeLogLikelihood with one sample
// (gy = −onehot, Σ gy = −1): exp(input) stands for −p·Σⱼ gyⱼ. It is not even linear in gy: gy = 0
// gives p. The rule is dL/dlₖ = gₖ − pₖ·Σⱼ gⱼ.
import { defineOp, network, tensor } from "gradlens";

function logSoftmaxRows(l: Float64Array, C: number): Float64Array {
  const out = new Float64Array(l.length);
  for (let row = 0; row < l.length; row += C) {
    let m = -Infinity;
    for (let j = 0; j < C; j++) m = Math.max(m, l[row + j]);
    let s = 0;
    for (let j = 0; j < C; j++) s += Math.exp(l[row + j] - m);
    const lse = m + Math.log(s);
    for (let j = 0; j < C; j++) out[row + j] = l[row + j] - lse;
  }
  return out;
}

const logSoftMax = defineOp({
  name: "logSoftMax",
  forward: ({ inputs: [l] }) => tensor(l.shape, logSoftmaxRows(l.data, l.shape[l.shape.length - 1])),
  backward: ({ output: input, gradOutput: gy }) => {
    const g = tensor(input.shape);
    for (let i = 0; i < g.data.length; i++) g.data[i] = Math.exp(input.data[i]) + gy.data[i]; // BUG: g = arma::exp(input) + gy;
    return { inputs: [g] };
  },
});

export default network({
  name: "corpus-logsoftmax-assumes-nll-upstream",
  seed: 6,
  inputs: { x: { shape: [4, 3] }, y: { shape: [4], classes: 3 } },
  nodes: [
    { id: "fc", op: "linear", units: 3 },
    { id: "logp", op: logSoftMax },
    { id: "loss", op: "nll", inputs: ["logp", "y"] },
  ],
});
