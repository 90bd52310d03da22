// Corpus case embedding-overwrite-repeated-ids — corrected twin of bug.gradnet.ts: a scatter-add (`+=`) over repeated ids.
// Source: https://github.com/tenstorrent/tt-metal/issues/6232 ([Bug Report] Embedding backward result is
// incorrect): with repeated indices the weight gradient was wrong; the maintainer: "The failure is due to the
// input tensor should be unique" — the backward writes each row's gradient instead of adding it. (The same
// class in gather: https://github.com/ooples/AiDotNet.Tensors/pull/894, "A slice selected k times must
// receive k contributions".)
//
// y[b] = W[id_b]; dL/dW[v] = Σ over the b with id_b = v of g[b] — a scatter-add.
import { defineOp, network, tensor } from "gradlens";

const embedding = defineOp({
  name: "embedding",
  params: { W: { shape: () => [5, 3], init: "normal" } },
  forward: ({ inputs: [ids], params: { W } }) => {
    const [V, D] = W.shape;
    const B = ids.data.length;
    const y = tensor([B, D]);
    for (let b = 0; b < B; b++) {
      const v = ids.data[b];
      if (v >= V) throw new Error(`id ${v} out of range`);
      for (let d = 0; d < D; d++) y.data[b * D + d] = W.data[v * D + d];
    }
    return y;
  },
  backward: ({ inputs: [ids], params: { W }, gradOutput: g }) => {
    const [, D] = W.shape;
    const dW = tensor(W.shape);
    for (let b = 0; b < ids.data.length; b++)
      for (let d = 0; d < D; d++) dW.data[ids.data[b] * D + d] += g.data[b * D + d]; // scatter-add: every occurrence contributes
    return { inputs: [null], params: { W: dW } };
  },
});

export default network({
  name: "corpus-embedding-overwrite-repeated-ids-fixed",
  seed: 31,
  inputs: { ids: { values: [1, 3, 1, 0, 3, 1], classes: 5 }, target: { shape: [6, 3] } },
  nodes: [
    { id: "emb", op: embedding, inputs: ["ids"] },
    { id: "h", op: "tanh" },
    { id: "loss", op: "mse", inputs: ["h", "target"] },
  ],
});
