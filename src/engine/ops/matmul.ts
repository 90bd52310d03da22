/**
 * matmul: C = A·B for A [m, k] and B [k, n]. A may carry leading batch dims
 * [..., m, k]; B is then either shared ([k, n]) or batched with the same leading dims.
 */
import type { OpDef } from "../op.js";
import { ShapeError } from "../op.js";
import { sizeOf, shapeText } from "../tensor.js";

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
    const r = a.shape.length, m = a.shape[r - 2], k = a.shape[r - 1], n = b.shape[b.shape.length - 1];
    const batch = sizeOf(a.shape.slice(0, -2)), sharedB = b.shape.length === 2;
    const A = a.data, B = b.data, out = new Float64Array(batch * m * n);
    for (let t = 0; t < batch; t++) {
      const ao = t * m * k, bo = sharedB ? 0 : t * k * n, co = t * m * n;
      for (let i = 0; i < m; i++)
        for (let p = 0; p < k; p++) {
          const aip = A[ao + i * k + p];
          for (let j = 0; j < n; j++) out[co + i * n + j] += aip * B[bo + p * n + j];
        }
    }
    return { shape: [...a.shape.slice(0, -1), n], data: out };
  },
  backward: ({ inputs: [a, b], gradOutput: g }) => {
    const r = a.shape.length, m = a.shape[r - 2], k = a.shape[r - 1], n = b.shape[b.shape.length - 1];
    const batch = sizeOf(a.shape.slice(0, -2)), sharedB = b.shape.length === 2;
    const A = a.data, B = b.data, G = g.data;
    const dA = new Float64Array(A.length), dB = new Float64Array(B.length);
    for (let t = 0; t < batch; t++) {
      const ao = t * m * k, bo = sharedB ? 0 : t * k * n, co = t * m * n;
      for (let i = 0; i < m; i++)
        for (let p = 0; p < k; p++) {
          const aip = A[ao + i * k + p];
          let s = 0;
          for (let j = 0; j < n; j++) {
            const gij = G[co + i * n + j];
            s += gij * B[bo + p * n + j]; // (g·Bᵀ)[i, p]
            dB[bo + p * n + j] += aip * gij; // (Aᵀ·g)[p, j]
          }
          dA[ao + i * k + p] = s;
        }
    }
    return { inputs: [{ shape: [...a.shape], data: dA }, { shape: [...b.shape], data: dB }] };
  },
};
