/**
 * End-to-end evaluations that recompute only what a perturbation changes.
 *
 * The values of one forward pass are cached. Perturbing one entry of a tensor
 * leaves everything upstream of its node as it was, so only the nodes downstream
 * are recomputed, and among those a change is carried as a *sparse* set of
 * changed entries where an op allows it:
 *
 * - linear, weight W[i, j] (or b[i]): only column i of y = x·Wᵀ + b moves, by
 *   (W′ᵢⱼ − Wᵢⱼ)·x[:, j];
 * - linear, a few changed inputs x[n, j]: y[n, :] moves by (x′ − x)[n, j]·W[:, j]
 *   (a rank-1 update per changed entry);
 * - elementwise ops (relu, tanh, …; add/sub/mul): the same entries change; they are
 *   recomputed by the op's own forward on just those entries, so the arithmetic is
 *   the op's; an entry whose new value equals the cached one (relu below 0) drops out;
 * - softmax / log_softmax over the last axis, layer_norm: only the changed rows,
 *   again by the op's own forward on those rows.
 *
 * Everything else (and a change that is no longer sparse) falls back to the node's
 * forward on its current inputs, which is also all a custom op ever gets. The
 * numbers are those of a plain central difference: the losses L(θ ± h·eᵢ) agree
 * with a whole forward pass (StraightEvaluator) to rounding (~1e-15 relative),
 * and each evaluation leaves the cache exactly as it found it, so the result of
 * an entry never depends on which entries were evaluated before it.
 */
import { describeValue, feedsOutput, forward, lossOf, UserOpError, type Graph, type GraphNode } from "./graph.js";
import { isTensor, type Tensor } from "./tensor.js";
import { tensorByName, type EndToEndEvaluator } from "./evaluate.js";

/** Elementwise unary built-ins: entry i of the output depends on entry i of the input only. */
const UNARY = new Set(["relu", "leaky_relu", "sigmoid", "tanh", "exp", "log", "softplus"]);
/** Elementwise binary built-ins with the trailing-dims broadcast (element i of a meets i mod |b| of b). */
const BINARY = new Set(["add", "sub", "mul"]);
/** Built-ins that act on each row (the last axis) on its own. */
const ROWWISE = new Set(["softmax", "log_softmax", "layer_norm"]);

/** A sparse change stays sparse while it touches at most this fraction of a tensor. */
const SPARSE_FRACTION = 0.5;

const UNCHANGED = 0, SPARSE = 1, DENSE = 2;

/** One value of the graph (an input or a node's output) and its state during an evaluation. */
interface Slot {
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

interface NodeInfo {
  node: GraphNode;
  slot: number;
  inputSlots: number[];
  feedsOutput: boolean;
  /** linear: Wᵀ [in, units], made on first use. */
  weightT?: Float64Array;
}

function transpose2d(a: Float64Array, rows: number, cols: number): Float64Array {
  const t = new Float64Array(a.length);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) t[c * rows + r] = a[r * cols + c];
  return t;
}

export class IncrementalEvaluator implements EndToEndEvaluator {
  private readonly slots: Slot[] = [];
  private readonly slotOf = new Map<string, number>();
  private readonly nodes: NodeInfo[] = [];
  private readonly outputSlot: number;
  private readonly baseLoss: number;
  /** Slots changed by the evaluation in progress (restored at its end). */
  private touched: number[] = [];
  /** Rows marked while gathering a row-wise op's changed rows. */
  private rowMark = new Uint8Array(0);
  /** Changed entries per row of a linear node's input. */
  private rowCount = new Int32Array(0);
  /** During directional() on an input: its direction v, the current ±h, and each consuming linear's v·Wᵀ. */
  private directionalInput?: { slot: number; v: Float64Array; step?: number; shifts: Map<number, Float64Array> };

  constructor(private readonly graph: Graph) {
    const { values, loss } = forward(graph);
    this.baseLoss = loss;
    const add = (id: string, base: Tensor) => {
      this.slotOf.set(id, this.slots.length);
      this.slots.push({ id, base, state: UNCHANGED, count: 0 });
    };
    for (const inp of graph.inputs) add(inp.id, values.get(inp.id)!);
    for (const node of graph.nodes) add(node.id, values.get(node.id)!);
    const feeds = feedsOutput(graph);
    for (const node of graph.nodes)
      this.nodes.push({ node, slot: this.slotOf.get(node.id)!, inputSlots: node.inputs.map((n) => this.slotOf.get(n)!), feedsOutput: feeds.has(node.id) });
    this.outputSlot = this.slotOf.get(graph.output)!;
  }

