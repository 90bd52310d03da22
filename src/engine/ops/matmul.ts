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
      for (let i = 0; i < m; i++) {
        const ci = co + i * n, ai = ao + i * k;
        let p = 0;
        // Four rows of B per pass over the output row: C[i, j] still adds its terms p = 0, 1, 2, … in
        // order ((((c + t₀) + t₁) + t₂) + t₃, left to right), with a quarter of the loads and stores of C.
        for (; p + 3 < k; p += 4) {
          const a0 = A[ai + p], a1 = A[ai + p + 1], a2 = A[ai + p + 2], a3 = A[ai + p + 3];
          const b0 = bo + p * n, b1 = b0 + n, b2 = b1 + n, b3 = b2 + n;
          for (let j = 0; j < n; j++) out[ci + j] = out[ci + j] + a0 * B[b0 + j] + a1 * B[b1 + j] + a2 * B[b2 + j] + a3 * B[b3 + j];
        }
        for (; p < k; p++) {
          const aip = A[ai + p], b0 = bo + p * n;
          for (let j = 0; j < n; j++) out[ci + j] += aip * B[b0 + j];
        }
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
      for (let i = 0; i < m; i++) {
        const gi = co + i * n, ai = ao + i * k;
        let p = 0;
        // Four p at a time: four independent sums over j in order, and four rows of dB, per pass over g[i, :].
        for (; p + 3 < k; p += 4) {
          const a0 = A[ai + p], a1 = A[ai + p + 1], a2 = A[ai + p + 2], a3 = A[ai + p + 3];
          const b0 = bo + p * n, b1 = b0 + n, b2 = b1 + n, b3 = b2 + n;
          let s0 = 0, s1 = 0, s2 = 0, s3 = 0;
          for (let j = 0; j < n; j++) {
            const gij = G[gi + j];
            s0 += gij * B[b0 + j]; // (g·Bᵀ)[i, p]
            s1 += gij * B[b1 + j];
            s2 += gij * B[b2 + j];
            s3 += gij * B[b3 + j];
            dB[b0 + j] += a0 * gij; // (Aᵀ·g)[p, j]
            dB[b1 + j] += a1 * gij;
            dB[b2 + j] += a2 * gij;
            dB[b3 + j] += a3 * gij;
          }
          dA[ai + p] = s0;
          dA[ai + p + 1] = s1;
          dA[ai + p + 2] = s2;
          dA[ai + p + 3] = s3;
        }
        for (; p < k; p++) {
          const aip = A[ai + p], b0 = bo + p * n;
          let s = 0;
          for (let j = 0; j < n; j++) {
            const gij = G[gi + j];
            s += gij * B[b0 + j]; // (g·Bᵀ)[i, p]
            dB[b0 + j] += aip * gij; // (Aᵀ·g)[p, j]
          }
          dA[ai + p] = s;
        }
      }
    }
    return { inputs: [{ shape: [...a.shape], data: dA }, { shape: [...b.shape], data: dB }] };
  },
};
