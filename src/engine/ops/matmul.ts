/**
 * matmul: C = A·B for A [m, k] and B [k, n]. A may carry leading batch dims
 * [..., m, k]; B is then either shared ([k, n]) or batched with the same leading dims.
 * The products are the kernels of ./kernels.ts.
 */
import type { OpDef } from "../op.js";
import { ShapeError } from "../op.js";
import { type Tensor, sizeOf, shapeText } from "../tensor.js";
import { batchedMatmul, batchedMatmulTransA, batchedMatmulTransB, type BatchDims } from "./kernels.js";

/** A [..., m, k] and B [k, n] (shared) or [..., k, n]. */
function dims(a: Tensor, b: Tensor): BatchDims {
  const r = a.shape.length;
  return { batch: sizeOf(a.shape.slice(0, -2)), m: a.shape[r - 2], k: a.shape[r - 1], n: b.shape[b.shape.length - 1], sharedB: b.shape.length === 2 };
}

export const matmul: OpDef = {
  name: "matmul",
  builtin: true,
  summary: "C = A·B; A [..., m, k], B [k, n] or [..., k, n]",
  formula: "dL/dA = g·Bᵀ, dL/dB = Aᵀ·g (summed over the batch when B is shared)",
  arity: 2,
  outputShape: ({ inputShapes: [a, b] }) => {
    if (a.length < 2) throw new ShapeError(`matmul expects A of rank ≥ 2 ([m, k]), got ${shapeText(a)}`, 0);
    if (b.length !== 2 && b.length !== a.length)
      throw new ShapeError(`matmul expects B [k, n] or with A's batch dims, got A ${shapeText(a)} and B ${shapeText(b)}`, 1);
    const k = a[a.length - 1];
    if (b[b.length - 2] !== k)
      throw new ShapeError(`matmul expects B's rows to match A's columns (${k}), got A ${shapeText(a)} and B ${shapeText(b)}`, 1);
    if (b.length === a.length && b.slice(0, -2).some((d, i) => d !== a[i]))
      throw new ShapeError(`matmul expects equal batch dims, got A ${shapeText(a)} and B ${shapeText(b)}`, 1);
    return [...a.slice(0, -1), b[b.length - 1]];
  },
  forward: ({ inputs: [a, b] }) => {
    const d = dims(a, b);
    return { shape: [...a.shape.slice(0, -1), d.n], data: batchedMatmul(a.data, b.data, d) }; // C = A·B
  },
  backward: ({ inputs: [a, b], gradOutput: g }) => {
    const d = dims(a, b);
    const dA = batchedMatmulTransB(g.data, b.data, d); // dL/dA = g·Bᵀ
    const dB = batchedMatmulTransA(a.data, g.data, d); // dL/dB = Aᵀ·g (summed over the batch when B is shared)
    return { inputs: [{ shape: [...a.shape], data: dA }, { shape: [...b.shape], data: dB }] };
  },
};
