// Corpus case logsoftmax-assumes-nll-upstream — corrected twin of bug.gradnet.ts:
// g = gy − exp(input)·Σⱼ gyⱼ per row, for any upstream gradient gy.
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
    const C = input.shape[input.shape.length - 1];
    const g = tensor(input.shape);
    for (let row = 0; row < g.data.length; row += C) {
      let sum = 0;
      for (let j = 0; j < C; j++) sum += gy.data[row + j];
      for (let i = 0; i < C; i++) g.data[row + i] = gy.data[row + i] - Math.exp(input.data[row + i]) * sum;
    }
    return { inputs: [g] };
  },
});

export default network({
  name: "corpus-logsoftmax-assumes-nll-upstream-fixed",
  seed: 6,
  inputs: { x: { shape: [4, 3] }, y: { shape: [4], classes: 3 } },
  nodes: [
    { id: "fc", op: "linear", units: 3 },
    { id: "logp", op: logSoftMax },
    { id: "loss", op: "nll", inputs: ["logp", "y"] },
  ],
});
