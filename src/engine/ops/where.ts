/**
 * where(mask, a, b): a where the mask is positive, b elsewhere (a 0/1 mask: 1 picks
 * a). The output has a's shape; the mask and b may each have a's shape or a suffix
 * of it (the trailing-dims broadcast of add). The mask is meant to be a constant
 * input ("constant": true): it only chooses, so its gradient is 0 wherever it is
 * defined (a mask entry at exactly 0 is a jump, which the checker calls a kink).
 *
 * Entry i reads mask[i mod |mask|], a[i] and b[i mod |b|]; the gradient of a
 * broadcast b is summed over its repeats.
 */
import { ShapeError, type OpDef } from "../op.js";
import { shapeText, type Tensor } from "../tensor.js";

const zerosOf = (t: Tensor): Tensor => ({ shape: [...t.shape], data: new Float64Array(t.data.length) });

/** `shape` equals `of` or is a suffix of it. */
const fits = (shape: readonly number[], of: readonly number[]): boolean => {
  const k = of.length - shape.length;
  return k >= 0 && shape.every((d, i) => d === of[k + i]);
};

export const where: OpDef = {
  name: "where",
  builtin: true,
  summary: "where(mask, a, b): a where mask > 0, else b; mask and b may be trailing-dims suffixes of a",
  formula: "dL/da = g ⊙ [mask > 0]; dL/db = g ⊙ [mask ≤ 0] (summed over the broadcast leading dims); dL/dmask = 0",
  arity: 3,
  locality: { kind: "broadcast" },
  outputShape: ({ inputShapes: [mask, a, b] }) => {
    if (!fits(mask, a))
      throw new ShapeError(`where expects the mask's shape to equal a's or to be a suffix of it, got mask ${shapeText(mask)} and a ${shapeText(a)}`, 0);
    if (!fits(b, a))
      throw new ShapeError(`where expects b's shape to equal a's or to be a suffix of it, got a ${shapeText(a)} and b ${shapeText(b)}`, 2);
    return [...a];
  },
  forward: ({ inputs: [mask, a, b] }) => {
    const y = zerosOf(a), md = mask.data, ad = a.data, bd = b.data, yd = y.data, mm = md.length, mb = bd.length;
    for (let i = 0; i < yd.length; i++) yd[i] = md[i % mm] > 0 ? ad[i] : bd[i % mb];
    return y;
  },
  backward: ({ inputs: [mask, a, b], gradOutput: g }) => {
    const dMask = zerosOf(mask), dA = zerosOf(a), dB = zerosOf(b);
    const md = mask.data, gd = g.data, dad = dA.data, dbd = dB.data, mm = md.length, mb = dbd.length;
    for (let i = 0; i < gd.length; i++) {
      if (md[i % mm] > 0) dad[i] = gd[i];
      else dbd[i % mb] += gd[i];
    }
    return { inputs: [dMask, dA, dB] };
  },
};
