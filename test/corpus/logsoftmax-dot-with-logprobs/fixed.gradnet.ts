// Corpus case logsoftmax-dot-with-logprobs — corrected twin of bug.gradnet.ts:
// diff_src[i] = diff_dst[i] − exp(dst[i])·Σⱼ diff_dst[j] (the log-softmax rule, as in PyTorch).
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
  backward: ({ output: dst, gradOutput: diffDst }) => {
    const C = dst.shape[dst.shape.length - 1];
    const diffSrc = tensor(dst.shape);
    for (let row = 0; row < dst.data.length; row += C) {
      let sum = 0;
      for (let j = 0; j < C; j++) sum += diffDst.data[row + j];
      for (let i = 0; i < C; i++) diffSrc.data[row + i] = diffDst.data[row + i] - Math.exp(dst.data[row + i]) * sum;
    }
    return { inputs: [diffSrc] };
  },
});

export default network({
  name: "corpus-logsoftmax-dot-with-logprobs-fixed",
  seed: 5,
  inputs: { x: { shape: [4, 3] }, y: { shape: [4], classes: 3 } },
  nodes: [
    { id: "fc", op: "linear", units: 3 },
    { id: "logp", op: logSoftmax },
    { id: "loss", op: "nll", inputs: ["logp", "y"] },
  ],
});
