/**
 * Elementwise binary ops add, sub, mul on [a, b], where b has a's shape or a
 * suffix of it (trailing-dims broadcast: [B, H] with [H] adds the same row to
 * every batch entry).
 *
 * Flat layout makes the broadcast simple: with n = |a| and m = |b|, element i of
 * a meets element i mod m of b. So a broadcast operand's gradient is the sum of
 * the upstream gradient over the n / m repeats (the leading dims), because the
 * same b[j] feeds every one of them.
 */
import type { OpDef } from "../op.js";
import type { Tensor } from "../tensor.js";
import { checkSuffix } from "./util.js";

const zerosOf = (t: Tensor): Tensor => ({ shape: [...t.shape], data: new Float64Array(t.data.length) });

/** How many times b repeats inside a (1 when the shapes are equal). */
const repeats = (a: Tensor, b: Tensor): number => (b.data.length === 0 ? 0 : a.data.length / b.data.length);

export const add: OpDef = {
  name: "add",
  builtin: true,
  summary: "a + b, elementwise; b may be a trailing-dims suffix of a ([B, H] + [H])",
  formula: "dL/da = g; dL/db = g (summed over the broadcast leading dims)",
  arity: 2,
  locality: { kind: "broadcast" },
  outputShape: (ctx) => checkSuffix("add", ctx),
  forward: ({ inputs: [a, b] }) => {
    const y = zerosOf(a), ad = a.data, bd = b.data, yd = y.data, m = bd.length, r = repeats(a, b);
    for (let k = 0, i = 0; k < r; k++) for (let j = 0; j < m; j++, i++) yd[i] = ad[i] + bd[j];
    return y;
  },
  backward: ({ inputs: [a, b], gradOutput: g }) => {
    const da = zerosOf(a), db = zerosOf(b), gd = g.data, dbd = db.data, m = dbd.length, r = repeats(a, b);
    da.data.set(gd);
    for (let k = 0, i = 0; k < r; k++) for (let j = 0; j < m; j++, i++) dbd[j] += gd[i];
    return { inputs: [da, db] };
  },
};

export const sub: OpDef = {
  name: "sub",
  builtin: true,
  summary: "a − b, elementwise; b may be a trailing-dims suffix of a",
  formula: "dL/da = g; dL/db = −g (summed over the broadcast leading dims)",
  arity: 2,
  locality: { kind: "broadcast" },
  outputShape: (ctx) => checkSuffix("sub", ctx),
  forward: ({ inputs: [a, b] }) => {
    const y = zerosOf(a), ad = a.data, bd = b.data, yd = y.data, m = bd.length, r = repeats(a, b);
    for (let k = 0, i = 0; k < r; k++) for (let j = 0; j < m; j++, i++) yd[i] = ad[i] - bd[j];
    return y;
  },
  backward: ({ inputs: [a, b], gradOutput: g }) => {
    const da = zerosOf(a), db = zerosOf(b), gd = g.data, dbd = db.data, m = dbd.length, r = repeats(a, b);
    da.data.set(gd);
    for (let k = 0, i = 0; k < r; k++) for (let j = 0; j < m; j++, i++) dbd[j] -= gd[i];
    return { inputs: [da, db] };
  },
};

export const mul: OpDef = {
  name: "mul",
  builtin: true,
  summary: "a ⊙ b, elementwise; b may be a trailing-dims suffix of a",
  formula: "dL/da = g ⊙ b; dL/db = g ⊙ a (summed over the broadcast leading dims)",
  arity: 2,
  locality: { kind: "broadcast" },
  outputShape: (ctx) => checkSuffix("mul", ctx),
  forward: ({ inputs: [a, b] }) => {
    const y = zerosOf(a), ad = a.data, bd = b.data, yd = y.data, m = bd.length, r = repeats(a, b);
    for (let k = 0, i = 0; k < r; k++) for (let j = 0; j < m; j++, i++) yd[i] = ad[i] * bd[j];
    return y;
  },
  backward: ({ inputs: [a, b], gradOutput: g }) => {
    const da = zerosOf(a), db = zerosOf(b), ad = a.data, bd = b.data, gd = g.data, dad = da.data, dbd = db.data;
    const m = bd.length, r = repeats(a, b);
    for (let k = 0, i = 0; k < r; k++)
      for (let j = 0; j < m; j++, i++) {
        dad[i] = gd[i] * bd[j];
        dbd[j] += gd[i] * ad[i];
      }
    return { inputs: [da, db] };
  },
};

export const binaryOps: OpDef[] = [add, sub, mul];