  /** The loss at the cached (unperturbed) values. */
  get loss(): number {
    return this.baseLoss;
  }

  entries(name: string, indices: ArrayLike<number>, h: number, progress?: (k: number) => void) {
    const plus = new Float64Array(indices.length), minus = new Float64Array(indices.length);
    this.entriesInto(name, indices, 0, indices.length, h, plus, minus, progress);
    return { plus, minus };
  }

  /** L(θ ± h·e_i) for indices[from..to), written at the same positions of plus and minus. */
  entriesInto(name: string, indices: ArrayLike<number>, from: number, to: number, h: number, plus: Float64Array, minus: Float64Array, progress?: (k: number) => void): void {
    const target = this.target(name);
    const t = target.tensor;
    for (let k = from; k < to; k++) {
      const flat = indices[k];
      const orig = t.data[flat];
      plus[k] = this.perturbEntry(target, flat, orig, orig + h);
      minus[k] = this.perturbEntry(target, flat, orig, orig - h);
      if (progress && k % 64 === 0) progress(k);
    }
  }

  directional(name: string, v: Float64Array, h: number) {
    const target = this.target(name);
    const t = target.tensor;
    const info = target.node, node = info?.node;
    const linear = node !== undefined && node.op.builtin && node.op.name === "linear";
    // A linear layer is linear in W, in b and in x: y(θ ± h·v) = y ± h·Δ, with Δ = x·Vᵀ, v (per row)
    // or V·Wᵀ; one Δ serves both signs, and W, b are never written. (Rounding differs from a forward
    // pass at θ ± h·v only in the last bits of y.)
    if (info && linear && (target.param === "W" || (target.param === "b" && node.attrs.bias !== false))) {
      const x = this.current(info.inputSlots[0]);
      const shift = target.param === "W" ? node.op.forward({ inputs: [x], params: { W: { shape: t.shape, data: v } }, attrs: { ...node.attrs, bias: false } }).data : undefined;
      const evaluate = (sign: number): number => {
        try {
          const base = this.slots[info.slot].base, y = new Float64Array(base.data), step = sign * h;
          if (shift) for (let o = 0; o < y.length; o++) y[o] += step * shift[o];
          else for (let o = 0, units = v.length; o < y.length; o++) y[o] += step * v[o % units];
          this.setDense(info.slot, { shape: base.shape, data: y });
          return this.propagate(target.nodeIndex + 1);
        } finally {
          this.restore();
        }
      };
      return { plus: evaluate(1), minus: evaluate(-1) };
    }
    const orig = new Float64Array(t.data);
    this.directionalInput = info ? undefined : { slot: target.slot, v, shifts: new Map() };
    const evaluate = (sign: number): number => {
      const moved = new Float64Array(orig.length);
      for (let i = 0; i < v.length; i++) moved[i] = orig[i] + sign * h * v[i];
      try {
        if (info) {
          t.data.set(moved);
          this.setDense(info.slot, this.runNode(info));
          return this.propagate(target.nodeIndex + 1);
        }
        this.directionalInput!.step = sign * h;
        this.setDense(target.slot, { shape: [...t.shape], data: moved });
        return this.propagate(0);
      } finally {
        if (info) t.data.set(orig);
        this.restore();
      }
    };
    try {
      return { plus: evaluate(1), minus: evaluate(-1) };
    } finally {
      this.directionalInput = undefined;
    }
  }

  /**
   * L with one entry of a node's cached output moved to out ± h, for each flat
   * index: the loss as a function of that node's output, everything upstream of
   * it held fixed (the numeric upstream gradient dL/d(out) of the teaching verbs).
   */
  outputEntries(nodeId: string, indices: ArrayLike<number>, h: number): { plus: Float64Array; minus: Float64Array } {
    const nodeIndex = this.nodes.findIndex((n) => n.node.id === nodeId);
    if (nodeIndex < 0) throw new Error(`no node named '${nodeId}'`);
    const info = this.nodes[nodeIndex];
    const plus = new Float64Array(indices.length), minus = new Float64Array(indices.length);
    if (!info.feedsOutput) return { plus: plus.fill(this.baseLoss), minus: minus.fill(this.baseLoss) };
    const moved = (flat: number, value: number): number => {
      try {
        const slot = this.slots[info.slot];
        this.beginSparse(info.slot);
        slot.work![flat] = value;
        this.markChanged(slot, flat);
        return this.propagate(nodeIndex + 1);
      } finally {
        this.restore();
      }
    };
    const base = this.slots[info.slot].base.data;
    for (let k = 0; k < indices.length; k++) {
      const flat = indices[k];
      plus[k] = moved(flat, base[flat] + h);
      minus[k] = moved(flat, base[flat] - h);
    }
    return { plus, minus };
  }

