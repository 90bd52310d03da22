/**
 * What `import … from "gradlens"` gives a user's `.gradnet.ts`: `defineOp`,
 * `network`, the types, and tensor helpers that keep a hand-written backward
 * short. When the CLI or the extension loads a `.gradnet.ts`, "gradlens"
 * resolves to this very module, loaded beside the loader that resolves it
 * (src/config/typescript.ts), so custom ops and the checker share one engine
 * instance. It lives in config, not the engine, because `defineOp` records
 * where user code defined each op (src/config/user-code.ts).
 *
 * Every helper accepts a plain `{ shape, data: Float64Array }` (row-major) and
 * returns a fresh one; none of them mutates its arguments except `set`.
 * Elementwise binary helpers broadcast trailing dimensions, the way the
 * built-in add/mul do: `add(x, b)` with x [B, n] and b [n] adds b to every row.
 */
import { defineOp as defineEngineOp, type OpDef } from "../engine/op.js";
import { outputNamesProblem } from "../engine/graph/outputs.js";
import { network } from "../engine/network.js";
import { full, sameShape, shapeText, sizeOf, type Tensor } from "../engine/tensor.js";
import { locateUserCaller, registerUserOp, tagUserError } from "./user-code.js";

export type {
  Attrs, AttrSpec, BackwardContext, BackwardResult, ForwardContext, ForwardOutput, ForwardRng, InitKind, JacobianResult, OpDef, ParamSpec, ShapeContext,
} from "../engine/op.js";
export type { InputSpec, NetworkSpec, NodeSpec } from "../engine/network.js";
export type { Nested, Tensor } from "../engine/tensor.js";
export type { Rng } from "../engine/random.js";
export { ShapeError } from "../engine/op.js";
export { network };
export {
  clone, dot, fromNested, full, isTensor, matmul, reshape, sameShape, scalar, shapeText, sizeOf, strides, tensor, toNested,
  transpose, unravel, zeros, zerosLike,
} from "../engine/tensor.js";

/**
 * Declare a custom op: `{ name, params?, forward, backward }` or `{ …, jacobian }`.
 * Checks the definition at once (so a typo is reported at this line of the
 * user's file) and records where the op was defined, for messages.
 */
export function defineOp(op: OpDef): OpDef {
  const at = locateUserCaller();
  const fail = (why: string) => {
    throw new TypeError(`defineOp${typeof op?.name === "string" ? `("${op.name}")` : ""}: ${why}`);
  };
  if (typeof op !== "object" || op === null) fail(`expects an object { name, forward, backward }, got ${op === null ? "null" : typeof op}`);
  if (typeof op.name !== "string" || op.name === "") fail("needs a \"name\" (a non-empty string)");
  if (typeof op.forward !== "function") fail("needs a \"forward\" function ({ inputs, params, attrs }) => Tensor");
  if (op.backward !== undefined && typeof op.backward !== "function") fail("\"backward\" must be a function ({ inputs, params, attrs, output, gradOutput }) => { inputs, params }");
  if (op.jacobian !== undefined && typeof op.jacobian !== "function") fail("\"jacobian\" must be a function ({ inputs, params, attrs, output }) => { inputs, params }");
  if (!op.backward && !op.jacobian) fail("needs a \"backward\" (vector–Jacobian products) or a \"jacobian\" (matrices [output size, input size])");
  if (op.outputs !== undefined) {
    if (typeof op.outputs !== "function") {
      const problem = outputNamesProblem(op.outputs);
      if (problem) fail(`${problem} (e.g. outputs: ["h", "c"])`);
    }
    if (!op.backward) fail("a multi-output op needs a \"backward\" ({ outputs, gradOutputs, … }) => { inputs, params }; a \"jacobian\" is for ops with one output");
  }
  if (op.outputShapes !== undefined && typeof op.outputShapes !== "function") fail("\"outputShapes\" must be a function ({ inputShapes, attrs }) => ({ h: [...], c: [...] })");
  if (op.outputShapes !== undefined && op.outputs === undefined) fail("\"outputShapes\" is for a multi-output op: declare its outputs (outputs: [\"h\", \"c\"]), or give \"outputShape\"");
  if (op.params !== undefined) {
    if (typeof op.params !== "object" || op.params === null) fail("\"params\" must be an object: name → { shape: ({ inputShapes, attrs }) => number[] }");
    for (const [name, spec] of Object.entries(op.params))
      if (typeof spec?.shape !== "function") fail(`param '${name}' needs a "shape" function ({ inputShapes, attrs }) => number[]`);
  }
  // Each user function is wrapped so that an exception it throws says which op and which step threw.
  const guard = <A extends unknown[], R>(step: string, f: ((...args: A) => R) | undefined) =>
    f && function (this: unknown, ...args: A): R {
      try {
        return f.apply(this, args);
      } catch (e) {
        throw tagUserError(e, step, op.name);
      }
    };
  const def = defineEngineOp({
    ...op, builtin: false,
    forward: guard("the forward", op.forward)!, backward: guard("the backward", op.backward), jacobian: guard("the jacobian", op.jacobian),
    ...(at ? { definedAt: `${at.file}:${at.line}:${at.column}` } : {}),
  });
  if (!def.backward) delete def.backward;
  if (!def.jacobian) delete def.jacobian;
  if (at) registerUserOp(def.name, at);
  return def;
}

