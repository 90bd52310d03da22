/**
 * softmax and log_softmax along one axis (default the last, negative counts from the end).
 *
 * The lecture's softmax pⱼ = e^(lⱼ) / Σₖ e^(lₖ) has the full Jacobian
 * ∂pⱼ/∂lₖ = pⱼ(δⱼₖ − pₖ), so the vector–Jacobian product never needs the matrix:
 * (gᵀ J)ₖ = Σⱼ gⱼ pⱼ(δⱼₖ − pₖ) = pₖ(gₖ − ⟨g, p⟩).
 *
 * Both subtract the row maximum before exponentiating (the result is unchanged;
 * e^(·) stays ≤ 1 and cannot overflow).
 */
import type { AttrSpec, Attrs, OpDef } from "../op.js";
import { attr, normAxis, splitAt } from "./util.js";

const attrs: Record<string, AttrSpec> = {
  axis: { type: "int", default: -1, doc: "The axis that sums to 1 (negative counts from the end; default the last)." },
};

const layout = (shape: number[], a: Attrs, op: string) => splitAt(shape, normAxis(attr<number>(attrs, a, "axis"), shape, op));

export const softmax: OpDef = {
  name: "softmax",
  builtin: true,
  summary: "pⱼ = e^(lⱼ) / Σₖ e^(lₖ) along an axis (default the last)",
  formula: "∂pⱼ/∂lₖ = pⱼ(δⱼₖ − pₖ); dL/dl = p ⊙ (g − ⟨g, p⟩)",
  arity: 1,
  attrs,
  locality: { kind: "rowwise", axisAttr: "axis" },
  diagnosisHints: {
    "missing-off-diagonal":
      "dL/dl is missing the j ≠ a terms of the softmax Jacobian — only the diagonal pⱼ(1 − pⱼ) is there; ∂pⱼ/∂lₖ = pⱼ(δⱼₖ − pₖ) also has −pⱼpₖ for j ≠ k",
  },
  outputShape: ({ inputShapes: [x], attrs: a }) => {
    layout(x, a, "softmax");
    return [...x];
  },
  forward: ({ inputs: [l], attrs: a }) => {
    const { outer, n, inner } = layout(l.shape, a, "softmax");
    const L = l.data, P = new Float64Array(L.length);
    for (let o = 0; o < outer; o++)
      for (let i = 0; i < inner; i++) {
        const base = o * n * inner + i;
        let max = -Infinity;
        for (let j = 0; j < n; j++) max = Math.max(max, L[base + j * inner]);
        let total = 0;
        for (let j = 0; j < n; j++) total += P[base + j * inner] = Math.exp(L[base + j * inner] - max);
        for (let j = 0; j < n; j++) P[base + j * inner] /= total;
      }
    return { shape: [...l.shape], data: P };
  },
  backward: ({ output: p, gradOutput: g, attrs: a }) => {
    const { outer, n, inner } = layout(p.shape, a, "softmax");
    const P = p.data, G = g.data, dl = new Float64Array(P.length);
    for (let o = 0; o < outer; o++)
      for (let i = 0; i < inner; i++) {
        const base = o * n * inner + i;
        let gp = 0; // ⟨g, p⟩
        for (let j = 0; j < n; j++) gp += G[base + j * inner] * P[base + j * inner];
        for (let j = 0; j < n; j++) dl[base + j * inner] = P[base + j * inner] * (G[base + j * inner] - gp);
      }
    return { inputs: [{ shape: [...p.shape], data: dl }] };
  },
};

export const log_softmax: OpDef = {
  name: "log_softmax",
  builtin: true,
  summary: "log pⱼ = lⱼ − log Σₖ e^(lₖ) along an axis (default the last)",
  formula: "∂(log pⱼ)/∂lₖ = δⱼₖ − pₖ; dL/dl = g − p·Σⱼ gⱼ",
  arity: 1,
  attrs,
  locality: { kind: "rowwise", axisAttr: "axis" },
  outputShape: ({ inputShapes: [x], attrs: a }) => {
    layout(x, a, "log_softmax");
    return [...x];
  },
  forward: ({ inputs: [l], attrs: a }) => {
    const { outer, n, inner } = layout(l.shape, a, "log_softmax");
    const L = l.data, Y = new Float64Array(L.length);
    for (let o = 0; o < outer; o++)
      for (let i = 0; i < inner; i++) {
        const base = o * n * inner + i;
        let max = -Infinity;
        for (let j = 0; j < n; j++) max = Math.max(max, L[base + j * inner]);
        let total = 0;
        for (let j = 0; j < n; j++) total += Math.exp(L[base + j * inner] - max);
        const logZ = max + Math.log(total);
        for (let j = 0; j < n; j++) Y[base + j * inner] = L[base + j * inner] - logZ;
      }
    return { shape: [...l.shape], data: Y };
  },
  backward: ({ output: y, gradOutput: g, attrs: a }) => {
    const { outer, n, inner } = layout(y.shape, a, "log_softmax");
    const Y = y.data, G = g.data, dl = new Float64Array(Y.length);
    for (let o = 0; o < outer; o++)
      for (let i = 0; i < inner; i++) {
        const base = o * n * inner + i;
        let gSum = 0;
        for (let j = 0; j < n; j++) gSum += G[base + j * inner];
        // p = e^(log p): the saved output gives the softmax back.
        for (let j = 0; j < n; j++) dl[base + j * inner] = G[base + j * inner] - Math.exp(Y[base + j * inner]) * gSum;
      }
    return { inputs: [{ shape: [...y.shape], data: dl }] };
  },
};

export const softmaxOps: OpDef[] = [softmax, log_softmax];
