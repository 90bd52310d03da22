/**
 * The incremental evaluator's values: one slot per graph value (an input or a
 * node's output), each UNCHANGED (its cached value), SPARSE (a private copy changed
 * at a list of entries) or DENSE (a recomputed value) during one evaluation, and
 * all put back to UNCHANGED when it ends.
 */
import { forwardTensor, type GraphNode } from "../graph.js";
import type { Tensor } from "../tensor.js";
import type { Locality } from "../op.js";
import type { IncrementalNode, IncrementalRule, SparseChange } from "./rule.js";

export const UNCHANGED = 0, SPARSE = 1, DENSE = 2;

/** One value of the graph (an input or a node's output) and its state during an evaluation. */
export interface Slot {
  id: string;
  base: Tensor;
  state: number;
  /** SPARSE: a private copy of base, changed at idx[0..count); unchanged entries equal base. */
  work?: Float64Array;
  workTensor?: Tensor;
  mark?: Uint8Array;
  idx?: Int32Array;
  count: number;
  /** DENSE: the recomputed value. */
  dense?: Tensor;
  /** A reusable buffer for a dense value this evaluator computes itself. */
  scratch?: Float64Array;
}

/** A node as the evaluator walks it: its slot, its inputs' slots, and what its op says about itself. */
export interface NodeInfo {
  node: GraphNode;
  /** The slot of its (first) output. */
  slot: number;
  /** One slot per output (a multi-output node has several). */
  outputSlots: number[];
  inputSlots: number[];
  feedsOutput: boolean;
  /** A built-in's facts; a custom op's claims are never read (it is recomputed whole). */
  rule?: IncrementalRule;
  locality?: Locality;
  /** The rule's view of this node, made on first use. */
  view?: NodeView;
}

export class Slots {
  readonly list: Slot[] = [];
  /** Slots changed by the evaluation in progress (restored at its end). */
  private readonly touched: number[] = [];

  add(id: string, base: Tensor): number {
    this.list.push({ id, base, state: UNCHANGED, count: 0 });
    return this.list.length - 1;
  }

  current(s: number): Tensor {
    const slot = this.list[s];
    return slot.state === UNCHANGED ? slot.base : slot.state === SPARSE ? slot.workTensor! : slot.dense!;
  }

  /** A slot in the SPARSE state, as a rule reads it. */
  sparse(s: number): SparseChange {
    return this.list[s] as SparseChange & Slot;
  }

  beginSparse(s: number): void {
    const slot = this.list[s];
    if (slot.state === SPARSE) return;
    if (!slot.work) {
      slot.work = new Float64Array(slot.base.data);
      slot.workTensor = { shape: slot.base.shape, data: slot.work };
      slot.mark = new Uint8Array(slot.work.length);
      slot.idx = new Int32Array(slot.work.length);
    }
    slot.state = SPARSE;
    this.touched.push(s);
  }

  markChanged(slot: Slot, i: number): void {
    if (slot.mark![i]) return;
    slot.mark![i] = 1;
    slot.idx![slot.count++] = i;
  }

  /** Write a recomputed entry, keeping it only if it differs from the cached value. */
  setEntry(slot: Slot, i: number, v: number): void {
    const b = slot.base.data[i];
    if (v === b && (v !== 0 || 1 / v === 1 / b)) return;
    slot.work![i] = v;
    this.markChanged(slot, i);
  }

  setDense(s: number, value: Tensor): void {
    const slot = this.list[s];
    if (slot.state === UNCHANGED) this.touched.push(s);
    else if (slot.state === SPARSE) clearSparse(slot);
    slot.state = DENSE;
    slot.dense = value;
  }

  /** Put every slot back to its cached value. */
  restore(): void {
    for (const s of this.touched) {
      const slot = this.list[s];
      if (slot.state === SPARSE) clearSparse(slot);
      slot.state = UNCHANGED;
      slot.dense = undefined;
    }
    this.touched.length = 0;
  }
}

function clearSparse(slot: Slot): void {
  const work = slot.work!, base = slot.base.data, mark = slot.mark!, idx = slot.idx!;
  for (let k = 0; k < slot.count; k++) {
    const i = idx[k];
    work[i] = base[i];
    mark[i] = 0;
  }
  slot.count = 0;
}

/** A built-in op's forward on gathered entries or rows: its data, checked to hold `size` values. */
export function forwardOn(node: GraphNode, inputs: Tensor[], size: number): Float64Array {
  const out = forwardTensor(node, inputs);
  if (out.data.length !== size) throw new Error(`internal: ${node.op.name} on gathered entries gave ${out.data.length} values, expected ${size}`);
  return out.data;
}

/** A node as its op's sparse rule sees it (rule.ts): its slot, through the evaluator's slots. */
export class NodeView implements IncrementalNode {
  readonly memo: Record<string, unknown> = {};
  private readonly out: Slot;

  constructor(private readonly slots: Slots, private readonly info: NodeInfo) {
    this.out = slots.list[info.slot];
  }

  get attrs() { return this.info.node.attrs; }
  get params() { return this.info.node.params; }
  get output() { return this.out.base; }

  input(k: number): Tensor {
    return this.slots.current(this.info.inputSlots[k]);
  }

  forwardOn(inputs: Tensor[], size: number): Float64Array {
    return forwardOn(this.info.node, inputs, size);
  }

  beginSparse(): Float64Array {
    this.slots.beginSparse(this.info.slot);
    return this.out.work!;
  }

  markChanged(i: number): void {
    this.slots.markChanged(this.out, i);
  }

  scratch(): Float64Array {
    return (this.out.scratch ??= new Float64Array(this.out.base.data.length));
  }

  setDense(data: Float64Array): void {
    this.slots.setDense(this.info.slot, { shape: this.out.base.shape, data });
  }
}