// ---------------------------------------------------------------- creating

export function ones(shape: readonly number[]): Tensor {
  return full(shape, 1);
}

export const onesLike = (t: Tensor): Tensor => ones(t.shape);

/** Integer labels [B] → one-hot rows [B, classes] (the lecture's y). */
export function oneHot(labels: Tensor, classes: number): Tensor {
  const out = { shape: [...labels.shape, classes], data: new Float64Array(labels.data.length * classes) };
  labels.data.forEach((c, i) => (out.data[i * classes + c] = 1));
  return out;
}

// ---------------------------------------------------------------- reading and writing entries

/** The single value of a scalar (or one-entry) tensor. */
export function item(t: Tensor): number {
  if (t.data.length !== 1) throw new Error(`item: expected one value, got shape ${shapeText(t.shape)}`);
  return t.data[0];
}

function flatIndex(t: Tensor, index: readonly number[], who: string): number {
  if (index.length !== t.shape.length) throw new Error(`${who}: index [${index.join(", ")}] does not fit shape ${shapeText(t.shape)}`);
  let flat = 0;
  index.forEach((v, k) => {
    if (!Number.isInteger(v) || v < 0 || v >= t.shape[k]) throw new Error(`${who}: index [${index.join(", ")}] is out of range for shape ${shapeText(t.shape)}`);
    flat = flat * t.shape[k] + v;
  });
  return flat;
}

/** t[i, j, …] */
export function get(t: Tensor, ...index: number[]): number {
  return t.data[flatIndex(t, index, "get")];
}

/** t[i, j, …] = value (mutates t). */
export function set(t: Tensor, index: readonly number[], value: number): void {
  t.data[flatIndex(t, index, "set")] = value;
}

/** The slices along the first axis: rows(x) of x [B, n] is B tensors of shape [n] (views on x's data). */
export function rows(t: Tensor): Tensor[] {
  if (t.shape.length === 0) throw new Error("rows: a scalar has no rows");
  const inner = t.shape.slice(1), n = sizeOf(inner);
  return Array.from({ length: t.shape[0] }, (_, i) => ({ shape: [...inner], data: t.data.subarray(i * n, (i + 1) * n) }));
}

/** Stack same-shaped tensors along a new first axis (the inverse of rows). */
export function stack(ts: readonly Tensor[]): Tensor {
  if (ts.length === 0) throw new Error("stack: nothing to stack");
  const inner = ts[0].shape, n = sizeOf(inner);
  const out = { shape: [ts.length, ...inner], data: new Float64Array(ts.length * n) };
  ts.forEach((t, i) => {
    if (!sameShape(t.shape, inner)) throw new Error(`stack: shapes ${shapeText(inner)} and ${shapeText(t.shape)} differ`);
    out.data.set(t.data, i * n);
  });
  return out;
}

// ---------------------------------------------------------------- elementwise

export function map(t: Tensor, f: (v: number, i: number) => number): Tensor {
  const out = new Float64Array(t.data.length);
  for (let i = 0; i < out.length; i++) out[i] = f(t.data[i], i);
  return { shape: [...t.shape], data: out };
}

/**
 * f(a, b) entry by entry. Same shapes, or one shape a trailing suffix of the
 * other (b [n] against a [B, n]: b is reused for every row).
 */
export function zip(a: Tensor, b: Tensor, f: (x: number, y: number, i: number) => number): Tensor {
  if (sameShape(a.shape, b.shape)) {
    const out = new Float64Array(a.data.length);
    for (let i = 0; i < out.length; i++) out[i] = f(a.data[i], b.data[i], i);
    return { shape: [...a.shape], data: out };
  }
  const big = a.shape.length >= b.shape.length ? a : b, small = big === a ? b : a;
  const suffix = big.shape.slice(big.shape.length - small.shape.length);
  if (!sameShape(suffix, small.shape))
    throw new Error(`shapes ${shapeText(a.shape)} and ${shapeText(b.shape)} do not broadcast (the smaller must be a trailing part of the larger)`);
  const n = small.data.length, out = new Float64Array(big.data.length);
  for (let i = 0; i < out.length; i++) out[i] = big === a ? f(a.data[i], b.data[i % n], i) : f(a.data[i % n], b.data[i], i);
  return { shape: [...big.shape], data: out };
}

