// Corpus case ce-none-reduction-reads-upstream-0 — BUG.
// Source: https://github.com/paiml/aprender/pull/2182 (CrossEntropyLoss backward respects reduction mode):
// the backward "unconditionally divided the input gradient by the batch size and read only grad_output[0]";
// under reduction None the old gradient was "(softmax - onehot) * upstream[0] / batch" where
// "(softmax - onehot) * upstream[b]" belongs: "the per-sample upstream was mis-broadcast (only element 0 read)".
//
// Per-sample losses ℓ_b = −log p[b, y_b]: dℓ_b/dl[b, c] = p[b, c] − [c = y_b], and no sample's loss
// depends on another sample's logits: dL/dl[b, ·] = g_b·(p[b, ·] − onehot(y_b)).
import { defineOp, get, network, softmax, tensor } from "gradlens";

const crossEntropyNone = defineOp({
  name: "crossEntropyNone",
  forward: ({ inputs: [l, y] }) => {
    const p = softmax(l);
    const [B] = l.shape;
    return tensor([B], Array.from({ length: B }, (_, b) => -Math.log(get(p, b, get(y, b)))));
  },
  backward: ({ inputs: [l, y], gradOutput: upstream }) => {
    const p = softmax(l);
    const [B, C] = l.shape;
    const dl = tensor(l.shape);
    for (let b = 0; b < B; b++)
      for (let c = 0; c < C; c++) dl.data[b * C + c] = ((p.data[b * C + c] - (get(y, b) === c ? 1 : 0)) * upstream.data[0]) / B; // BUG: upstream[0] / batch for every row; should be · upstream[b]
    return { inputs: [dl, null] };
  },
});

export default network({
  name: "corpus-ce-none-reduction-reads-upstream-0",
  seed: 20,
  inputs: { x: { shape: [4, 3] }, y: { shape: [4], classes: 3 } },
  nodes: [
    { id: "fc", op: "linear", units: 3, inputs: ["x"] },
    { id: "ce", op: crossEntropyNone, inputs: ["fc", "y"] },
    { id: "loss", op: "mean", inputs: ["ce"] },
  ],
});
