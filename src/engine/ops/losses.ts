/**
 * Losses, each a scalar (shape []) averaged over the batch:
 * cross_entropy [p, y], softmax_cross_entropy [logits, y], nll [logp, y], mse [pred, target].
 *
 * y holds integer class labels (stored as floats): never differentiated, so the
 * backward returns null for it. With a one-hot y the lecture's cross-entropy
 * −Σⱼ yⱼ log pⱼ is −log pₐ, a = the true class.
 * The upstream gradient g of a scalar loss is a single number (1 when it is the network's output).
 */
import type { OpDef } from "../op.js";
import { ShapeError } from "../op.js";
import { sameShape, shapeText } from "../tensor.js";
import { checkScoresAndLabels, label } from "./util.js";

const scalarOut = (v: number) => ({ shape: [] as number[], data: Float64Array.of(v) });

export const cross_entropy: OpDef = {
  name: "cross_entropy",
  builtin: true,
  lecture: "cross-entropy",
  summary: "L = (1/B) Σ_b −log p[b, y_b] for probabilities p [B, C] and labels y [B]",
  formula: "∂L/∂pₐ = −1/pₐ; dL/dp[b,a] = −1/(B·p[b,a]) for a = y_b, else 0",
  arity: 2,
  labelInputs: [1],
  outputShape: (ctx) => {
    checkScoresAndLabels("cross_entropy", ctx, "p");
    return [];
  },
  forward: ({ inputs: [p, y] }) => {
    const [B, C] = p.shape, P = p.data;
    let loss = 0;
    for (let b = 0; b < B; b++) loss -= Math.log(P[b * C + label("cross_entropy", y, b, C)]);
    return scalarOut(loss / B);
  },
  backward: ({ inputs: [p, y], gradOutput: g }) => {
    const [B, C] = p.shape, P = p.data, dp = new Float64Array(P.length), g0 = g.data[0];
    for (let b = 0; b < B; b++) {
      const at = b * C + label("cross_entropy", y, b, C);
      dp[at] = -g0 / (B * P[at]);
    }
    return { inputs: [{ shape: [...p.shape], data: dp }, null] };
  },
};

export const softmax_cross_entropy: OpDef = {
  name: "softmax_cross_entropy",
  builtin: true,
  lecture: "softmax-cross-entropy",
  summary: "cross_entropy(softmax(logits), y) in one stable step; logits [B, C], labels y [B]",
  formula: "dL/dl = (p − y)/B, p = softmax(l), y one-hot (the lecture's pⱼ − yⱼ)",
  arity: 2,
  labelInputs: [1],
  outputShape: (ctx) => {
    checkScoresAndLabels("softmax_cross_entropy", ctx, "logits");
    return [];
  },
  forward: ({ inputs: [l, y] }) => {
    const [B, C] = l.shape, L = l.data;
    let loss = 0;
    for (let b = 0; b < B; b++) {
      const row = b * C;
      let max = -Infinity;
      for (let j = 0; j < C; j++) max = Math.max(max, L[row + j]);
      let total = 0;
      for (let j = 0; j < C; j++) total += Math.exp(L[row + j] - max);
      // −log pₐ = log Σₖ e^(lₖ) − lₐ, never forming a pₐ that could underflow to 0.
      loss += max + Math.log(total) - L[row + label("softmax_cross_entropy", y, b, C)];
    }
    return scalarOut(loss / B);
  },
  backward: ({ inputs: [l, y], gradOutput: g }) => {
    const [B, C] = l.shape, L = l.data, dl = new Float64Array(L.length), scale = g.data[0] / B;
    for (let b = 0; b < B; b++) {
      const row = b * C;
      let max = -Infinity;
      for (let j = 0; j < C; j++) max = Math.max(max, L[row + j]);
      let total = 0;
      for (let j = 0; j < C; j++) total += dl[row + j] = Math.exp(L[row + j] - max);
      for (let j = 0; j < C; j++) dl[row + j] = (dl[row + j] / total) * scale; // p/B
      dl[row + label("softmax_cross_entropy", y, b, C)] -= scale; // − onehot/B
    }
    return { inputs: [{ shape: [...l.shape], data: dl }, null] };
  },
};

export const nll: OpDef = {
  name: "nll",
  builtin: true,
  summary: "L = (1/B) Σ_b −logp[b, y_b] for log-probabilities logp [B, C] (after log_softmax) and labels y [B]",
  formula: "dL/dlogp[b,a] = −1/B for a = y_b, else 0",
  arity: 2,
  labelInputs: [1],
  outputShape: (ctx) => {
    checkScoresAndLabels("nll", ctx, "logp");
    return [];
  },
  forward: ({ inputs: [logp, y] }) => {
    const [B, C] = logp.shape, LP = logp.data;
    let loss = 0;
    for (let b = 0; b < B; b++) loss -= LP[b * C + label("nll", y, b, C)];
    return scalarOut(loss / B);
  },
  backward: ({ inputs: [logp, y], gradOutput: g }) => {
    const [B, C] = logp.shape, d = new Float64Array(logp.data.length), g0 = g.data[0];
    for (let b = 0; b < B; b++) d[b * C + label("nll", y, b, C)] = -g0 / B;
    return { inputs: [{ shape: [...logp.shape], data: d }, null] };
  },
};

export const mse: OpDef = {
  name: "mse",
  builtin: true,
  summary: "L = mean over all N entries of (pred − target)²",
  formula: "dL/dpred = 2(pred − target)/N, dL/dtarget = −2(pred − target)/N (the lecture's 2x(wx + b − y) through l = wx + b)",
  arity: 2,
  outputShape: ({ inputShapes: [pred, target] }) => {
    if (!sameShape(pred, target))
      throw new ShapeError(`mse expects target of the same shape as pred, got pred ${shapeText(pred)} and target ${shapeText(target)}`, 1);
    return [];
  },
  forward: ({ inputs: [pred, target] }) => {
    const P = pred.data, T = target.data, N = P.length;
    let s = 0;
    for (let i = 0; i < N; i++) {
      const d = P[i] - T[i];
      s += d * d;
    }
    return scalarOut(s / N);
  },
  backward: ({ inputs: [pred, target], gradOutput: g }) => {
    const P = pred.data, T = target.data, N = P.length, k = (2 * g.data[0]) / N;
    const dPred = new Float64Array(N), dTarget = new Float64Array(N);
    for (let i = 0; i < N; i++) {
      const d = k * (P[i] - T[i]);
      dPred[i] = d;
      dTarget[i] = -d;
    }
    return { inputs: [{ shape: [...pred.shape], data: dPred }, { shape: [...target.shape], data: dTarget }] };
  },
};

export const lossOps: OpDef[] = [cross_entropy, softmax_cross_entropy, nll, mse];
