// Corpus case cumsum-forward-scan-backward — corrected twin of bug.gradnet.ts: the backward is a reversed cumulative sum of g.
// Source: textbook — the rule is stated in https://github.com/pytorch/pytorch/pull/1122 ("The ideal
// implementation of a backward pass for the cumsum operation would be a cumsum operation on the reversed
// tensor") and https://github.com/FluxML/Zygote.jl/issues/282 ("`cumsum` is easy, just
// Δ -> reverse(cumsum(reverse(Δ)))"); the mistake is to scan the upstream gradient forwards, like the forward.
//
// y_i = Σ_{j ≤ i} x_j: ∂y_i/∂x_j = [j ≤ i], so dL/dx_j = Σ_{i ≥ j} g_i — a reversed cumulative sum.
import { defineOp, network, tensor } from "gradlens";

function cumsumRows(t: Float64Array, shape: number[], reverse: boolean): Float64Array {
  const N = shape[shape.length - 1];
  const out = new Float64Array(t.length);
  for (let row = 0; row < t.length; row += N) {
    let s = 0;
    for (let k = 0; k < N; k++) {
      const j = reverse ? N - 1 - k : k;
      s += t[row + j];
      out[row + j] = s;
    }
  }
  return out;
}

const cumsum = defineOp({
  name: "cumsum",
  forward: ({ inputs: [x] }) => tensor(x.shape, cumsumRows(x.data, x.shape, false)),
  backward: ({ gradOutput: g }) => ({
    inputs: [tensor(g.shape, cumsumRows(g.data, g.shape, true))], // Σ_{i ≥ j} g_i
  }),
});

export default network({
  name: "corpus-cumsum-forward-scan-backward-fixed",
  seed: 33,
  inputs: { x: { shape: [4, 3] }, target: { shape: [4, 4] } },
  nodes: [
    { id: "fc", op: "linear", units: 4 },
    { id: "cs", op: cumsum },
    { id: "loss", op: "mse", inputs: ["cs", "target"] },
  ],
});
