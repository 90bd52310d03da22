// Corpus case batchnorm-divides-by-width — corrected twin of bug.gradnet.ts: the backward divides by the batch size.
// Source: https://github.com/RubixML/ML/pull/423 (BatchNorm)
// The report: "backward uses dOut->m() where batch size n() belongs. Masked by square test matrices."
// The backward's N is the layer's width F, not the batch size B (here B = 4, F = 3: not square).
//
// Training-mode batch norm over the batch: x̂ = (x − μ_f)/σ_f, y = γ_f x̂ + β_f. With ĝ = γ_f g,
// dL/dx = (N ĝ − Σ_b ĝ − x̂ Σ_b ĝ x̂) / (N σ_f) with N = B; dL/dγ_f = Σ_b g x̂, dL/dβ_f = Σ_b g.
import { defineOp, network, tensor } from "gradlens";

const EPS = 1e-5;

function columnStats(x: Float64Array, B: number, F: number, f: number): { mu: number; sigma: number } {
  let mu = 0;
  for (let b = 0; b < B; b++) mu += x[b * F + f];
  mu /= B;
  let v = 0;
  for (let b = 0; b < B; b++) v += (x[b * F + f] - mu) ** 2;
  return { mu, sigma: Math.sqrt(v / B + EPS) };
}

const batchNorm = defineOp({
  name: "batchNorm",
  params: {
    gamma: { shape: ({ inputShapes: [x] }) => [x[1]], init: "ones" },
    beta: { shape: ({ inputShapes: [x] }) => [x[1]], init: "zeros" },
  },
  forward: ({ inputs: [x], params: { gamma, beta } }) => {
    const [B, F] = x.shape;
    const y = tensor(x.shape);
    for (let f = 0; f < F; f++) {
      const { mu, sigma } = columnStats(x.data, B, F, f);
      for (let b = 0; b < B; b++) y.data[b * F + f] = (gamma.data[f] * (x.data[b * F + f] - mu)) / sigma + beta.data[f];
    }
    return y;
  },
  backward: ({ inputs: [x], params: { gamma }, gradOutput: dOut }) => {
    const [B, F] = x.shape;
    const n = B; // the batch size: batch norm averages over the batch
    const dx = tensor(x.shape);
    const dgamma = tensor(gamma.shape);
    const dbeta = tensor(gamma.shape);
    for (let f = 0; f < F; f++) {
      const { mu, sigma } = columnStats(x.data, B, F, f);
      let sumG = 0;
      let sumGX = 0;
      for (let b = 0; b < B; b++) {
        const xhat = (x.data[b * F + f] - mu) / sigma;
        sumG += gamma.data[f] * dOut.data[b * F + f];
        sumGX += gamma.data[f] * dOut.data[b * F + f] * xhat;
        dgamma.data[f] += dOut.data[b * F + f] * xhat;
        dbeta.data[f] += dOut.data[b * F + f];
      }
      for (let b = 0; b < B; b++) {
        const xhat = (x.data[b * F + f] - mu) / sigma;
        dx.data[b * F + f] = (n * gamma.data[f] * dOut.data[b * F + f] - sumG - xhat * sumGX) / (n * sigma);
      }
    }
    return { inputs: [dx], params: { gamma: dgamma, beta: dbeta } };
  },
});

export default network({
  name: "corpus-batchnorm-divides-by-width-fixed",
  seed: 3,
  inputs: { x: { shape: [4, 3] }, target: { shape: [4, 3] } },
  nodes: [
    { id: "fc", op: "linear", units: 3 },
    { id: "bn", op: batchNorm, params: { gamma: [1.3, 0.7, 1.1] } },
    { id: "h", op: "tanh" },
    { id: "loss", op: "mse", inputs: ["h", "target"] },
  ],
});
