/**
 * Small helpers the built-in ops share: reading attributes with their declared
 * defaults, splitting a shape around an axis, the trailing-dims broadcast rule,
 * reading class labels, and seeded initialisers.
 */
import type { AttrSpec, Attrs, ShapeContext } from "../op.js";
import { ShapeError } from "../op.js";
import type { Rng } from "../random.js";
import { type Tensor, sizeOf, shapeText } from "../tensor.js";

/** An attribute's value, or the default its spec declares. */
export function attr<T>(specs: Record<string, AttrSpec>, attrs: Attrs, name: string): T {
  const v = attrs[name];
  return (v === undefined ? specs[name]?.default : v) as T;
}

/** `kernel: 3` or `kernel: [3, 2]` → [kh, kw]. */
export function pair(v: number | number[], name: string, op: string): [number, number] {
  if (typeof v === "number") return [v, v];
  if (Array.isArray(v) && v.length === 2) return [v[0], v[1]];
  throw new ShapeError(`${op} expects ${name} to be an int or [int, int], got ${JSON.stringify(v)}`);
}

/** A possibly negative axis → 0 ≤ axis < rank, or a ShapeError naming the shape. */
export function normAxis(axis: number, shape: readonly number[], op: string, inputIndex = 0): number {
  const r = shape.length;
  const a = axis < 0 ? axis + r : axis;
  if (!Number.isInteger(a) || a < 0 || a >= r)
    throw new ShapeError(`${op}: axis ${axis} is out of range for shape ${shapeText(shape)} (rank ${r})`, inputIndex);
  return a;
}

/**
 * View a shape as [outer, n, inner] around one axis: element (o, k, i) sits at
 * flat index (o·n + k)·inner + i.
 */
export function splitAt(shape: readonly number[], axis: number): { outer: number; n: number; inner: number } {
  return { outer: sizeOf(shape.slice(0, axis)), n: shape[axis], inner: sizeOf(shape.slice(axis + 1)) };
}

/**
 * The trailing-dims broadcast of add/sub/mul: b's shape must equal a's, or be a
 * suffix of it ([B, H] with [H]; [] is a suffix of everything).
 */
export function checkSuffix(op: string, ctx: ShapeContext): number[] {
  const [a, b] = ctx.inputShapes;
  const k = a.length - b.length;
  if (k < 0 || b.some((d, i) => d !== a[k + i]))
    throw new ShapeError(
      `${op} expects the second input's shape to equal the first's or to be a suffix of it (trailing-dims broadcast), ` +
        `got ${shapeText(a)} and ${shapeText(b)}`,
      1,
    );
  return [...a];
}

/** The first input's rank is one of `ranks`, or a ShapeError naming `what` it should be. */
export function expectRank(op: string, shape: readonly number[], ranks: number[], what: string): void {
  if (!ranks.includes(shape.length))
    throw new ShapeError(`${op} expects ${what} of rank ${ranks.join(" or ")}, got ${shapeText(shape)}`, 0);
}

/**
 * Loss ops with labels: scores [B, C] and labels [B]. Returns B and C; throws a
 * ShapeError naming both shapes.
 */
export function checkScoresAndLabels(op: string, ctx: ShapeContext, what: string): { B: number; C: number } {
  const [s, y] = ctx.inputShapes;
  expectRank(op, s, [2], `${what} [B, C]`);
  if (y.length !== 1 || y[0] !== s[0])
    throw new ShapeError(`${op} expects labels of shape [${s[0]}] to match ${what} ${shapeText(s)}, got ${shapeText(y)}`, 1);
  return { B: s[0], C: s[1] };
}

/** Label b as a class index, checked: an integer in [0, C). */
export function label(op: string, y: Tensor, b: number, C: number): number {
  const a = y.data[b];
  if (!Number.isInteger(a) || a < 0 || a >= C)
    throw new RangeError(`${op}: label y[${b}] = ${a} is not a class index in [0, ${C})`);
  return a;
}

/** U(−1/√fanIn, 1/√fanIn), PyTorch's default for linear and conv weights and biases. */
export function uniformFanIn(shape: number[], rng: Rng, fanIn: number): Tensor {
  const bound = 1 / Math.sqrt(Math.max(1, fanIn));
  const data = new Float64Array(sizeOf(shape));
  for (let i = 0; i < data.length; i++) data[i] = (2 * rng.uniform() - 1) * bound;
  return { shape: [...shape], data };
}

/** centre + spread·N(0,1): a near-identity scale (γ) or near-zero shift (β) that is not exactly 1 or 0. */
export function jittered(shape: number[], rng: Rng, centre: number, spread: number): Tensor {
  const data = new Float64Array(sizeOf(shape));
  for (let i = 0; i < data.length; i++) data[i] = centre + spread * rng.normal();
  return { shape: [...shape], data };
}
