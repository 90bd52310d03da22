/**
 * The kernels of src/engine/ops/kernels.ts (the products behind linear and
 * matmul) give, bit for bit, the numbers of the plain textbook loops (each output
 * one sum, its terms added in index order; zero upstream entries skipped where the
 * plain backward skips them), and the ops are those kernels. The incremental
 * evaluator relies on it: it recomputes rows and columns with the op's own
 * forward and must agree with a whole forward pass, and a faster kernel must not
 * move a single digit of a reported finite difference.
 */
import { test, describe } from "node:test";
import assert from "node:assert/strict";
import { backwardOp, forwardOp } from "../../src/engine/graph.js";
import { linear } from "../../src/engine/ops/linear.js";
import { matmul } from "../../src/engine/ops/matmul.js";
import {
  batchedMatmul, batchedMatmulTransA, batchedMatmulTransB, matmulSparseA, matmulTransASparse, matmulTransB, sumRows,
} from "../../src/engine/ops/kernels.js";
import { Rng } from "../../src/engine/random.js";
import type { Tensor } from "../../src/engine/tensor.js";

function randomTensor(rng: Rng, shape: number[], zeros = 0): Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  const data = new Float64Array(n);
  for (let i = 0; i < n; i++) data[i] = rng.uniform() < zeros ? 0 : rng.normal();
  return { shape, data };
}

function assertBitIdentical(actual: Float64Array, expected: Float64Array, what: string): void {
  assert.equal(actual.length, expected.length, `${what}: length`);
  for (let i = 0; i < expected.length; i++) assert.ok(Object.is(actual[i], expected[i]), `${what}[${i}]: ${actual[i]} ≠ ${expected[i]}`);
}

/** y[n, u] = b[u] + Σᵢ x[n, i]·W[u, i], i ascending. */
function linearForwardPlain(X: Float64Array, W: Float64Array, b: Float64Array | undefined, rows: number, units: number, nIn: number): Float64Array {
  const out = new Float64Array(rows * units);
  for (let n = 0; n < rows; n++)
    for (let u = 0; u < units; u++) {
      let s = b ? b[u] : 0;
      for (let i = 0; i < nIn; i++) s += X[n * nIn + i] * W[u * nIn + i];
      out[n * units + u] = s;
    }
  return out;
}

function linearBackwardPlain(X: Float64Array, W: Float64Array, G: Float64Array, rows: number, units: number, nIn: number) {
  const dx = new Float64Array(X.length), dW = new Float64Array(W.length), db = new Float64Array(units);
  for (let n = 0; n < rows; n++)
    for (let u = 0; u < units; u++) {
      const g = G[n * units + u];
      if (g === 0) continue;
      db[u] += g;
      for (let i = 0; i < nIn; i++) {
        dx[n * nIn + i] += g * W[u * nIn + i];
        dW[u * nIn + i] += g * X[n * nIn + i];
      }
    }
  return { dx, dW, db };
}

function matmulPlain(A: Float64Array, B: Float64Array, G: Float64Array, batch: number, m: number, k: number, n: number, sharedB: boolean) {
  const C = new Float64Array(batch * m * n), dA = new Float64Array(A.length), dB = new Float64Array(B.length);
  for (let t = 0; t < batch; t++) {
    const ao = t * m * k, bo = sharedB ? 0 : t * k * n, co = t * m * n;
    for (let i = 0; i < m; i++)
      for (let p = 0; p < k; p++) {
        let s = 0;
        for (let j = 0; j < n; j++) {
          C[co + i * n + j] += A[ao + i * k + p] * B[bo + p * n + j];
          s += G[co + i * n + j] * B[bo + p * n + j];
          dB[bo + p * n + j] += A[ao + i * k + p] * G[co + i * n + j];
        }
        dA[ao + i * k + p] = s;
      }
  }
  return { C, dA, dB };
}

