// BUGGY on purpose: an attention whose backward drops the 1/√d.
//
// O = softmax(S)·v with S = q·kᵀ/√d, so with P = softmax(S) and the upstream g:
//   dv = Pᵀ·g,  dP = g·vᵀ,  dS = P ⊙ (dP − rowsum(dP ⊙ P)),
//   dq = dS·k/√d,  dk = dSᵀ·q/√d.
// The backward below writes dq = dS·k and dk = dSᵀ·q: both √d times too large
// (d = 8 here, √8 ≈ 2.828), while dv is right. gradlens: node att fails with
// "scale", factor 2.828 (= √8), on ∂att/∂q and ∂att/∂k, and ∂att/∂v passes.
// The fix: multiply dq and dk by c = 1/√d, as the forward multiplies S by it —
// or use the built-in `attention` op, which is this layer written correctly.
import { defineOp, map, matmul, mul, network, rows, scale, softmax, stack, sum, transpose, type Tensor } from "gradlens";

/** P = softmax(q·kᵀ/√d) for one batch entry: q [T, d], k [S, d] → [T, S]. */
const weights = (q: Tensor, k: Tensor): Tensor => softmax(scale(matmul(q, transpose(k)), 1 / Math.sqrt(q.shape[1])));

const myAttention = defineOp({
  name: "myAttention",
  // q, k, v [B, T, d]: each batch entry on its own.
  forward: ({ inputs: [q, k, v] }) => {
    const [ks, vs] = [rows(k), rows(v)];
    return stack(rows(q).map((qb, b) => matmul(weights(qb, ks[b]), vs[b])));
  },
  backward: ({ inputs: [q, k, v], gradOutput: g }) => {
    const [qs, ks, vs, gs] = [rows(q), rows(k), rows(v), rows(g)];
    const dq: Tensor[] = [], dk: Tensor[] = [], dv: Tensor[] = [];
    qs.forEach((qb, b) => {
      const P = weights(qb, ks[b]), S = P.shape[1];
      const dP = matmul(gs[b], transpose(vs[b]));
      const rowSums = sum(mul(dP, P), -1); // rowsum(dP ⊙ P), one number per query
      const dS = mul(P, map(dP, (x, i) => x - rowSums.data[Math.floor(i / S)]));
      dv.push(matmul(transpose(P), gs[b]));
      dq.push(matmul(dS, ks[b])); // BUG: should be scale(matmul(dS, ks[b]), 1 / Math.sqrt(d))
      dk.push(matmul(transpose(dS), qb)); // BUG: the same 1/√d is missing here
    });
    return { inputs: [stack(dq), stack(dk), stack(dv)] };
  },
});

export default network({
  name: "buggy-attention",
  seed: 5,
  inputs: { x: { shape: [2, 4, 8] }, y: { shape: [8], classes: 3 } },
  nodes: [
    { id: "q", op: "linear", units: 8, inputs: ["x"] },
    { id: "k", op: "linear", units: 8, inputs: ["x"] },
    { id: "v", op: "linear", units: 8, inputs: ["x"] },
    { id: "att", op: myAttention, inputs: ["q", "k", "v"] },
    { id: "out", op: "linear", units: 3 },
    { id: "flat", op: "reshape", shape: [8, 3] },
    { id: "loss", op: "softmax_cross_entropy", inputs: ["flat", "y"] },
  ],
});
