// Corpus case softmax-loss-normalised-by-numel — corrected twin of bug.gradnet.ts: normalised by the batch size B.
// Source: https://github.com/victorlempitsky/Mate/issues/2 (Error in SoftmaxLossLayer): "a derivative with
// respect to input variables is not normalized to a batch size. See MateSoftmaxLossLayer.m:28: Instead of
//     (obj.weight/numel(x{1},ndims(x{1}))) ;
// there should be "(obj.weight/size(x{1},ndims(x{1}))) ;"" — divided by the number of entries, B·C,
// where the loss averages over the B samples only.
//
// L = (1/B) Σ_b −log p[b, y_b] with p = softmax(l): dL/dl = (p − onehot(y))/B, the lecture's pⱼ − yⱼ.
import { defineOp, get, network, softmax, tensor } from "gradlens";

const softmaxLoss = defineOp({
  name: "softmaxLoss",
  forward: ({ inputs: [l, y] }) => {
    const p = softmax(l);
    const [B] = l.shape;
    let loss = 0;
    for (let b = 0; b < B; b++) loss -= Math.log(get(p, b, get(y, b)));
    return tensor([], [loss / B]);
  },
  backward: ({ inputs: [l, y], gradOutput: g }) => {
    const p = softmax(l);
    const [B, C] = l.shape;
    const dl = tensor(l.shape);
    for (let b = 0; b < B; b++)
      for (let c = 0; c < C; c++) dl.data[b * C + c] = ((p.data[b * C + c] - (get(y, b) === c ? 1 : 0)) * g.data[0]) / B; // (p − y)/B
    return { inputs: [dl, null] };
  },
});

export default network({
  name: "corpus-softmax-loss-normalised-by-numel-fixed",
  seed: 19,
  inputs: { x: { shape: [4, 3] }, y: { shape: [4], classes: 3 } },
  nodes: [
    { id: "fc", op: "linear", units: 3, inputs: ["x"] },
    { id: "loss", op: softmaxLoss, inputs: ["fc", "y"] },
  ],
});