  private target(name: string): { tensor: Tensor; slot: number; node?: NodeInfo; nodeIndex: number; param?: string } {
    const tensor = tensorByName(this.graph, name);
    const dot = name.indexOf(".");
    if (dot < 0) return { tensor, slot: this.slotOf.get(name)!, nodeIndex: -1 };
    const nodeIndex = this.nodes.findIndex((n) => n.node.id === name.slice(0, dot));
    const node = this.nodes[nodeIndex];
    return { tensor, slot: node.slot, node, nodeIndex, param: name.slice(dot + 1) };
  }

  /** L with entry `flat` of the target set to `value` (and put back afterwards). */
  private perturbEntry(target: ReturnType<IncrementalEvaluator["target"]>, flat: number, orig: number, value: number): number {
    try {
      if (target.node) {
        const info = target.node;
        target.tensor.data[flat] = value;
        if (!info.feedsOutput) return this.baseLoss;
        if (info.node.op.builtin && info.node.op.name === "linear" && (target.param === "W" || (target.param === "b" && info.node.attrs.bias !== false))) this.linearParam(info, target.param, flat, value - orig);
        else this.setDense(info.slot, this.runNode(info));
        return this.propagate(target.nodeIndex + 1);
      }
      const slot = this.slots[target.slot];
      this.beginSparse(target.slot);
      slot.work![flat] = value;
      this.markChanged(slot, flat);
      return this.propagate(0);
    } finally {
      if (target.node) target.tensor.data[flat] = orig;
      this.restore();
    }
  }

  /** Recompute the nodes from `start` on whose inputs changed; the loss at the end. */
  private propagate(start: number): number {
    const slots = this.slots;
    for (let i = start; i < this.nodes.length; i++) {
      const info = this.nodes[i];
      if (!info.feedsOutput) continue;
      let changed = false;
      for (const s of info.inputSlots) if (slots[s].state !== UNCHANGED) changed = true;
      if (changed) this.recompute(info);
    }
    const out = slots[this.outputSlot];
    if (out.state === UNCHANGED) return this.baseLoss;
    return lossOf(this.graph, this.current(this.outputSlot));
  }

  private recompute(info: NodeInfo): void {
    const op = info.node.op;
    const dir = this.directionalInput;
    if (dir && op.builtin && op.name === "linear" && info.inputSlots[0] === dir.slot) {
      // x moved to x ± h·v: y ± h·(v·Wᵀ), the product made once for both signs.
      let shift = dir.shifts.get(info.slot);
      if (!shift) {
        shift = op.forward({ inputs: [{ shape: this.slots[dir.slot].base.shape, data: dir.v }], params: { W: info.node.params.W }, attrs: { ...info.node.attrs, bias: false } }).data;
        dir.shifts.set(info.slot, shift);
      }
      const base = this.slots[info.slot].base, y = new Float64Array(base.data);
      for (let o = 0; o < y.length; o++) y[o] += dir.step! * shift[o];
      this.setDense(info.slot, { shape: base.shape, data: y });
      return;
    }
    if (op.builtin) {
      let sparse = true;
      for (const s of info.inputSlots) {
        const slot = this.slots[s];
        if (slot.state === DENSE || slot.count > SPARSE_FRACTION * slot.base.data.length) sparse = false;
      }
      if (sparse) {
        const first = this.slots[info.inputSlots[0]];
        if (UNARY.has(op.name)) return this.unarySparse(info, first);
        if (BINARY.has(op.name) && this.binarySparse(info, first, this.slots[info.inputSlots[1]])) return;
        if (op.name === "linear") return this.linearInput(info, first);
        if (ROWWISE.has(op.name) && this.rowwiseSparse(info, first)) return;
      }
    }
    this.setDense(info.slot, this.runNode(info));
  }

  // ------------------------------------------------------------ sparse rules

