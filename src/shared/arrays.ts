/**
 * Index arithmetic on row-major shapes, and values as nested arrays: what the
 * engine, the CLI's table and the webview's heatmaps all need to turn a flat
 * index into `[i, j]` and back. No tensors here (those are the engine's,
 * src/engine/tensor.ts, which re-exports these).
 */

/** Values as nested arrays, one level per dimension (a JSON network's "values", `gradlens grads`). */
export type Nested = number | Nested[];

/** "[4, 3]" */
export const shapeText = (shape: readonly number[]): string => `[${shape.join(", ")}]`;

/** Row-major strides. */
export function strides(shape: readonly number[]): number[] {
  const s = new Array<number>(shape.length);
  let acc = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    s[i] = acc;
    acc *= shape[i];
  }
  return s;
}

/** Flat index → multi-index. */
export function unravel(flat: number, shape: readonly number[]): number[] {
  const idx = new Array<number>(shape.length);
  for (let i = shape.length - 1; i >= 0; i--) {
    idx[i] = flat % shape[i];
    flat = Math.floor(flat / shape[i]);
  }
  return idx;
}
