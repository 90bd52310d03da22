// Corpus case layernorm1p-zero-centered-gamma — BUG.
// Source: https://github.com/NVIDIA/TransformerEngine/pull/67 (LayerNorm1p, zero-centered gamma)
// The reviewer's finding: "none of the backward kernels receive the `zero_centered_gamma`
// parameter" — the forward scales by (1 + γ), the backward's dL/dx by γ.
//
// y = x̂ ⊙ (1 + γ) + β, x̂ = (x − μ)/σ per row. With ĝ = g ⊙ (1 + γ):
// dL/dx = (1/σ)(ĝ − mean(ĝ) − x̂ ⊙ mean(ĝ ⊙ x̂)); dL/dγ = Σ_rows g ⊙ x̂; dL/dβ = Σ_rows g.
// γ starts at zero, as LayerNorm1p initialises it, so this backward returns dL/dx = 0.
import { defineOp, network, tensor } from "gradlens";

const EPS = 1e-5;

function rowStats(x: Float64Array, row: number, D: number): { mu: number; sigma: number } {
  let mu = 0;
  for (let i = 0; i < D; i++) mu += x[row + i];
  mu /= D;
  let v = 0;
  for (let i = 0; i < D; i++) v += (x[row + i] - mu) ** 2;
  return { mu, sigma: Math.sqrt(v / D + EPS) };
}

const layerNorm1p = defineOp({
  name: "layerNorm1p",
  params: {
    gamma: { shape: ({ inputShapes: [x] }) => [x[x.length - 1]], init: "zeros" },
    beta: { shape: ({ inputShapes: [x] }) => [x[x.length - 1]], init: "zeros" },
  },
  forward: ({ inputs: [x], params: { gamma, beta } }) => {
    const D = gamma.data.length;
    const y = tensor(x.shape);
    for (let row = 0; row < x.data.length; row += D) {
      const { mu, sigma } = rowStats(x.data, row, D);
      for (let i = 0; i < D; i++) y.data[row + i] = ((x.data[row + i] - mu) / sigma) * (1 + gamma.data[i]) + beta.data[i];
    }
    return y;
  },
  backward: ({ inputs: [x], params: { gamma }, gradOutput: g }) => {
    const D = gamma.data.length;
    const dx = tensor(x.shape);
    const dgamma = tensor(gamma.shape);
    const dbeta = tensor(gamma.shape);
    for (let row = 0; row < x.data.length; row += D) {
      const { mu, sigma } = rowStats(x.data, row, D);
      const xhat = (i: number) => (x.data[row + i] - mu) / sigma;
      const ghat = (i: number) => g.data[row + i] * gamma.data[i]; // BUG: the forward used (1 + γ); zero_centered_gamma never reaches the backward
      let meanG = 0;
      let meanGX = 0;
      for (let i = 0; i < D; i++) {
        meanG += ghat(i) / D;
        meanGX += (ghat(i) * xhat(i)) / D;
      }
      for (let i = 0; i < D; i++) {
        dx.data[row + i] = (ghat(i) - meanG - xhat(i) * meanGX) / sigma;
        dgamma.data[i] += g.data[row + i] * xhat(i);
        dbeta.data[i] += g.data[row + i];
      }
    }
    return { inputs: [dx], params: { gamma: dgamma, beta: dbeta } };
  },
});

export default network({
  name: "corpus-layernorm1p-zero-centered-gamma",
  seed: 2,
  inputs: { x: { shape: [4, 3] }, target: { shape: [4, 4] } },
  nodes: [
    { id: "fc", op: "linear", units: 4 },
    { id: "norm", op: layerNorm1p },
    { id: "h", op: "tanh" },
    { id: "loss", op: "mse", inputs: ["h", "target"] },
  ],
});
