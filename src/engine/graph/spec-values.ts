/** Values written in a network file (shapes, nested arrays of numbers), validated where they stand. */
import type { MemoryBudget } from "../limits.js";
import { NetworkError, type SpecPath } from "../network.js";
import { shapeText, type Nested } from "../tensor.js";

/** What one build may allocate: values per tensor, and bytes in all. */
export interface Limits {
  maxSize: number;
  budget: MemoryBudget;
}

export function checkShape(shape: unknown, path: SpecPath, maxSize: number): number[] {
  if (!Array.isArray(shape)) throw new NetworkError(`a shape must be an array of positive integers, got ${short(shape)}`, path);
  shape.forEach((d, k) => {
    if (typeof d !== "number" || !Number.isInteger(d) || d < 1)
      throw new NetworkError(`shape dimensions must be positive integers, got ${short(d)}`, [...path, k]);
  });
  const size = shape.reduce((a: number, b: number) => a * b, 1);
  if (size > maxSize) throw new NetworkError(`shape ${shapeText(shape)} has ${size} values, over the limit of ${maxSize}`, path);
  return shape as number[];
}

/** The shape of rectangular nested arrays of finite numbers (what fromNested will read); throws NetworkError at the first bad entry. */
export function nestedShape(v: unknown, path: SpecPath): number[] {
  const shape: number[] = [];
  let probe = v;
  while (Array.isArray(probe)) {
    if (probe.length === 0) throw new NetworkError("empty array in values", path);
    shape.push(probe.length);
    probe = probe[0];
  }
  const walk = (x: unknown, depth: number, p: SpecPath): void => {
    if (depth === shape.length) {
      if (typeof x !== "number") throw new NetworkError(`expected a number, got ${short(x)}`, p);
      if (!Number.isFinite(x)) throw new NetworkError(`values must be finite numbers, got ${x}`, p);
      return;
    }
    if (!Array.isArray(x)) throw new NetworkError(`expected an array of length ${shape[depth]} here (the values are not rectangular)`, p);
    if (x.length !== shape[depth]) throw new NetworkError(`expected ${shape[depth]} entries here, got ${x.length} (the values are not rectangular)`, p);
    x.forEach((y, i) => walk(y, depth + 1, [...p, i]));
  };
  walk(v, 0, path);
  return shape;
}

/** Each number of validated nested values in row-major order, with its flat index (as fromNested lays them out). */
export function forEachNested(v: Nested, f: (x: number, flat: number) => void): void {
  let k = 0;
  const walk = (x: Nested): void => {
    if (Array.isArray(x)) x.forEach(walk);
    else f(x, k++);
  };
  walk(v);
}

export function short(v: unknown): string {
  const s = JSON.stringify(v);
  return s === undefined ? String(v) : s.length > 40 ? s.slice(0, 37) + "..." : s;
}
