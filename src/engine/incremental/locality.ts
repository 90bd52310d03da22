/**
 * The incremental evaluator's sparse paths for what an op declares as its
 * `locality` (op.ts): the changed output entries are recomputed by the op's own
 * forward on just the changed entries or rows, so the arithmetic is the op's; an
 * entry whose new value equals the cached one (relu below 0) drops out.
 */
import type { Locality } from "../op.js";
import { forwardOn, SPARSE, type NodeInfo, type Slot, type Slots } from "./slots.js";

/** A sparse change stays sparse while it touches at most this fraction of a tensor. */
export const SPARSE_FRACTION = 0.5;

export class LocalityPaths {
  /** Rows marked while gathering a row-wise op's changed rows. */
  private rowMark = new Uint8Array(0);

  constructor(private readonly slots: Slots) {}

  /** Recompute the node's changed entries by its locality; false when that does not apply (the caller runs the whole forward). */
  apply(info: NodeInfo, locality: Locality): boolean {
    const inputs = info.inputSlots, first = this.slots.list[inputs[0]];
    switch (locality.kind) {
      case "elementwise":
        if (inputs.length !== 1) return false;
        this.elementwise(info, first);
        return true;
      case "broadcast":
        return this.broadcast(info);
      case "rowwise":
        return inputs.length === 1 && this.rowwise(info, first, locality.axisAttr);
    }
  }

  /** y = f(x) elementwise: recompute the changed entries with the op's own forward. */
  private elementwise(info: NodeInfo, input: Slot): void {
    const n = input.count, idx = input.idx!, xNew = input.work!;
    const gathered = new Float64Array(n);
    for (let k = 0; k < n; k++) gathered[k] = xNew[idx[k]];
    const y = forwardOn(info.node, [{ shape: [n], data: gathered }], n);
    this.slots.beginSparse(info.slot);
    const out = this.slots.list[info.slot];
    for (let k = 0; k < n; k++) this.slots.setEntry(out, idx[k], y[k]);
  }

  /**
   * y[i] = f(x₀[i mod |x₀|], x₁[i mod |x₁|], …) with each input of the output's size or a
   * suffix of it (a ∘ b with b broadcast over a's leading dims; where(mask, a, b)): the
   * output entries that meet a changed entry of any input.
   */
  private broadcast(info: NodeInfo): boolean {
    const slots = this.slots, inputs = info.inputSlots.map((s) => slots.list[s]);
    const out = slots.list[info.slot], n = out.base.data.length;
    for (const x of inputs) {
      const m = x.base.data.length;
      if (m === 0 || n % m !== 0) return false;
      if (x.state === SPARSE && x.count * (n / m) > SPARSE_FRACTION * n) return false;
    }
    slots.beginSparse(info.slot);
    // Collect the affected output positions in out.idx (marked: restored at the end even if unchanged).
    for (const x of inputs) {
      if (x.state !== SPARSE) continue;
      const m = x.base.data.length, repeats = n / m;
      for (let k = 0; k < x.count; k++) for (let r = 0, j = x.idx![k]; r < repeats; r++, j += m) slots.markChanged(out, j);
    }
    const c = out.count, idx = out.idx!;
    const gathered = info.inputSlots.map((s) => {
      const d = slots.current(s).data, m = d.length, g = new Float64Array(c);
      for (let k = 0; k < c; k++) g[k] = d[idx[k] % m];
      return { shape: [c], data: g };
    });
    const y = forwardOn(info.node, gathered, c);
    const work = out.work!;
    for (let k = 0; k < c; k++) work[idx[k]] = y[k];
    return true;
  }

  /** Each row on its own (softmax / log_softmax over the last axis, layer_norm): recompute the changed rows only. */
  private rowwise(info: NodeInfo, input: Slot, axisAttr: string | undefined): boolean {
    const node = info.node;
    const shape = input.base.shape;
    if (shape.length === 0) return false;
    const D = shape[shape.length - 1];
    if (axisAttr !== undefined) {
      const axis = node.attrs[axisAttr] === undefined ? -1 : (node.attrs[axisAttr] as number);
      if (axis !== -1 && axis !== shape.length - 1) return false;
    }
    const changedRows = this.changedRows(input, D);
    const rows = input.base.data.length / D;
    if (changedRows.length > SPARSE_FRACTION * rows) return false;
    const x = this.slots.current(info.inputSlots[0]).data;
    const gathered = new Float64Array(changedRows.length * D);
    changedRows.forEach((r, k) => gathered.set(x.subarray(r * D, r * D + D), k * D));
    const attrs = axisAttr === undefined ? node.attrs : { ...node.attrs, [axisAttr]: -1 };
    const y = forwardOn({ ...node, attrs }, [{ shape: [changedRows.length, D], data: gathered }], gathered.length);
    this.slots.beginSparse(info.slot);
    const out = this.slots.list[info.slot];
    changedRows.forEach((r, k) => {
      for (let i = 0; i < D; i++) this.slots.setEntry(out, r * D + i, y[k * D + i]);
    });
    return true;
  }

  /** The rows of length D that hold a changed entry, in the order first seen. */
  private changedRows(input: Slot, D: number): number[] {
    const rows = input.base.data.length / D;
    if (this.rowMark.length < rows) this.rowMark = new Uint8Array(rows);
    const mark = this.rowMark, changedRows: number[] = [];
    for (let k = 0; k < input.count; k++) {
      const r = Math.floor(input.idx![k] / D);
      if (!mark[r]) {
        mark[r] = 1;
        changedRows.push(r);
      }
    }
    for (const r of changedRows) mark[r] = 0;
    return changedRows;
  }
}
