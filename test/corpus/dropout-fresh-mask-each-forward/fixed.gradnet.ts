// Corpus case dropout-fresh-mask-each-forward — corrected twin of bug.gradnet.ts: the mask is drawn once,
// from a fixed seed, so every forward call of the check sees the same function (the same network otherwise).
import { defineOp, network, tensor, zip } from "gradlens";

const P = 0.5;

/** A fixed pseudo-random mask for n entries (mulberry32 with a fixed seed): drawn once, reused. */
function fixedMask(n: number): Float64Array {
  let s = 0x9e3779b9;
  const next = () => {
    s = (s + 0x6d2b79f5) | 0;
    let t = Math.imul(s ^ (s >>> 15), 1 | s);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return Float64Array.from({ length: n }, () => (next() < P ? 0 : 1 / (1 - P)));
}

const dropout = defineOp({
  name: "dropout",
  forward: ({ inputs: [x] }) => {
    const mask = fixedMask(x.data.length);
    return tensor(x.shape, x.data.map((v, i) => v * mask[i]));
  },
  backward: ({ gradOutput: g }) => ({ inputs: [zip(g, tensor(g.shape, fixedMask(g.data.length)), (gi, m) => gi * m)] }),
});

export default network({
  name: "corpus-dropout-fresh-mask-each-forward-fixed",
  seed: 24,
  inputs: { x: { shape: [4, 3] }, target: { shape: [4, 2] } },
  nodes: [
    { id: "fc1", op: "linear", units: 4 },
    { id: "drop", op: dropout },
    { id: "fc2", op: "linear", units: 2 },
    { id: "loss", op: "mse", inputs: ["fc2", "target"] },
  ],
});
