// Scaled dot-product attention written by hand, beside the built-in `attention`
// op fed the same q, k, v: both pass, and their sum is the loss's input.
//
// O = softmax(S)·v with S = q·kᵀ/√d. With P = softmax(S) and the upstream g:
//   dv = Pᵀ·g,  dP = g·vᵀ,  dS = P ⊙ (dP − rowsum(dP ⊙ P))  (softmax's Jacobian, row by row),
//   dq = dS·k/√d,  dk = dSᵀ·q/√d.
// examples/buggy/attention-no-sqrt-d.gradnet.ts is this layer with the 1/√d dropped.
import { defineOp, map, matmul, mul, network, rows, scale, softmax, stack, sum, transpose, type Tensor } from "gradlens";

/** P = softmax(q·kᵀ/√d) for one batch entry: q [T, d], k [S, d] → [T, S]. */
const weights = (q: Tensor, k: Tensor): Tensor => softmax(scale(matmul(q, transpose(k)), 1 / Math.sqrt(q.shape[1])));

export const myAttention = defineOp({
  name: "myAttention",
  // q, k, v [B, T, d]: each batch entry on its own.
  forward: ({ inputs: [q, k, v] }) => {
    const [ks, vs] = [rows(k), rows(v)];
    return stack(rows(q).map((qb, b) => matmul(weights(qb, ks[b]), vs[b])));
  },
  backward: ({ inputs: [q, k, v], gradOutput: g }) => {
    const [qs, ks, vs, gs] = [rows(q), rows(k), rows(v), rows(g)];
    const c = 1 / Math.sqrt(q.shape[2]);
    const dq: Tensor[] = [], dk: Tensor[] = [], dv: Tensor[] = [];
    qs.forEach((qb, b) => {
      const P = weights(qb, ks[b]), S = P.shape[1];
      const dP = matmul(gs[b], transpose(vs[b]));
      const rowSums = sum(mul(dP, P), -1); // rowsum(dP ⊙ P), one number per query
      const dS = mul(P, map(dP, (x, i) => x - rowSums.data[Math.floor(i / S)]));
      dv.push(matmul(transpose(P), gs[b]));
      dq.push(scale(matmul(dS, ks[b]), c));
      dk.push(scale(matmul(transpose(dS), qb), c));
    });
    return { inputs: [stack(dq), stack(dk), stack(dv)] };
  },
});

export default network({
  name: "attention-by-hand",
  seed: 5,
  inputs: { x: { shape: [2, 4, 8] }, y: { shape: [8], classes: 3 } },
  nodes: [
    { id: "q", op: "linear", units: 8, inputs: ["x"] },
    { id: "k", op: "linear", units: 8, inputs: ["x"] },
    { id: "v", op: "linear", units: 8, inputs: ["x"] },
    { id: "mine", op: myAttention, inputs: ["q", "k", "v"] },
    { id: "builtin", op: "attention", inputs: ["q", "k", "v"] },
    { id: "both", op: "add", inputs: ["mine", "builtin"] },
    { id: "out", op: "linear", units: 3 },
    { id: "flat", op: "reshape", shape: [8, 3] },
    { id: "loss", op: "softmax_cross_entropy", inputs: ["flat", "y"] },
  ],
});
