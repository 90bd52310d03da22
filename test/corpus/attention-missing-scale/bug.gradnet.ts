// Corpus case attention-missing-scale — BUG (textbook).
// Source: textbook — scaled dot-product attention, softmax(q·kᵀ/√d)·v (Vaswani et al. 2017); the backward's
// chain rule through S = q·kᵀ/√d must carry the same 1/√d into dL/dq and dL/dk, and a hand-written
// backward that starts from dS "forgets" it (the same class as a forgotten 1/N).
//
// S = q·kᵀ/√d, P = softmax(S) per row, O = P·v. dP = g·vᵀ, dS = P ⊙ (dP − rowsum(dP ⊙ P)),
// dL/dq = dS·k/√d, dL/dk = dSᵀ·q/√d, dL/dv = Pᵀ·g.
import { defineOp, matmul, network, scale, softmax, tensor, transpose } from "gradlens";

const attention = defineOp({
  name: "attention",
  forward: ({ inputs: [q, k, v] }) => {
    const d = q.shape[1];
    const P = softmax(scale(matmul(q, transpose(k)), 1 / Math.sqrt(d)));
    return matmul(P, v);
  },
  backward: ({ inputs: [q, k, v], gradOutput: g }) => {
    const d = q.shape[1];
    const P = softmax(scale(matmul(q, transpose(k)), 1 / Math.sqrt(d)));
    const dP = matmul(g, transpose(v));
    const T = P.shape[1];
    const dS = tensor(P.shape);
    for (let row = 0; row < P.data.length; row += T) {
      let dot = 0;
      for (let j = 0; j < T; j++) dot += dP.data[row + j] * P.data[row + j];
      for (let j = 0; j < T; j++) dS.data[row + j] = P.data[row + j] * (dP.data[row + j] - dot);
    }
    const dq = matmul(dS, k); // BUG: the 1/√d of S = q·kᵀ/√d is missing
    const dk = matmul(transpose(dS), q); // BUG: and here
    return { inputs: [dq, dk, matmul(transpose(P), g)] };
  },
});

export default network({
  name: "corpus-attention-missing-scale",
  seed: 37,
  inputs: { x: { shape: [4, 3] }, target: { shape: [4, 4] } },
  nodes: [
    { id: "q", op: "linear", units: 4, inputs: ["x"] },
    { id: "k", op: "linear", units: 4, inputs: ["x"] },
    { id: "v", op: "linear", units: 4, inputs: ["x"] },
    { id: "att", op: attention, inputs: ["q", "k", "v"] },
    { id: "loss", op: "mse", inputs: ["att", "target"] },
  ],
});
