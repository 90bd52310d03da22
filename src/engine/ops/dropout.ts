/**
 * dropout in training mode, inverted: each entry kept with probability 1 − p and
 * scaled by 1/(1 − p), so E[y] = x. The mask comes from the forward's seeded rng,
 * which replays the same stream on every forward call of the node within a check
 * (finite differences see the same mask), and is saved for the backward, which has
 * no rng: dL/dx = g ⊙ m/(1 − p). p = 0 keeps every entry: the identity.
 */
import type { AttrSpec, OpDef } from "../op.js";
import { attr } from "./util.js";

const dropoutAttrs: Record<string, AttrSpec> = {
  p: { type: "number", default: 0.5, min: 0, max: 1, maxExclusive: true, doc: "Probability of dropping each entry, 0 ≤ p < 1 (0: the identity)." },
};

export const dropout: OpDef = {
  name: "dropout",
  builtin: true,
  summary: "Inverted dropout (training mode): each entry kept with probability 1 − p, scaled by 1/(1 − p); the mask from the node's seeded rng",
  formula: "yᵢ = xᵢ·mᵢ/(1 − p), mᵢ ~ Bernoulli(1 − p), the same mask on every forward call in a check; dL/dx = g ⊙ m/(1 − p)",
  arity: 1,
  attrs: dropoutAttrs,
  outputShape: ({ inputShapes: [x] }) => [...x],
  forward: ({ inputs: [x], attrs: a, rng }) => {
    const p = attr<number>(dropoutAttrs, a, "p");
    const keep = 1 - p, scale = 1 / keep;
    // mask[i] = mᵢ/(1 − p): 1/(1 − p) where kept, 0 where dropped (p = 0: all ones, no draws).
    const mask = new Float64Array(x.data.length);
    for (let i = 0; i < mask.length; i++) mask[i] = p === 0 ? 1 : rng.bernoulli(keep) * scale;
    const y = new Float64Array(x.data.length);
    for (let i = 0; i < y.length; i++) y[i] = x.data[i] * mask[i];
    return { output: { shape: [...x.shape], data: y }, saved: mask };
  },
  backward: ({ gradOutput: g, saved }) => {
    const mask = saved as Float64Array;
    const dx = new Float64Array(g.data.length);
    for (let i = 0; i < dx.length; i++) dx[i] = g.data[i] * mask[i];
    return { inputs: [{ shape: [...g.shape], data: dx }] };
  },
};
