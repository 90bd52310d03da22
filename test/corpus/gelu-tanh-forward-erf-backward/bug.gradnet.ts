// Corpus case gelu-tanh-forward-erf-backward — BUG.
// Source: https://github.com/kulinseth/pytorch/pull/284 ("Fix gelu backward": "add caculation for tanh
// approximate backward pass") — gelu_backward ignored approximate='tanh' and differentiated the exact
// (erf) GELU while the forward computed the tanh approximation.
//
// forward: 0.5x(1 + tanh(u)), u = √(2/π)(x + 0.044715x³);
// its derivative: 0.5(1 + tanh u) + 0.5x(1 − tanh²u)·√(2/π)(1 + 3·0.044715x²).
// The exact GELU's derivative Φ(x) + xφ(x) is close to it, but it is another function's derivative.
import { defineOp, map, network, zip } from "gradlens";

const K = Math.sqrt(2 / Math.PI);

/** erf by its Maclaurin series (|x| < 3 here), to about 1e-15. */
function erf(x: number): number {
  if (Math.abs(x) > 5) return Math.sign(x);
  let term = x;
  let sum = x;
  for (let n = 1; n < 200 && Math.abs(term) > 1e-17 * Math.abs(sum); n++) {
    term *= (-x * x) / n;
    sum += term / (2 * n + 1);
  }
  return (2 / Math.sqrt(Math.PI)) * sum;
}

const geluTanh = defineOp({
  name: "geluTanh",
  forward: ({ inputs: [x] }) => map(x, (v) => 0.5 * v * (1 + Math.tanh(K * (v + 0.044715 * v ** 3)))),
  backward: ({ inputs: [x], gradOutput: g }) => ({
    // BUG: the exact GELU's derivative Φ(x) + xφ(x), though the forward is the tanh approximation
    inputs: [zip(g, map(x, (v) => 0.5 * (1 + erf(v / Math.SQRT2)) + (v * Math.exp(-0.5 * v * v)) / Math.sqrt(2 * Math.PI)), (gi, d) => gi * d)],
  }),
});

export default network({
  name: "corpus-gelu-tanh-forward-erf-backward",
  seed: 11,
  inputs: { x: { shape: [4, 3] }, target: { shape: [4, 3] } },
  nodes: [
    { id: "fc", op: "linear", units: 3, params: { W: [[1.5, -1.2, 0.8], [-0.9, 1.4, 1.1], [1.2, 0.6, -1.5]] } },
    { id: "act", op: geluTanh },
    { id: "loss", op: "mse", inputs: ["act", "target"] },
  ],
});
