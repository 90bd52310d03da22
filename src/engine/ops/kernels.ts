/**
 * The matrix products behind linear and matmul, unrolled for speed and kept
 * here so that each op reads as its formula (`dx = matmulSparseA(g, W)`).
 *
 * Every kernel gives, bit for bit, the numbers of the plain textbook loop: each
 * output entry is ONE sum whose terms are added in index order, starting from 0
 * (or from the bias); the unrolling only chooses which independent sums run side
 * by side, or groups terms as ((((s + t₀) + t₁) + t₂) + t₃), which is the same
 * left-to-right order. The "sparse" kernels skip the zero entries of their first
 * factor, as the plain backward does (a one-hot upstream gradient, which the local
 * check sends, then costs one row). test/node/incremental-kernels.test.ts proves
 * all of it against the plain loops; the incremental evaluator relies on it, since
 * it recomputes rows with an op's own forward and must agree with a whole pass.
 *
 * Matrices are row-major Float64Arrays; `dims` names C = A·B's sizes: A is [m, k],
 * B is [k, n], C is [m, n] (a transposed factor is stored transposed: Bᵀ as [n, k]).
 */

export interface MatDims {
  m: number;
  k: number;
  n: number;
}

/** C = A·Bᵀ (+ bias on every row): A [m, k], B stored as [n, k], bias [n]. Linear's forward y = x·Wᵀ + b. */
export function matmulTransB(A: Float64Array, B: Float64Array, { m, k, n }: MatDims, bias?: Float64Array): Float64Array {
  const out = new Float64Array(m * n);
  // Each C[r, c] = bias[c] + Σᵢ A[r, i]·B[c, i] is one sum, i in order; they are computed two rows × four
  // columns at a time, so each A and B value loaded serves several sums and eight independent additions
  // overlap instead of waiting on one another.
  let r = 0;
  for (; r + 1 < m; r += 2) {
    const xa = r * k, xb = xa + k, oa = r * n, ob = oa + n;
    let c = 0;
    for (; c + 3 < n; c += 4) {
      const w0 = c * k, w1 = w0 + k, w2 = w1 + k, w3 = w2 + k;
      let a0 = bias ? bias[c] : 0, a1 = bias ? bias[c + 1] : 0, a2 = bias ? bias[c + 2] : 0, a3 = bias ? bias[c + 3] : 0;
      let c0 = a0, c1 = a1, c2 = a2, c3 = a3;
      for (let i = 0; i < k; i++) {
        const p = A[xa + i], q = A[xb + i];
        const v0 = B[w0 + i], v1 = B[w1 + i], v2 = B[w2 + i], v3 = B[w3 + i];
        a0 += p * v0; a1 += p * v1; a2 += p * v2; a3 += p * v3;
        c0 += q * v0; c1 += q * v1; c2 += q * v2; c3 += q * v3;
      }
      out[oa + c] = a0; out[oa + c + 1] = a1; out[oa + c + 2] = a2; out[oa + c + 3] = a3;
      out[ob + c] = c0; out[ob + c + 1] = c1; out[ob + c + 2] = c2; out[ob + c + 3] = c3;
    }
    for (; c < n; c++) {
      const wo = c * k;
      let a = bias ? bias[c] : 0, b = a;
      for (let i = 0; i < k; i++) {
        const v = B[wo + i];
        a += A[xa + i] * v;
        b += A[xb + i] * v;
      }
      out[oa + c] = a;
      out[ob + c] = b;
    }
  }
  for (; r < m; r++) {
    const xo = r * k, oo = r * n;
    let c = 0;
    for (; c + 3 < n; c += 4) {
      const w0 = c * k, w1 = w0 + k, w2 = w1 + k, w3 = w2 + k;
      let a0 = bias ? bias[c] : 0, a1 = bias ? bias[c + 1] : 0, a2 = bias ? bias[c + 2] : 0, a3 = bias ? bias[c + 3] : 0;
      for (let i = 0; i < k; i++) {
        const p = A[xo + i];
        a0 += p * B[w0 + i]; a1 += p * B[w1 + i]; a2 += p * B[w2 + i]; a3 += p * B[w3 + i];
      }
      out[oo + c] = a0; out[oo + c + 1] = a1; out[oo + c + 2] = a2; out[oo + c + 3] = a3;
    }
    for (; c < n; c++) {
      const wo = c * k;
      let s = bias ? bias[c] : 0;
      for (let i = 0; i < k; i++) s += A[xo + i] * B[wo + i];
      out[oo + c] = s;
    }
  }
  return out;
}