describe("kernels: the plain loops' numbers, bit for bit", () => {
  test("linear forward and backward over shapes around the blocking (rows and units up to 13 and 17, in = 1…9), with and without bias, dense and sparse g", () => {
    const rng = new Rng(2024);
    for (const rows of [1, 2, 3, 4, 5, 8, 9, 13])
      for (const units of [1, 2, 3, 4, 5, 7, 8, 9, 12, 17])
        for (const nIn of [1, 2, 3, 4, 5, 8, 9]) {
          const x = randomTensor(rng, [rows, nIn]), W = randomTensor(rng, [units, nIn]), b = randomTensor(rng, [units]);
          for (const bias of [true, false]) {
            const y = matmulTransB(x.data, W.data, { m: rows, k: nIn, n: units }, bias ? b.data : undefined); // x·Wᵀ + b
            assertBitIdentical(y, linearForwardPlain(x.data, W.data, bias ? b.data : undefined, rows, units, nIn), `y (${rows}×${nIn} → ${units}, bias ${bias})`);
            const op = forwardOp(linear, { inputs: [x], params: { W, b }, attrs: { units, bias } });
            assertBitIdentical(op.data, y, `linear.forward is the kernel (${rows}×${nIn} → ${units}, bias ${bias})`);
          }
          for (const zeros of [0, 0.5, 1 - 1 / (rows * units)]) {
            const g = randomTensor(rng, [rows, units], zeros);
            const got = {
              dx: matmulSparseA(g.data, W.data, { m: rows, k: units, n: nIn }), // g·W
              dW: matmulTransASparse(g.data, x.data, { m: units, k: rows, n: nIn }), // gᵀ·x
              db: sumRows(g.data, rows, units), // Σ_b g
            };
            const want = linearBackwardPlain(x.data, W.data, g.data, rows, units, nIn);
            const where = `(${rows}×${nIn} → ${units}, ${zeros} zeros)`;
            assertBitIdentical(got.dx, want.dx, `dx ${where}`);
            assertBitIdentical(got.dW, want.dW, `dW ${where}`);
            assertBitIdentical(got.db, want.db, `db ${where}`);
            const op = backwardOp(linear, { inputs: [x], params: { W, b }, attrs: { units }, output: g, gradOutput: g });
            assertBitIdentical(op.inputs![0]!.data, got.dx, `linear.backward's dx is the kernel ${where}`);
            assertBitIdentical(op.params!.W.data, got.dW, `linear.backward's dW is the kernel ${where}`);
            assertBitIdentical(op.params!.b.data, got.db, `linear.backward's db is the kernel ${where}`);
          }
        }
  });

  test("linear with leading batch dims [B, T, in] is row by row", () => {
    const rng = new Rng(7);
    const x = randomTensor(rng, [3, 5, 6]), W = randomTensor(rng, [7, 6]), b = randomTensor(rng, [7]);
    const y = forwardOp(linear, { inputs: [x], params: { W, b }, attrs: { units: 7 } });
    assert.deepEqual(y.shape, [3, 5, 7]);
    assertBitIdentical(y.data, linearForwardPlain(x.data, W.data, b.data, 15, 7, 6), "y");
  });

  test("matmul forward and backward, shared and batched B, k around the blocking", () => {
    const rng = new Rng(99);
    for (const [batch, m, k, n, shared] of [[1, 1, 1, 1, true], [1, 3, 4, 2, true], [2, 3, 5, 4, true], [3, 2, 7, 3, false], [2, 4, 8, 5, false], [1, 5, 9, 1, true]] as const) {
      const A = randomTensor(rng, batch === 1 ? [m, k] : [batch, m, k]);
      const B = randomTensor(rng, shared ? [k, n] : [batch, k, n]);
      const G = randomTensor(rng, batch === 1 ? [m, n] : [batch, m, n], 0.3);
      const want = matmulPlain(A.data, B.data, G.data, batch, m, k, n, shared);
      const dims = { batch, m, k, n, sharedB: shared };
      const C = batchedMatmul(A.data, B.data, dims); // A·B
      const dA = batchedMatmulTransB(G.data, B.data, dims); // g·Bᵀ
      const dB = batchedMatmulTransA(A.data, G.data, dims); // Aᵀ·g
      const where = `(${batch}×${m}×${k} · ${shared ? "" : `${batch}×`}${k}×${n})`;
      assertBitIdentical(C, want.C, `C ${where}`);
      assertBitIdentical(dA, want.dA, `dA ${where}`);
      assertBitIdentical(dB, want.dB, `dB ${where}`);
      const op = forwardOp(matmul, { inputs: [A, B], params: {}, attrs: {} });
      const grads = backwardOp(matmul, { inputs: [A, B], params: {}, attrs: {}, output: op, gradOutput: G });
      assertBitIdentical(op.data, C, `matmul.forward is the kernel ${where}`);
      assertBitIdentical(grads.inputs![0]!.data, dA, `matmul.backward's dA is the kernel ${where}`);
      assertBitIdentical(grads.inputs![1]!.data, dB, `matmul.backward's dB is the kernel ${where}`);
    }
  });
});
