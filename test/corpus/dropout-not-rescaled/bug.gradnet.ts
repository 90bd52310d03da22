// Corpus case dropout-not-rescaled — BUG.
// Source: https://stats.stackexchange.com/questions/207481/dropout-backpropagation-implementation — the
// question of exactly this step: "I use the inverted approach in which I divide all activations that are not
// zero by (1-p). [...] Should I keep the same mask with 0s and 2s or should it be binary again?" The answer:
// "∂b/∂a = mask/(1−p), which should be 0s and 2s". This backward keeps the binary mask.
//
// Inverted dropout: y = x ⊙ m/(1 − p), m ∈ {0, 1}; dL/dx = g ⊙ m/(1 − p). The mask is fixed here
// (drawn once from a fixed seed), so the forward is deterministic.
import { defineOp, network, tensor } from "gradlens";

const P = 0.5;

/** A fixed pseudo-random binary mask for n entries (mulberry32 with a fixed seed). */
function binaryMask(n: number): Float64Array {
  let s = 0x2545f491;
  const next = () => {
    s = (s + 0x6d2b79f5) | 0;
    let t = Math.imul(s ^ (s >>> 15), 1 | s);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return Float64Array.from({ length: n }, () => (next() < P ? 0 : 1));
}

const dropout = defineOp({
  name: "dropout",
  forward: ({ inputs: [a] }) => {
    const mask = binaryMask(a.data.length);
    return tensor(a.shape, a.data.map((v, i) => (v * mask[i]) / (1 - P)));
  },
  backward: ({ gradOutput: dAct }) => {
    const mask = binaryMask(dAct.data.length);
    return { inputs: [tensor(dAct.shape, dAct.data.map((g, i) => g * mask[i]))] }; // BUG: the binary mask; the forward scaled by 1/(1 − p)
  },
});

export default network({
  name: "corpus-dropout-not-rescaled",
  seed: 25,
  inputs: { x: { shape: [4, 3] }, target: { shape: [4, 2] } },
  nodes: [
    { id: "fc1", op: "linear", units: 4 },
    { id: "drop", op: dropout },
    { id: "fc2", op: "linear", units: 2 },
    { id: "loss", op: "mse", inputs: ["fc2", "target"] },
  ],
});
