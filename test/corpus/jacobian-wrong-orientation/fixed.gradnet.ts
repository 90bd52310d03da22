// Corpus case jacobian-wrong-orientation — corrected twin of bug.gradnet.ts: J[j, k] with rows = outputs, columns = inputs.
// Source: textbook — the lecture's convention: a Jacobian's rows are outputs and its columns inputs,
// J[j, k] = ∂yⱼ/∂xₖ. Writing J[k, j] (the "numerator layout" vs "denominator layout" mix-up) gives the
// transpose; for a square Jacobian nothing crashes. The op is given by its `jacobian`, not a backward.
//
// log-softmax per row: ∂(log pⱼ)/∂lₖ = δⱼₖ − pₖ — not symmetric, so the orientation matters.
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

const logSoftmax = defineOp({
  name: "logSoftmax",
  forward: ({ inputs: [l] }) => tensor(l.shape, logSoftmaxRows(l.data, l.shape[l.shape.length - 1])),
  jacobian: ({ output: logp }) => {
    const C = logp.shape[logp.shape.length - 1];
    const n = logp.data.length;
    const J = tensor([n, n]);
    for (let row = 0; row < n; row += C)
      for (let j = 0; j < C; j++)
        for (let k = 0; k < C; k++) J.data[(row + j) * n + (row + k)] = (j === k ? 1 : 0) - Math.exp(logp.data[row + k]); // row = output j, column = input k
    return { inputs: [J] };
  },
});

export default network({
  name: "corpus-jacobian-wrong-orientation-fixed",
  seed: 38,
  inputs: { x: { shape: [4, 3] }, y: { shape: [4], classes: 3 } },
  nodes: [
    { id: "fc", op: "linear", units: 3, inputs: ["x"] },
    { id: "logp", op: logSoftmax },
    { id: "loss", op: "nll", inputs: ["logp", "y"] },
  ],
});
