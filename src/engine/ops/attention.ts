/**
 * attention: single-head scaled dot-product attention, O = softmax(q·kᵀ/√d + mask)·v.
 *
 * q [B, T, d], k [B, S, d], v [B, S, dv] (or the same without the batch axis, [T, d] …);
 * an optional fourth input is an additive mask [T, S] (shared by the batch) or
 * [B, T, S] — a constant input, 0 where a query may look and a large negative number
 * where it may not. `"causal": true` lets query i see keys j ≤ i only (T = S).
 *
 * Per batch entry, with c = 1/√d, S = c·q·kᵀ + mask and P = softmax(S) row by row:
 *   dP = g·vᵀ,  dv = Pᵀ·g,
 *   dS = P ⊙ (dP − rowsum(dP ⊙ P))   (the softmax's Jacobian pᵢ(δᵢⱼ − pⱼ), per row),
 *   dq = c·dS·k,  dk = c·dSᵀ·q,  dmask = dS (summed over the batch for a shared mask).
 * A causally hidden entry has P = 0 exactly, so it gets dS = 0.
 */
import type { AttrSpec, Attrs, OpDef } from "../op.js";
import { ShapeError } from "../op.js";
import { shapeText, type Tensor } from "../tensor.js";
import { attr } from "./util.js";

const attentionAttrs: Record<string, AttrSpec> = {
  causal: { type: "bool", default: false, doc: "Query i attends to keys j ≤ i only (needs as many keys as queries)." },
};

/** The sizes of one call: batch entries, queries T, keys S, widths d (q, k) and dv (v); whether the mask is shared. */
interface Dims {
  batch: number;
  T: number;
  S: number;
  d: number;
  dv: number;
  sharedMask: boolean;
}

function dims(shapes: number[][], a: Attrs): Dims {
  const [q, k, v, mask] = shapes;
  if (q.length !== 2 && q.length !== 3) throw new ShapeError(`attention expects q [B, T, d] or [T, d], got ${shapeText(q)}`, 0);
  const lead = q.slice(0, -2), T = q[q.length - 2], d = q[q.length - 1];
  const sameLead = (s: number[]) => s.length === q.length && lead.every((x, i) => s[i] === x);
  if (!sameLead(k) || k[k.length - 1] !== d)
    throw new ShapeError(`attention expects k [${[...lead, "S", d].join(", ")}] to match q ${shapeText(q)}, got ${shapeText(k)}`, 1);
  const S = k[k.length - 2];
  if (!sameLead(v) || v[v.length - 2] !== S)
    throw new ShapeError(`attention expects v [${[...lead, S, "dv"].join(", ")}] to match k ${shapeText(k)}, got ${shapeText(v)}`, 2);
  let sharedMask = true;
  if (mask) {
    const full = [...lead, T, S];
    sharedMask = mask.length === 2 && mask[0] === T && mask[1] === S;
    if (!sharedMask && !(mask.length === full.length && mask.every((x, i) => x === full[i])))
      throw new ShapeError(`attention expects an additive mask [${T}, ${S}] or ${shapeText(full)} for q ${shapeText(q)} and k ${shapeText(k)}, got ${shapeText(mask)}`, 3);
  }
  if (attr<boolean>(attentionAttrs, a, "causal") && T !== S)
    throw new ShapeError(`causal attention needs as many keys as queries, got q ${shapeText(q)} and k ${shapeText(k)}`, 1);
  return { batch: lead.length ? lead[0] : 1, T, S, d, dv: v[v.length - 1], sharedMask };
}

/** P = softmax(c·q·kᵀ + mask) for batch entry b, into P [T, S] (hidden entries exactly 0). */
function weights(q: Tensor, k: Tensor, mask: Tensor | undefined, causal: boolean, n: Dims, b: number, P: Float64Array): void {
  const { T, S, d } = n, c = 1 / Math.sqrt(d), Q = q.data, K = k.data;
  const qo = b * T * d, ko = b * S * d, mo = n.sharedMask ? 0 : b * T * S;
  for (let i = 0; i < T; i++) {
    const seen = causal ? i + 1 : S, row = i * S;
    let max = -Infinity;
    for (let j = 0; j < seen; j++) {
      let dot = 0;
      for (let t = 0; t < d; t++) dot += Q[qo + i * d + t] * K[ko + j * d + t];
      const s = c * dot + (mask ? mask.data[mo + row + j] : 0);
      P[row + j] = s;
      if (s > max) max = s;
    }
    let total = 0;
    for (let j = 0; j < seen; j++) total += P[row + j] = Math.exp(P[row + j] - max);
    for (let j = 0; j < seen; j++) P[row + j] /= total;
    for (let j = seen; j < S; j++) P[row + j] = 0;
  }
}

