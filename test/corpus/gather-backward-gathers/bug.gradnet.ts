// Corpus case gather-backward-gathers — BUG.
// Source: https://github.com/ooples/AiDotNet.Tensors/pull/894 (gather backward must scatter-add for repeated
// indices): GatherBackward delegated to a helper that is itself a gather,
//     gradSource[s] = gradOutput[indices[s]]     // `indices` indexed by SOURCE
// where "Gather's backward is the opposite": gradSource[indices[i]] += gradOutput[i].
//
// y[b, i] = x[b, idx[i]]: ∂y[b, i]/∂x[b, s] = [idx[i] = s], so dL/dx[b, s] = Σ over the i with idx[i] = s of g[b, i].
// Here the index list is as long as the source (4), so the wrong helper runs without an out-of-range read.
import { defineOp, network, tensor } from "gradlens";

const INDICES = [2, 0, 2, 1];

const gather = defineOp({
  name: "gather",
  forward: ({ inputs: [x] }) => {
    const [B, N] = x.shape;
    const M = INDICES.length;
    const y = tensor([B, M]);
    for (let b = 0; b < B; b++) for (let i = 0; i < M; i++) y.data[b * M + i] = x.data[b * N + INDICES[i]];
    return y;
  },
  backward: ({ inputs: [x], gradOutput }) => {
    const [B, N] = x.shape;
    const M = INDICES.length;
    const gradSource = tensor(x.shape);
    for (let b = 0; b < B; b++)
      for (let s = 0; s < N; s++) gradSource.data[b * N + s] = gradOutput.data[b * M + INDICES[s]]; // BUG: gradSource[s] = gradOutput[indices[s]] — a gather, not the scatter-add
    return { inputs: [gradSource] };
  },
});

export default network({
  name: "corpus-gather-backward-gathers",
  seed: 32,
  inputs: { x: { shape: [4, 3] }, target: { shape: [4, 4] } },
  nodes: [
    { id: "fc", op: "linear", units: 4 },
    { id: "g", op: gather },
    { id: "loss", op: "mse", inputs: ["g", "target"] },
  ],
});