/** C = A·B adding only the nonzero A[r, p]: A [m, k], B [k, n]. Linear's dL/dx = g·W. */
export function matmulSparseA(A: Float64Array, B: Float64Array, { m, k, n }: MatDims): Float64Array {
  const out = new Float64Array(m * n), nz = new Int32Array(k);
  // Eight (then four) terms are added per pass over an output row ((((d + t₀) + t₁) + …) + t₇, left to
  // right): far fewer loads and stores of C than one term per pass.
  for (let r = 0; r < m; r++) {
    const xo = r * n, go = r * k;
    let cnt = 0;
    for (let p = 0; p < k; p++) if (A[go + p] !== 0) nz[cnt++] = p;
    let q = 0;
    for (; q + 7 < cnt; q += 8) {
      const g0 = A[go + nz[q]], g1 = A[go + nz[q + 1]], g2 = A[go + nz[q + 2]], g3 = A[go + nz[q + 3]];
      const g4 = A[go + nz[q + 4]], g5 = A[go + nz[q + 5]], g6 = A[go + nz[q + 6]], g7 = A[go + nz[q + 7]];
      const w0 = nz[q] * n, w1 = nz[q + 1] * n, w2 = nz[q + 2] * n, w3 = nz[q + 3] * n;
      const w4 = nz[q + 4] * n, w5 = nz[q + 5] * n, w6 = nz[q + 6] * n, w7 = nz[q + 7] * n;
      for (let i = 0; i < n; i++)
        out[xo + i] = out[xo + i] + g0 * B[w0 + i] + g1 * B[w1 + i] + g2 * B[w2 + i] + g3 * B[w3 + i] + g4 * B[w4 + i] + g5 * B[w5 + i] + g6 * B[w6 + i] + g7 * B[w7 + i];
    }
    for (; q + 3 < cnt; q += 4) {
      const p0 = nz[q], p1 = nz[q + 1], p2 = nz[q + 2], p3 = nz[q + 3];
      const g0 = A[go + p0], g1 = A[go + p1], g2 = A[go + p2], g3 = A[go + p3];
      const w0 = p0 * n, w1 = p1 * n, w2 = p2 * n, w3 = p3 * n;
      for (let i = 0; i < n; i++) out[xo + i] = out[xo + i] + g0 * B[w0 + i] + g1 * B[w1 + i] + g2 * B[w2 + i] + g3 * B[w3 + i];
    }
    for (; q < cnt; q++) {
      const p = nz[q], g = A[go + p], wo = p * n;
      for (let i = 0; i < n; i++) out[xo + i] += g * B[wo + i];
    }
  }
  return out;
}

/** C = Aᵀ·B adding only the nonzero A[p, r]: A stored as [k, m], B [k, n]. Linear's dL/dW = gᵀ·x. */
export function matmulTransASparse(A: Float64Array, B: Float64Array, { m, k, n }: MatDims): Float64Array {
  const out = new Float64Array(m * n), nz = new Int32Array(k);
  for (let r = 0; r < m; r++) {
    const wo = r * n;
    let cnt = 0;
    for (let p = 0; p < k; p++) if (A[p * m + r] !== 0) nz[cnt++] = p;
    let q = 0;
    for (; q + 7 < cnt; q += 8) {
      const g0 = A[nz[q] * m + r], g1 = A[nz[q + 1] * m + r], g2 = A[nz[q + 2] * m + r], g3 = A[nz[q + 3] * m + r];
      const g4 = A[nz[q + 4] * m + r], g5 = A[nz[q + 5] * m + r], g6 = A[nz[q + 6] * m + r], g7 = A[nz[q + 7] * m + r];
      const x0 = nz[q] * n, x1 = nz[q + 1] * n, x2 = nz[q + 2] * n, x3 = nz[q + 3] * n;
      const x4 = nz[q + 4] * n, x5 = nz[q + 5] * n, x6 = nz[q + 6] * n, x7 = nz[q + 7] * n;
      for (let i = 0; i < n; i++)
        out[wo + i] = out[wo + i] + g0 * B[x0 + i] + g1 * B[x1 + i] + g2 * B[x2 + i] + g3 * B[x3 + i] + g4 * B[x4 + i] + g5 * B[x5 + i] + g6 * B[x6 + i] + g7 * B[x7 + i];
    }
    for (; q + 3 < cnt; q += 4) {
      const p0 = nz[q], p1 = nz[q + 1], p2 = nz[q + 2], p3 = nz[q + 3];
      const g0 = A[p0 * m + r], g1 = A[p1 * m + r], g2 = A[p2 * m + r], g3 = A[p3 * m + r];
      const x0 = p0 * n, x1 = p1 * n, x2 = p2 * n, x3 = p3 * n;
      for (let i = 0; i < n; i++) out[wo + i] = out[wo + i] + g0 * B[x0 + i] + g1 * B[x1 + i] + g2 * B[x2 + i] + g3 * B[x3 + i];
    }
    for (; q < cnt; q++) {
      const p = nz[q], g = A[p * m + r], xo = p * n;
      for (let i = 0; i < n; i++) out[wo + i] += g * B[xo + i];
    }
  }
  return out;
}

