/**
 * Layers written by hand, the way the lecture derives them, each with its
 * backward right beside its forward. Every one of them passes `gradlens check`;
 * examples/buggy/ has the same layers with the classic mistakes.
 *
 * backward gets { inputs, params, attrs, output, gradOutput } and returns the
 * vector–Jacobian products "upstream × local": for each input x, dL/dx with
 * the shape of x (null for class labels), and for each param θ, dL/dθ.
 */
import {
  add, defineOp, full, get, map, matmul, mean, mul, scale, set, softmax, sub, sum, tensor, transpose, zeros, type Tensor,
} from "gradlens";

/** p = softmax(l) along the last axis. ∂pⱼ/∂lₖ = pⱼ(δⱼₖ − pₖ), so dL/dlₖ = pₖ(gₖ − Σⱼ gⱼpⱼ). */
export const mySoftmax = defineOp({
  name: "mySoftmax",
  forward: ({ inputs: [l] }) => softmax(l),
  backward: ({ output: p, gradOutput: g }) => {
    const n = p.shape[p.shape.length - 1];
    const dl = zeros(p.shape);
    for (let row = 0; row < p.data.length; row += n) {
      let gp = 0; // Σⱼ gⱼ pⱼ: the j ≠ k terms of the Jacobian live here
      for (let j = 0; j < n; j++) gp += g.data[row + j] * p.data[row + j];
      for (let k = 0; k < n; k++) dl.data[row + k] = p.data[row + k] * (g.data[row + k] - gp);
    }
    return { inputs: [dl] };
  },
});

/** L = (1/B) Σ_b −log p[b, y_b]. ∂L/∂p[b, a] = −1/(B·p[b, a]) for the true class a, else 0. */
export const crossEntropy = defineOp({
  name: "crossEntropy",
  forward: ({ inputs: [p, y] }) => {
    const [B] = p.shape;
    let loss = 0;
    for (let b = 0; b < B; b++) loss -= Math.log(get(p, b, get(y, b)));
    return tensor([], [loss / B]);
  },
  backward: ({ inputs: [p, y], gradOutput: g }) => {
    const [B] = p.shape;
    const dp = zeros(p.shape);
    for (let b = 0; b < B; b++) set(dp, [b, get(y, b)], (-1 / (B * get(p, b, get(y, b)))) * g.data[0]);
    return { inputs: [dp, null] }; // labels have no gradient
  },
});

/**
 * y = x·Wᵀ + b with W [units, in] and b [units]; units defaults to the input
 * width (a square W). dL/dx = g·W, dL/dW = gᵀ·x, dL/db = Σ over the batch of g.
 */
export const myLinear = defineOp({
  name: "myLinear",
  params: {
    W: { shape: ({ inputShapes: [x], attrs }) => [(attrs.units as number | undefined) ?? x[1], x[1]] },
    b: { shape: ({ inputShapes: [x], attrs }) => [(attrs.units as number | undefined) ?? x[1]], init: "normal" },
  },
  forward: ({ inputs: [x], params: { W, b } }) => add(matmul(x, transpose(W)), b),
  backward: ({ inputs: [x], params: { W }, gradOutput: g }) => ({
    inputs: [matmul(g, W)],
    params: { W: matmul(transpose(g), x), b: sum(g, 0) },
  }),
});

/** L = (1/N) Σ (pred − target)², N entries. dL/dpred = 2(pred − target)/N = −dL/dtarget. */
export const squaredError = defineOp({
  name: "squaredError",
  forward: ({ inputs: [pred, target] }) => mean(map(sub(pred, target), (e) => e * e)),
  backward: ({ inputs: [pred, target], gradOutput: g }) => {
    const dPred = scale(sub(pred, target), (2 / pred.data.length) * g.data[0]);
    return { inputs: [dPred, scale(dPred, -1)] };
  },
});

/** m = (1/N) Σ xᵢ over all N entries. ∂m/∂xᵢ = 1/N. */
export const meanAll = defineOp({
  name: "meanAll",
  forward: ({ inputs: [x] }) => mean(x),
  backward: ({ inputs: [x], gradOutput: g }) => ({ inputs: [full(x.shape, g.data[0] / x.data.length)] }),
});

/** y = tanh x. dy/dx = 1 − tanh²x = 1 − y². */
export const myTanh = defineOp({
  name: "myTanh",
  forward: ({ inputs: [x] }) => map(x, Math.tanh),
  backward: ({ output: y, gradOutput: g }) => ({ inputs: [mul(g, map(y, (t) => 1 - t * t))] }),
});

/**
 * y = σ(x) = 1/(1 + e^(−x)) given by its Jacobian instead of a backward:
 * one row per output entry, one column per input entry — diagonal, σ(x)(1 − σ(x)).
 */
export const sigmoidByJacobian = defineOp({
  name: "sigmoidByJacobian",
  forward: ({ inputs: [x] }) => map(x, (v) => 1 / (1 + Math.exp(-v))),
  jacobian: ({ output: y }) => {
    const n = y.data.length;
    const J: Tensor = { shape: [n, n], data: new Float64Array(n * n) }; // a plain { shape, data } works too
    for (let i = 0; i < n; i++) J.data[i * n + i] = y.data[i] * (1 - y.data[i]);
    return { inputs: [J] };
  },
});

/** y = max(x, 0); the subgradient at exactly 0 is 0 (gradlens reports such entries as kinks). */
export const myRelu = defineOp({
  name: "myRelu",
  forward: ({ inputs: [x] }) => map(x, (v) => Math.max(v, 0)),
  backward: ({ inputs: [x], gradOutput: g }) => ({ inputs: [map(g, (gi, i) => (x.data[i] > 0 ? gi : 0))] }),
});
