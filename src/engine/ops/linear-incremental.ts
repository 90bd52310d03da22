/**
 * linear's own rule for the incremental evaluator (incremental/rule.ts). y = x·Wᵀ + b
 * is linear in W, in b and in x, and each entry reaches few outputs:
 * - W[i, j] moved by δ: only column i of y moves, by δ·x[:, j]; b[i]: column i, by δ;
 * - a few changed x[n, j]: y[n, :] moves by (x′ − x)[n, j]·W[:, j] (a rank-1 update each);
 * - along a direction v (fast mode): y moves by s·Δ with Δ = x·Vᵀ (W), v per row (b), v·Wᵀ (x).
 */
import type { Attrs } from "../op.js";
import type { Tensor } from "../tensor.js";
import type { IncrementalNode, IncrementalRule, SparseChange } from "../incremental/rule.js";
import { matmulTransB } from "./kernels.js";

/** W always, b when the node has a bias: the parameters y is linear in, entry by entry. */
const movesColumn = (param: string, attrs: Attrs): boolean => param === "W" || (param === "b" && attrs.bias !== false);

/** What the rule keeps per node: Wᵀ (made on first use) and a per-row counter. */
interface Memo {
  weightT?: Float64Array;
  rowCount?: Int32Array;
}

function transpose2d(a: Float64Array, rows: number, cols: number): Float64Array {
  const t = new Float64Array(a.length);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) t[c * rows + r] = a[r * cols + c];
  return t;
}

/** W[i, j] or b[i] moved by `delta`: only column i of the output moves. */
function paramEntry(node: IncrementalNode, param: string, flat: number, delta: number): boolean {
  if (!movesColumn(param, node.attrs)) return false;
  const [units, nIn] = node.params.W.shape;
  const x = node.input(0).data, base = node.output.data;
  const rows = x.length / nIn;
  const work = node.beginSparse();
  if (param === "W") {
    const i = Math.floor(flat / nIn), j = flat - i * nIn;
    for (let n = 0; n < rows; n++) {
      const o = n * units + i;
      work[o] = base[o] + delta * x[n * nIn + j];
      node.markChanged(o);
    }
  } else {
    for (let n = 0; n < rows; n++) {
      const o = n * units + flat;
      work[o] = base[o] + delta;
      node.markChanged(o);
    }
  }
  return true;
}

/** Δ for a direction v in W (x·Vᵀ) or b (v on every row). */
function paramDirection(node: IncrementalNode, param: string, v: Float64Array): Float64Array | undefined {
  if (!movesColumn(param, node.attrs)) return undefined;
  const [units, nIn] = node.params.W.shape;
  const x = node.input(0).data, rows = x.length / nIn;
  if (param === "W") return matmulTransB(x, v, { m: rows, k: nIn, n: units });
  const shift = new Float64Array(rows * units);
  for (let o = 0; o < shift.length; o++) shift[o] = v[o % units];
  return shift;
}

/** Δ = v·Wᵀ for a direction v in x. */
function inputDirection(node: IncrementalNode, v: Tensor): Float64Array {
  const [units, nIn] = node.params.W.shape;
  return matmulTransB(v.data, node.params.W.data, { m: v.data.length / nIn, k: nIn, n: units });
}

/**
 * Inputs x[n, j] changed. A row with a few changes gets y[n, :] += (x′ − x)[n, j]·W[:, j]
 * for each (a rank-1 update); a row with many is recomputed whole by the op's own
 * forward on that row, which costs no more and gives exactly a whole forward pass's
 * numbers for it.
 */
function sparseInput(node: IncrementalNode, input: SparseChange): void {
  const [units, nIn] = node.params.W.shape;
  const memo = node.memo as Memo;
  // Wᵀ, so that the column W[:, j] of a rank-1 update is read in order. (This node's W is never the
  // perturbed tensor while its input changes, and every perturbation is undone: W stays as cached.)
  const WT = (memo.weightT ??= transpose2d(node.params.W.data, units, nIn));
  const xNew = input.work, xOld = input.base.data, idx = input.idx;
  const rows = xNew.length / nIn;
  if (!memo.rowCount || memo.rowCount.length < rows) memo.rowCount = new Int32Array(rows);
  const rowCount = memo.rowCount, changedRows: number[] = [];
  for (let k = 0; k < input.count; k++) {
    const n = Math.floor(idx[k] / nIn);
    if (rowCount[n]++ === 0) changedRows.push(n);
  }
  // Every row moves (a changed weight upstream reaches every batch entry): the output is dense,
  // a copy of the cached one updated in place, with no per-entry bookkeeping.
  const dense = changedRows.length === rows;
  const work = dense ? node.scratch() : node.beginSparse();
  if (dense) work.set(node.output.data);
  else for (const n of changedRows) for (let u = 0, o = n * units; u < units; u++) node.markChanged(o + u);
  const whole: number[] = [];
  for (const n of changedRows) if (rowCount[n] * 8 > nIn) whole.push(n);
  for (let k = 0; k < input.count; k++) {
    const f = idx[k];
    const n = Math.floor(f / nIn), j = f - n * nIn;
    if (rowCount[n] * 8 > nIn) continue;
    const d = xNew[f] - xOld[f];
    const o = n * units;
    for (let u = 0, w = j * units; u < units; u++, w++) work[o + u] += d * WT[w];
  }
  for (const n of changedRows) rowCount[n] = 0;
  if (whole.length) {
    const gathered = new Float64Array(whole.length * nIn);
    whole.forEach((n, k) => gathered.set(xNew.subarray(n * nIn, n * nIn + nIn), k * nIn));
    const y = node.forwardOn([{ shape: [whole.length, nIn], data: gathered }], whole.length * units);
    whole.forEach((n, k) => work.set(y.subarray(k * units, k * units + units), n * units));
  }
  if (dense) node.setDense(work);
}

export const linearIncremental: IncrementalRule = { paramEntry, paramDirection, inputDirection, sparseInput };