/** Σ over the rows of A [rows, cols], each column summed in row order. Linear's dL/db = Σ_b g. */
export function sumRows(A: Float64Array, rows: number, cols: number): Float64Array {
  const out = new Float64Array(cols);
  for (let r = 0; r < rows; r++) for (let c = 0, o = r * cols; c < cols; c++) out[c] += A[o + c];
  return out;
}

// ---------------------------------------------------------------- batched (matmul)

/** A [batch, m, k] times B [k, n] (shared by every batch entry) or [batch, k, n]. */
export interface BatchDims extends MatDims {
  batch: number;
  sharedB: boolean;
}

/** C = A·B per batch entry: A [batch, m, k], B [k, n] or [batch, k, n] → [batch, m, n]. */
export function batchedMatmul(A: Float64Array, B: Float64Array, { batch, m, k, n, sharedB }: BatchDims): Float64Array {
  const out = new Float64Array(batch * m * n);
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
  return out;
}

/** G·Bᵀ per batch entry: G [batch, m, n], B [k, n] or [batch, k, n] → [batch, m, k]. Matmul's dL/dA = g·Bᵀ. */
export function batchedMatmulTransB(G: Float64Array, B: Float64Array, { batch, m, k, n, sharedB }: BatchDims): Float64Array {
  const out = new Float64Array(batch * m * k);
  for (let t = 0; t < batch; t++) {
    const ao = t * m * k, bo = sharedB ? 0 : t * k * n, co = t * m * n;
    for (let i = 0; i < m; i++) {
      const gi = co + i * n, ai = ao + i * k;
      let p = 0;
      // Four p at a time: four independent sums over j in order per pass over g[i, :].
      for (; p + 3 < k; p += 4) {
        const b0 = bo + p * n, b1 = b0 + n, b2 = b1 + n, b3 = b2 + n;
        let s0 = 0, s1 = 0, s2 = 0, s3 = 0;
        for (let j = 0; j < n; j++) {
          const gij = G[gi + j];
          s0 += gij * B[b0 + j];
          s1 += gij * B[b1 + j];
          s2 += gij * B[b2 + j];
          s3 += gij * B[b3 + j];
        }
        out[ai + p] = s0; out[ai + p + 1] = s1; out[ai + p + 2] = s2; out[ai + p + 3] = s3;
      }
      for (; p < k; p++) {
        const b0 = bo + p * n;
        let s = 0;
        for (let j = 0; j < n; j++) s += G[gi + j] * B[b0 + j];
        out[ai + p] = s;
      }
    }
  }
  return out;
}

/** Aᵀ·G per batch entry, summed over the batch when B is shared: A [batch, m, k], G [batch, m, n] → B's shape. Matmul's dL/dB = Aᵀ·g. */
export function batchedMatmulTransA(A: Float64Array, G: Float64Array, { batch, m, k, n, sharedB }: BatchDims): Float64Array {
  const out = new Float64Array((sharedB ? 1 : batch) * k * n);
  for (let t = 0; t < batch; t++) {
    const ao = t * m * k, bo = sharedB ? 0 : t * k * n, co = t * m * n;
    for (let i = 0; i < m; i++) {
      const gi = co + i * n, ai = ao + i * k;
      let p = 0;
      // Four rows of dB per pass over g[i, :]; each dB[p, j] adds its terms in (batch, i) order.
      for (; p + 3 < k; p += 4) {
        const a0 = A[ai + p], a1 = A[ai + p + 1], a2 = A[ai + p + 2], a3 = A[ai + p + 3];
        const b0 = bo + p * n, b1 = b0 + n, b2 = b1 + n, b3 = b2 + n;
        for (let j = 0; j < n; j++) {
          const gij = G[gi + j];
          out[b0 + j] += a0 * gij;
          out[b1 + j] += a1 * gij;
          out[b2 + j] += a2 * gij;
          out[b3 + j] += a3 * gij;
        }
      }
      for (; p < k; p++) {
        const aip = A[ai + p], b0 = bo + p * n;
        for (let j = 0; j < n; j++) out[b0 + j] += aip * G[gi + j];
      }
    }
  }
  return out;
}
