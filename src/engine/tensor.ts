/**
 * Tensors: a shape and a row-major Float64Array. A user's custom op may build its
 * result as a plain `{ shape, data }` object; every helper here accepts that form.
 */
import { shapeText, type Nested } from "../shared/arrays.js";

// Index arithmetic is shared with the CLI and the webview (which have no tensors).
export { shapeText, strides, unravel, type Nested } from "../shared/arrays.js";

export interface Tensor {
  shape: number[];
  data: Float64Array;
}

export function sizeOf(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

export function tensor(shape: readonly number[], data?: Float64Array | ArrayLike<number>): Tensor {
  const n = sizeOf(shape);
  const out = data instanceof Float64Array ? data : new Float64Array(n);
  if (data && !(data instanceof Float64Array)) for (let i = 0; i < n; i++) out[i] = data[i];
  if (out.length !== n) throw new Error(`tensor: shape [${shape.join(", ")}] needs ${n} values, got ${out.length}`);
  return { shape: [...shape], data: out };
}

export const zeros = (shape: readonly number[]): Tensor => tensor(shape);

export function full(shape: readonly number[], value: number): Tensor {
  const t = tensor(shape);
  t.data.fill(value);
  return t;
}

export const zerosLike = (t: Tensor): Tensor => tensor(t.shape);
export const clone = (t: Tensor): Tensor => ({ shape: [...t.shape], data: new Float64Array(t.data) });
export const scalar = (v: number): Tensor => ({ shape: [], data: Float64Array.of(v) });

export function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

export function fromNested(value: Nested): Tensor {
  const shape: number[] = [];
  let probe: Nested = value;
  while (Array.isArray(probe)) {
    shape.push(probe.length);
    probe = probe[0];
  }
  const data = new Float64Array(sizeOf(shape));
  let k = 0;
  const walk = (v: Nested): void => {
    if (Array.isArray(v)) v.forEach(walk);
    else data[k++] = v;
  };
  walk(value);
  return { shape, data };
}

export function toNested(t: Tensor): Nested {
  if (t.shape.length === 0) return t.data[0];
  let k = 0;
  const build = (dim: number): Nested[] => {
    const out: Nested[] = [];
    for (let i = 0; i < t.shape[dim]; i++) out.push(dim === t.shape.length - 1 ? t.data[k++] : build(dim + 1));
    return out;
  };
  return build(0);
}

export function map(t: Tensor, f: (v: number, i: number) => number): Tensor {
  const out = new Float64Array(t.data.length);
  for (let i = 0; i < out.length; i++) out[i] = f(t.data[i], i);
  return { shape: [...t.shape], data: out };
}

export function zip(a: Tensor, b: Tensor, f: (x: number, y: number, i: number) => number): Tensor {
  if (!sameShape(a.shape, b.shape)) throw new Error(`zip: shapes ${shapeText(a.shape)} and ${shapeText(b.shape)} differ`);
  const out = new Float64Array(a.data.length);
  for (let i = 0; i < out.length; i++) out[i] = f(a.data[i], b.data[i], i);
  return { shape: [...a.shape], data: out };
}

export const add = (a: Tensor, b: Tensor): Tensor => zip(a, b, (x, y) => x + y);
export const sub = (a: Tensor, b: Tensor): Tensor => zip(a, b, (x, y) => x - y);
export const mul = (a: Tensor, b: Tensor): Tensor => zip(a, b, (x, y) => x * y);
export const scale = (a: Tensor, c: number): Tensor => map(a, (x) => x * c);

export function reshape(t: Tensor, shape: readonly number[]): Tensor {
  if (sizeOf(shape) !== t.data.length) throw new Error(`reshape: ${shapeText(t.shape)} cannot become ${shapeText(shape)}`);
  return { shape: [...shape], data: t.data };
}

/** C = A·B for A [m, k], B [k, n]. */
export function matmul(a: Tensor, b: Tensor): Tensor {
  const [m, k] = a.shape;
  const [k2, n] = b.shape;
  if (a.shape.length !== 2 || b.shape.length !== 2 || k !== k2)
    throw new Error(`matmul: shapes ${shapeText(a.shape)} and ${shapeText(b.shape)} do not chain`);
  const out = new Float64Array(m * n);
  const A = a.data, B = b.data;
  for (let i = 0; i < m; i++) {
    const row = i * n;
    for (let p = 0; p < k; p++) {
      const aip = A[i * k + p];
      if (aip === 0) continue;
      const brow = p * n;
      for (let j = 0; j < n; j++) out[row + j] += aip * B[brow + j];
    }
  }
  return { shape: [m, n], data: out };
}

/** Transpose of a 2-D tensor. */
export function transpose(t: Tensor): Tensor {
  if (t.shape.length !== 2) throw new Error(`transpose: expected 2-D, got ${shapeText(t.shape)}`);
  const [m, n] = t.shape;
  const out = new Float64Array(m * n);
  for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) out[j * m + i] = t.data[i * n + j];
  return { shape: [n, m], data: out };
}

export function sum(t: Tensor): number {
  let s = 0;
  for (let i = 0; i < t.data.length; i++) s += t.data[i];
  return s;
}

export function dot(a: Tensor | Float64Array, b: Tensor | Float64Array): number {
  const x = a instanceof Float64Array ? a : a.data;
  const y = b instanceof Float64Array ? b : b.data;
  let s = 0;
  for (let i = 0; i < x.length; i++) s += x[i] * y[i];
  return s;
}

/** Is this value a usable tensor (`{ shape: number[], data: Float64Array }` with matching size)? */
export function isTensor(v: unknown): v is Tensor {
  if (typeof v !== "object" || v === null) return false;
  const t = v as Tensor;
  return Array.isArray(t.shape) && t.shape.every((d) => Number.isInteger(d) && d >= 0) &&
    t.data instanceof Float64Array && t.data.length === sizeOf(t.shape);
}
