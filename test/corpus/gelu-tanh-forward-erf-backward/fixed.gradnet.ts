// Corpus case gelu-tanh-forward-erf-backward — corrected twin of bug.gradnet.ts: the derivative of the
// tanh approximation the forward computes, 0.5(1 + tanh u) + 0.5x(1 − tanh²u)·√(2/π)(1 + 3·0.044715x²).
import { defineOp, map, network, zip } from "gradlens";

const K = Math.sqrt(2 / Math.PI);

const geluTanh = defineOp({
  name: "geluTanh",
  forward: ({ inputs: [x] }) => map(x, (v) => 0.5 * v * (1 + Math.tanh(K * (v + 0.044715 * v ** 3)))),
  backward: ({ inputs: [x], gradOutput: g }) => ({
    inputs: [
      zip(g, map(x, (v) => {
        const t = Math.tanh(K * (v + 0.044715 * v ** 3));
        return 0.5 * (1 + t) + 0.5 * v * (1 - t * t) * K * (1 + 3 * 0.044715 * v * v);
      }), (gi, d) => gi * d),
    ],
  }),
});

export default network({
  name: "corpus-gelu-tanh-forward-erf-backward-fixed",
  seed: 11,
  inputs: { x: { shape: [4, 3] }, target: { shape: [4, 3] } },
  nodes: [
    { id: "fc", op: "linear", units: 3, params: { W: [[1.5, -1.2, 0.8], [-0.9, 1.4, 1.1], [1.2, 0.6, -1.5]] } },
    { id: "act", op: geluTanh },
    { id: "loss", op: "mse", inputs: ["act", "target"] },
  ],
});