export const attention: OpDef = {
  name: "attention",
  builtin: true,
  summary: "softmax(q·kᵀ/√d + mask)·v, single head; q, k, v [B, T, d], optional additive mask; \"causal\": true hides later keys",
  formula: "P = softmax(q·kᵀ/√d + mask); dv = Pᵀg, dP = g·vᵀ, dS = P ⊙ (dP − rowsum(dP ⊙ P)), dq = dS·k/√d, dk = dSᵀ·q/√d, dmask = dS",
  arity: [3, 4],
  attrs: attentionAttrs,
  diagnosisHints: {
    scale: "check the 1/√d of softmax(q·kᵀ/√d): dq = dS·k/√d and dk = dSᵀ·q/√d carry it (a factor √d too large on q and k means it was dropped); dv = Pᵀg does not",
  },
  outputShape: ({ inputShapes, attrs: a }) => {
    const n = dims(inputShapes, a);
    return [...inputShapes[0].slice(0, -1), n.dv];
  },
  forward: ({ inputs: [q, k, v, mask], attrs: a }) => {
    const n = dims([q, k, v, mask].filter(Boolean).map((t) => t.shape), a);
    const { batch, T, S, dv } = n, causal = attr<boolean>(attentionAttrs, a, "causal");
    const P = new Float64Array(T * S), V = v.data, out = new Float64Array(batch * T * dv);
    for (let b = 0; b < batch; b++) {
      weights(q, k, mask, causal, n, b, P);
      const vo = b * S * dv, oo = b * T * dv;
      for (let i = 0; i < T; i++)
        for (let j = 0; j < S; j++) {
          const p = P[i * S + j];
          if (p === 0) continue;
          for (let t = 0; t < dv; t++) out[oo + i * dv + t] += p * V[vo + j * dv + t];
        }
    }
    return { shape: [...q.shape.slice(0, -1), dv], data: out };
  },
  backward: ({ inputs: [q, k, v, mask], attrs: a, gradOutput: g }) => {
    const n = dims([q, k, v, mask].filter(Boolean).map((t) => t.shape), a);
    const { batch, T, S, d, dv } = n, c = 1 / Math.sqrt(d), causal = attr<boolean>(attentionAttrs, a, "causal");
    const Q = q.data, K = k.data, V = v.data, G = g.data;
    const dq = new Float64Array(Q.length), dk = new Float64Array(K.length), dvv = new Float64Array(V.length);
    const dMask = mask ? new Float64Array(mask.data.length) : undefined;
    const P = new Float64Array(T * S), dS = new Float64Array(T * S);
    for (let b = 0; b < batch; b++) {
      weights(q, k, mask, causal, n, b, P);
      const qo = b * T * d, ko = b * S * d, vo = b * S * dv, go = b * T * dv, mo = n.sharedMask ? 0 : b * T * S;
      for (let i = 0; i < T; i++) {
        const row = i * S;
        // dP[i, j] = g_i · v_j, then dS = P ⊙ (dP − ⟨dP, P⟩) on row i.
        let dotPdP = 0;
        for (let j = 0; j < S; j++) {
          let dP = 0;
          for (let t = 0; t < dv; t++) dP += G[go + i * dv + t] * V[vo + j * dv + t];
          dS[row + j] = dP;
          dotPdP += dP * P[row + j];
        }
        for (let j = 0; j < S; j++) dS[row + j] = P[row + j] * (dS[row + j] - dotPdP);
      }
      for (let i = 0; i < T; i++)
        for (let j = 0; j < S; j++) {
          const p = P[i * S + j], ds = dS[i * S + j];
          for (let t = 0; t < dv; t++) dvv[vo + j * dv + t] += p * G[go + i * dv + t]; // dv = Pᵀ·g
          for (let t = 0; t < d; t++) {
            dq[qo + i * d + t] += c * ds * K[ko + j * d + t]; // dq = dS·k/√d
            dk[ko + j * d + t] += c * ds * Q[qo + i * d + t]; // dk = dSᵀ·q/√d
          }
          if (dMask) dMask[mo + i * S + j] += ds;
        }
    }
    const like = (t: Tensor, data: Float64Array): Tensor => ({ shape: [...t.shape], data });
    const grads: (Tensor | null)[] = [like(q, dq), like(k, dk), like(v, dvv)];
    if (mask && dMask) grads.push(like(mask, dMask));
    return { inputs: grads };
  },
};
