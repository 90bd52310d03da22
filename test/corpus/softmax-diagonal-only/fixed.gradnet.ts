// Corpus case softmax-diagonal-only — corrected twin of bug.gradnet.ts: the full softmax Jacobian,
// dL/dlₖ = pₖ(gₖ − Σⱼ gⱼpⱼ) (the Σ carries the j ≠ k terms).
import { defineOp, network, softmax, tensor } from "gradlens";

const softmaxOp = defineOp({
  name: "softmaxOp",
  forward: ({ inputs: [l] }) => softmax(l),
  backward: ({ output: p, gradOutput: g }) => {
    const C = p.shape[p.shape.length - 1];
    const dl = tensor(p.shape);
    for (let row = 0; row < p.data.length; row += C) {
      let gp = 0;
      for (let j = 0; j < C; j++) gp += g.data[row + j] * p.data[row + j];
      for (let k = 0; k < C; k++) dl.data[row + k] = p.data[row + k] * (g.data[row + k] - gp);
    }
    return { inputs: [dl] };
  },
});

export default network({
  name: "corpus-softmax-diagonal-only-fixed",
  seed: 4,
  inputs: { x: { shape: [4, 3] }, y: { shape: [4], classes: 3 } },
  nodes: [
    { id: "fc", op: "linear", units: 3 },
    { id: "p", op: softmaxOp },
    { id: "loss", op: "cross_entropy", inputs: ["p", "y"] },
  ],
});