export const add = (a: Tensor, b: Tensor): Tensor => zip(a, b, (x, y) => x + y);
export const sub = (a: Tensor, b: Tensor): Tensor => zip(a, b, (x, y) => x - y);
export const mul = (a: Tensor, b: Tensor): Tensor => zip(a, b, (x, y) => x * y);
export const div = (a: Tensor, b: Tensor): Tensor => zip(a, b, (x, y) => x / y);
export const scale = (t: Tensor, c: number): Tensor => map(t, (x) => x * c);
export const neg = (t: Tensor): Tensor => map(t, (x) => -x);
export const exp = (t: Tensor): Tensor => map(t, Math.exp);
export const log = (t: Tensor): Tensor => map(t, Math.log);
export const sqrt = (t: Tensor): Tensor => map(t, Math.sqrt);
export const square = (t: Tensor): Tensor => map(t, (x) => x * x);
export const tanh = (t: Tensor): Tensor => map(t, Math.tanh);

// ---------------------------------------------------------------- reductions

function normalise(axis: number, shape: readonly number[], who: string): number {
  const a = axis < 0 ? axis + shape.length : axis;
  if (!Number.isInteger(a) || a < 0 || a >= shape.length) throw new Error(`${who}: axis ${axis} is out of range for shape ${shapeText(shape)}`);
  return a;
}

function reduce(t: Tensor, axis: number | undefined, keepDims: boolean, who: string, start: number, f: (acc: number, v: number) => number): Tensor {
  if (axis === undefined) {
    let acc = start;
    for (let i = 0; i < t.data.length; i++) acc = f(acc, t.data[i]);
    return { shape: keepDims ? t.shape.map(() => 1) : [], data: Float64Array.of(acc) };
  }
  const a = normalise(axis, t.shape, who);
  const outer = sizeOf(t.shape.slice(0, a)), n = t.shape[a], inner = sizeOf(t.shape.slice(a + 1));
  const out = new Float64Array(outer * inner).fill(start);
  for (let o = 0; o < outer; o++)
    for (let k = 0; k < n; k++)
      for (let i = 0; i < inner; i++) out[o * inner + i] = f(out[o * inner + i], t.data[(o * n + k) * inner + i]);
  const shape = keepDims ? t.shape.map((d, k) => (k === a ? 1 : d)) : t.shape.filter((_, k) => k !== a);
  return { shape, data: out };
}

/** Σ of all entries (a scalar tensor), or along one axis (that axis removed unless keepDims). */
export function sum(t: Tensor, axis?: number, keepDims = false): Tensor {
  return reduce(t, axis, keepDims, "sum", 0, (acc, v) => acc + v);
}

/** Mean of all entries, or along one axis: the sum divided by the count (1/N). */
export function mean(t: Tensor, axis?: number, keepDims = false): Tensor {
  const count = axis === undefined ? t.data.length : t.shape[normalise(axis, t.shape, "mean")];
  return scale(sum(t, axis, keepDims), 1 / count);
}

/** Largest entry, overall or along one axis. */
export function max(t: Tensor, axis?: number, keepDims = false): Tensor {
  return reduce(t, axis, keepDims, "max", -Infinity, Math.max);
}

// ---------------------------------------------------------------- layers people write

/** Softmax along the last axis, pⱼ = e^(lⱼ) / Σₖ e^(lₖ), stable (the row maximum is subtracted first). */
export function softmax(l: Tensor): Tensor {
  const n = l.shape[l.shape.length - 1];
  const p = new Float64Array(l.data.length);
  for (let o = 0; o < l.data.length; o += n) {
    let m = -Infinity, total = 0;
    for (let j = 0; j < n; j++) m = Math.max(m, l.data[o + j]);
    for (let j = 0; j < n; j++) total += p[o + j] = Math.exp(l.data[o + j] - m);
    for (let j = 0; j < n; j++) p[o + j] /= total;
  }
  return { shape: [...l.shape], data: p };
}

/** The outer product u vᵀ of two vectors: [u size, v size]. */
export function outer(u: Tensor, v: Tensor): Tensor {
  const out = new Float64Array(u.data.length * v.data.length);
  for (let i = 0; i < u.data.length; i++) for (let j = 0; j < v.data.length; j++) out[i * v.data.length + j] = u.data[i] * v.data[j];
  return { shape: [u.data.length, v.data.length], data: out };
}

/** The n × n identity matrix. */
export function eye(n: number): Tensor {
  const t = { shape: [n, n], data: new Float64Array(n * n) };
  for (let i = 0; i < n; i++) t.data[i * n + i] = 1;
  return t;
}
