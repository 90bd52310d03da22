// Corpus case softmax-diagonal-only — BUG.
// Source: https://github.com/deeplearning4j/libnd4j/issues/440 (Softmax derivative implementation incorrect)
// The report: "Looks like we only implement one part of this: i.e., output * (1 - output), for the
// diagonal. We are missing the sum and i != j case."
//
// ∂pⱼ/∂lₖ = pⱼ(δⱼₖ − pₖ), so dL/dlₖ = pₖ(gₖ − Σⱼ gⱼpⱼ); output·(1 − output) is only the j = k term.
import { defineOp, map, mul, network, softmax } from "gradlens";

const softmaxOp = defineOp({
  name: "softmaxOp",
  forward: ({ inputs: [l] }) => softmax(l),
  backward: ({ output: p, gradOutput: g }) => ({
    inputs: [mul(g, map(p, (pj) => pj * (1 - pj)))], // BUG: output * (1 - output) — the diagonal only
  }),
});

export default network({
  name: "corpus-softmax-diagonal-only",
  seed: 4,
  inputs: { x: { shape: [4, 3] }, y: { shape: [4], classes: 3 } },
  nodes: [
    { id: "fc", op: "linear", units: 3 },
    { id: "p", op: softmaxOp },
    { id: "loss", op: "cross_entropy", inputs: ["p", "y"] },
  ],
});