  /** W[i, j] or b[i] of a linear node moved by `delta`: only column i of the output moves. */
  private linearParam(info: NodeInfo, param: string, flat: number, delta: number): void {
    const W = info.node.params.W;
    const [units, nIn] = W.shape;
    const x = this.current(info.inputSlots[0]).data;
    const rows = x.length / nIn;
    const out = this.slots[info.slot];
    this.beginSparse(info.slot);
    const work = out.work!;
    if (param === "W") {
      const i = Math.floor(flat / nIn), j = flat - i * nIn;
      for (let n = 0; n < rows; n++) {
        const o = n * units + i;
        work[o] = out.base.data[o] + delta * x[n * nIn + j];
        this.markChanged(out, o);
      }
    } else {
      for (let n = 0; n < rows; n++) {
        const o = n * units + flat;
        work[o] = out.base.data[o] + delta;
        this.markChanged(out, o);
      }
    }
  }

  /**
   * Inputs x[n, j] of a linear node changed. A row with a few changes gets
   * y[n, :] += (x′ − x)[n, j]·W[:, j] for each (a rank-1 update); a row with many
   * is recomputed whole by the op's own forward on that row, which costs no more
   * and gives exactly a whole forward pass's numbers for it.
   */
  private linearInput(info: NodeInfo, input: Slot): void {
    const [units, nIn] = info.node.params.W.shape;
    // Wᵀ, so that the column W[:, j] of a rank-1 update is read in order. (This node's W is never the
    // perturbed tensor while its input changes, and every perturbation is undone: W stays as cached.)
    const WT = (info.weightT ??= transpose2d(info.node.params.W.data, units, nIn));
    const out = this.slots[info.slot];
    const xNew = input.work!, xOld = input.base.data, idx = input.idx!;
    const rows = xNew.length / nIn;
    if (this.rowCount.length < rows) this.rowCount = new Int32Array(rows);
    const rowCount = this.rowCount, changedRows: number[] = [];
    for (let k = 0; k < input.count; k++) {
      const n = Math.floor(idx[k] / nIn);
      if (rowCount[n]++ === 0) changedRows.push(n);
    }
    // Every row moves (a changed weight upstream reaches every batch entry): the output is dense,
    // a copy of the cached one updated in place, with no per-entry bookkeeping.
    const dense = changedRows.length === rows;
    let work: Float64Array;
    if (dense) {
      // A buffer of this slot's own, reused: a dense value lives only until the evaluation ends.
      work = out.scratch ??= new Float64Array(out.base.data.length);
      work.set(out.base.data);
    } else {
      this.beginSparse(info.slot);
      work = out.work!;
      for (const n of changedRows) for (let u = 0, o = n * units; u < units; u++) this.markChanged(out, o + u);
    }
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
      const y = this.runOp(info, [{ shape: [whole.length, nIn], data: gathered }], whole.length * units);
      whole.forEach((n, k) => work.set(y.subarray(k * units, k * units + units), n * units));
    }
    if (dense) this.setDense(info.slot, { shape: out.base.shape, data: work });
  }

  /** y = f(x) elementwise: recompute the changed entries with the op's own forward. */
  private unarySparse(info: NodeInfo, input: Slot): void {
    const n = input.count, idx = input.idx!, xNew = input.work!;
    const gathered = new Float64Array(n);
    for (let k = 0; k < n; k++) gathered[k] = xNew[idx[k]];
    const y = this.runOp(info, [{ shape: [n], data: gathered }], n);
    this.beginSparse(info.slot);
    const out = this.slots[info.slot];
    for (let k = 0; k < n; k++) this.setEntry(out, idx[k], y[k]);
  }

  /** add/sub/mul: the output entries that meet a changed entry of a or b, by the op's own forward. */
  private binarySparse(info: NodeInfo, a: Slot, b: Slot): boolean {
    const n = a.base.data.length, m = b.base.data.length;
    if (m === 0 || n % m !== 0) return false;
    const repeats = n / m;
    if (b.count * repeats > SPARSE_FRACTION * n) return false;
    const out = this.slots[info.slot];
    this.beginSparse(info.slot);
    // Collect the affected output positions in out.idx (marked: restored at the end even if unchanged).
    if (a.state === SPARSE) for (let k = 0; k < a.count; k++) this.markChanged(out, a.idx![k]);
    if (b.state === SPARSE) for (let k = 0; k < b.count; k++) for (let r = 0, j = b.idx![k]; r < repeats; r++, j += m) this.markChanged(out, j);
    const c = out.count, idx = out.idx!;
    const ad = this.current(info.inputSlots[0]).data, bd = this.current(info.inputSlots[1]).data;
    const ga = new Float64Array(c), gb = new Float64Array(c);
    for (let k = 0; k < c; k++) {
      ga[k] = ad[idx[k]];
      gb[k] = bd[idx[k] % m];
    }
    const y = this.runOp(info, [{ shape: [c], data: ga }, { shape: [c], data: gb }], c);
    const work = out.work!;
    for (let k = 0; k < c; k++) work[idx[k]] = y[k];
    return true;
  }

  /** softmax / log_softmax over the last axis, layer_norm: recompute the changed rows only. */
  private rowwiseSparse(info: NodeInfo, input: Slot): boolean {
    const node = info.node;
    const shape = input.base.shape;
    if (shape.length === 0) return false;
    const D = shape[shape.length - 1];
    if (node.op.name !== "layer_norm") {
      const axis = node.attrs.axis === undefined ? -1 : (node.attrs.axis as number);
      if (axis !== -1 && axis !== shape.length - 1) return false;
    }
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
    if (changedRows.length > SPARSE_FRACTION * rows) return false;
    const x = this.current(info.inputSlots[0]).data;
    const gathered = new Float64Array(changedRows.length * D);
    changedRows.forEach((r, k) => gathered.set(x.subarray(r * D, r * D + D), k * D));
    const attrs = node.op.name === "layer_norm" ? node.attrs : { ...node.attrs, axis: -1 };
    const y = this.runOp({ ...info, node: { ...node, attrs } }, [{ shape: [changedRows.length, D], data: gathered }], gathered.length);
    this.beginSparse(info.slot);
    const out = this.slots[info.slot];
    changedRows.forEach((r, k) => {
      for (let i = 0; i < D; i++) this.setEntry(out, r * D + i, y[k * D + i]);
    });
    return true;
  }

  // ------------------------------------------------------------ slots

  private current(s: number): Tensor {
    const slot = this.slots[s];
    return slot.state === UNCHANGED ? slot.base : slot.state === SPARSE ? slot.workTensor! : slot.dense!;
  }

  private beginSparse(s: number): void {
    const slot = this.slots[s];
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

  private markChanged(slot: Slot, i: number): void {
    if (slot.mark![i]) return;
    slot.mark![i] = 1;
    slot.idx![slot.count++] = i;
  }

  /** Write a recomputed entry, keeping it only if it differs from the cached value. */
  private setEntry(slot: Slot, i: number, v: number): void {
    const b = slot.base.data[i];
    if (v === b && (v !== 0 || 1 / v === 1 / b)) return;
    slot.work![i] = v;
    this.markChanged(slot, i);
  }

  private setDense(s: number, value: Tensor): void {
    const slot = this.slots[s];
    if (slot.state === UNCHANGED) this.touched.push(s);
    else if (slot.state === SPARSE) this.clearSparse(slot);
    slot.state = DENSE;
    slot.dense = value;
  }

  private clearSparse(slot: Slot): void {
    const work = slot.work!, base = slot.base.data, mark = slot.mark!, idx = slot.idx!;
    for (let k = 0; k < slot.count; k++) {
      const i = idx[k];
      work[i] = base[i];
      mark[i] = 0;
    }
    slot.count = 0;
  }

  /** Put every slot back to its cached value. */
  private restore(): void {
    for (const s of this.touched) {
      const slot = this.slots[s];
      if (slot.state === SPARSE) this.clearSparse(slot);
      slot.state = UNCHANGED;
      slot.dense = undefined;
    }
    this.touched.length = 0;
  }

  /** The node's forward on its current inputs (checked as graph.runForward checks it). */
  private runNode(info: NodeInfo): Tensor {
    const node = info.node;
    const out = node.op.forward({ inputs: info.inputSlots.map((s) => this.current(s)), params: node.params, attrs: node.attrs });
    if (!isTensor(out)) throw new UserOpError(`${node.id} (${node.op.name}): forward must return a tensor { shape: number[], data: Float64Array } of matching size, got ${describeValue(out)}`);
    return out;
  }

  /** A built-in op's forward on gathered entries or rows. */
  private runOp(info: NodeInfo, inputs: Tensor[], size: number): Float64Array {
    const out = info.node.op.forward({ inputs, params: info.node.params, attrs: info.node.attrs });
    if (out.data.length !== size) throw new Error(`internal: ${info.node.op.name} on gathered entries gave ${out.data.length} values, expected ${size}`);
    return out.data;
  }
}

