/**
 * End-to-end evaluations that recompute only what a perturbation changes.
 *
 * The values of one forward pass are cached. Perturbing one entry of a tensor
 * leaves everything upstream of its node as it was, so only the nodes downstream
 * are recomputed, and among those a change is carried as a *sparse* set of
 * changed entries where the op says how (every fact about an op comes from the op):
 *
 * - an op's own rule (`OpDef.incremental`, beside the op): linear's weight W[i, j]
 *   (or b[i]) moves only column i of y = x·Wᵀ + b, a few changed inputs x[n, j]
 *   move y[n, :] by rank-1 updates (ops/linear-incremental.ts);
 * - an op's `locality` (incremental/locality.ts): elementwise ops (relu, tanh, …),
 *   broadcast ones (add/sub/mul) and row-wise ones (softmax / log_softmax over the
 *   last axis, layer_norm) recompute just the changed entries or rows with their own
 *   forward, so the arithmetic is the op's.
 *
 * Everything else (and a change that is no longer sparse) falls back to the node's
 * forward on its current inputs, which is also all a custom op and a multi-output
 * node (every output at once) ever get; each forward call gets the node's seeded
 * rng afresh, as in the forward pass, so dropout's mask is the same. The
 * numbers are those of a plain central difference: the losses L(θ ± h·eᵢ) agree
 * with a whole forward pass (StraightEvaluator) to rounding (~1e-15 relative),
 * and each evaluation leaves the cache exactly as it found it, so the result of
 * an entry never depends on which entries were evaluated before it.
 */
import { callForward, feedsOutput, forward, forwardTensor, lossOf, parseValueName, type Graph } from "./graph.js";
import type { Tensor } from "./tensor.js";
import { tensorByName, type EndToEndEvaluator } from "./evaluate.js";
import { DENSE, NodeView, Slots, UNCHANGED, type NodeInfo } from "./incremental/slots.js";
import { LocalityPaths, SPARSE_FRACTION } from "./incremental/locality.js";

/** L(θ ± h·eᵢ) for indices[from..to) of tensor `name`, written at the same positions of plus and minus. */
export interface EntryRange {
  name: string;
  indices: ArrayLike<number>;
  from: number;
  to: number;
  h: number;
  plus: Float64Array;
  minus: Float64Array;
  progress?: (k: number) => void;
}

interface Target {
  tensor: Tensor;
  slot: number;
  node?: NodeInfo;
  nodeIndex: number;
  param?: string;
}

/** During directional() on an input: its direction v, the current ±h, and each consuming node's Δ (one per node, both signs). */
interface InputDirection {
  slot: number;
  v: Float64Array;
  step?: number;
  shifts: Map<number, Float64Array>;
}

export class IncrementalEvaluator implements EndToEndEvaluator {
  private readonly slots = new Slots();
  private readonly slotOf = new Map<string, number>();
  private readonly nodes: NodeInfo[] = [];
  private readonly locality = new LocalityPaths(this.slots);
  private readonly outputSlot: number;
  private readonly baseLoss: number;
  private directionalInput?: InputDirection;

  constructor(private readonly graph: Graph) {
    const { values, loss } = forward(graph);
    this.baseLoss = loss;
    for (const inp of graph.inputs) this.slotOf.set(inp.id, this.slots.add(inp.id, values.get(inp.id)!));
    for (const node of graph.nodes) for (const v of node.outputValues) this.slotOf.set(v, this.slots.add(v, values.get(v)!));
    const feeds = feedsOutput(graph);
    for (const node of graph.nodes) {
      const outputSlots = node.outputValues.map((v) => this.slotOf.get(v)!);
      const info: NodeInfo = { node, slot: outputSlots[0], outputSlots, inputSlots: node.inputs.map((n) => this.slotOf.get(n)!), feedsOutput: feeds.has(node.id) };
      // A multi-output node is always recomputed whole (its op's rules speak of one output).
      if (node.op.builtin && outputSlots.length === 1) {
        info.rule = node.op.incremental;
        info.locality = node.op.locality;
      }
      this.nodes.push(info);
    }
    this.outputSlot = this.slotOf.get(graph.output)!;
  }

  /** The loss at the cached (unperturbed) values. */
  get loss(): number {
    return this.baseLoss;
  }

  entries(name: string, indices: ArrayLike<number>, h: number, progress?: (k: number) => void) {
    const plus = new Float64Array(indices.length), minus = new Float64Array(indices.length);
    this.entriesInto({ name, indices, from: 0, to: indices.length, h, plus, minus, progress });
    return { plus, minus };
  }

  /** L(θ ± h·e_i) for indices[from..to), written at the same positions of plus and minus. */
  entriesInto({ name, indices, from, to, h, plus, minus, progress }: EntryRange): void {
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
    const info = target.node;
    // An op linear in this parameter (linear's W, b): y(θ ± h·v) = y ± h·Δ, one Δ for both signs, and
    // the parameter is never written. (Rounding differs from a forward pass at θ ± h·v only in the last bits of y.)
    const shift = info?.rule?.paramDirection?.(this.viewOf(info), target.param!, v);
    if (info && shift) {
      const evaluate = (sign: number): number => {
        try {
          this.setShifted(info, shift, sign * h);
          return this.propagate(target.nodeIndex + 1);
        } finally {
          this.slots.restore();
        }
      };
      return { plus: evaluate(1), minus: evaluate(-1) };
    }
    this.directionalInput = info ? undefined : { slot: target.slot, v, shifts: new Map() };
    try {
      return this.alongDirection(target, v, h);
    } finally {
      this.directionalInput = undefined;
    }
  }

  /** L(θ ± h·v) by moving the tensor itself (a node's parameter) or its slot (an input). */
  private alongDirection(target: Target, v: Float64Array, h: number): { plus: number; minus: number } {
    const t = target.tensor, info = target.node;
    const orig = new Float64Array(t.data);
    const evaluate = (sign: number): number => {
      const moved = new Float64Array(orig.length);
      for (let i = 0; i < v.length; i++) moved[i] = orig[i] + sign * h * v[i];
      try {
        if (info) {
          t.data.set(moved);
          this.recomputeWhole(info);
          return this.propagate(target.nodeIndex + 1);
        }
        this.directionalInput!.step = sign * h;
        this.slots.setDense(target.slot, { shape: [...t.shape], data: moved });
        return this.propagate(0);
      } finally {
        if (info) t.data.set(orig);
        this.slots.restore();
      }
    };
    return { plus: evaluate(1), minus: evaluate(-1) };
  }

  /**
   * L with one entry of a node's cached output moved to out ± h, for each flat
   * index: the loss as a function of that value, everything upstream of it held
   * fixed (the numeric upstream gradient dL/d(value) of the teaching verbs).
   * `value` names the output: "cell:c" (one output of a multi-output node, the
   * others held at their cached values), or a node id (its only, or first, output).
   */
  outputEntries(value: string, indices: ArrayLike<number>, h: number): { plus: Float64Array; minus: Float64Array } {
    const { node: nodeId, output } = parseValueName(value);
    const nodeIndex = this.nodes.findIndex((n) => n.node.id === nodeId);
    if (nodeIndex < 0) throw new Error(`no node named '${nodeId}'`);
    const info = this.nodes[nodeIndex];
    const at = output === undefined ? 0 : info.node.outputValues.indexOf(value);
    if (at < 0) throw new Error(`node '${nodeId}' has no output '${output}' (it has: ${info.node.outputValues.join(", ")})`);
    const slotIndex = info.outputSlots[at];
    const plus = new Float64Array(indices.length), minus = new Float64Array(indices.length);
    if (!info.feedsOutput) return { plus: plus.fill(this.baseLoss), minus: minus.fill(this.baseLoss) };
    const moved = (flat: number, to: number): number => {
      try {
        const slot = this.slots.list[slotIndex];
        this.slots.beginSparse(slotIndex);
        slot.work![flat] = to;
        this.slots.markChanged(slot, flat);
        return this.propagate(nodeIndex + 1);
      } finally {
        this.slots.restore();
      }
    };
    const base = this.slots.list[slotIndex].base.data;
    for (let k = 0; k < indices.length; k++) {
      const flat = indices[k];
      plus[k] = moved(flat, base[flat] + h);
      minus[k] = moved(flat, base[flat] - h);
    }
    return { plus, minus };
  }

  private target(name: string): Target {
    const tensor = tensorByName(this.graph, name);
    const dot = name.indexOf(".");
    if (dot < 0) return { tensor, slot: this.slotOf.get(name)!, nodeIndex: -1 };
    const nodeIndex = this.nodes.findIndex((n) => n.node.id === name.slice(0, dot));
    const node = this.nodes[nodeIndex];
    return { tensor, slot: node.slot, node, nodeIndex, param: name.slice(dot + 1) };
  }

  /** L with entry `flat` of the target set to `value` (and put back afterwards). */
  private perturbEntry(target: Target, flat: number, orig: number, value: number): number {
    try {
      const info = target.node;
      if (info) {
        target.tensor.data[flat] = value;
        if (!info.feedsOutput) return this.baseLoss;
        const rule = info.rule;
        if (!rule?.paramEntry?.(this.viewOf(info), target.param!, flat, value - orig)) this.recomputeWhole(info);
        return this.propagate(target.nodeIndex + 1);
      }
      const slot = this.slots.list[target.slot];
      this.slots.beginSparse(target.slot);
      slot.work![flat] = value;
      this.slots.markChanged(slot, flat);
      return this.propagate(0);
    } finally {
      if (target.node) target.tensor.data[flat] = orig;
      this.slots.restore();
    }
  }

  /** Recompute the nodes from `start` on whose inputs changed; the loss at the end. */
  private propagate(start: number): number {
    const slots = this.slots.list;
    for (let i = start; i < this.nodes.length; i++) {
      const info = this.nodes[i];
      if (!info.feedsOutput) continue;
      let changed = false;
      for (const s of info.inputSlots) if (slots[s].state !== UNCHANGED) changed = true;
      if (changed) this.recompute(info);
    }
    const out = slots[this.outputSlot];
    if (out.state === UNCHANGED) return this.baseLoss;
    return lossOf(this.graph, this.slots.current(this.outputSlot));
  }

  private recompute(info: NodeInfo): void {
    const dir = this.directionalInput, rule = info.rule;
    if (dir && rule?.inputDirection && info.inputSlots.length === 1 && info.inputSlots[0] === dir.slot) {
      // x moved to x ± h·v: y ± h·Δ, the Δ made once for both signs.
      let shift = dir.shifts.get(info.slot);
      if (!shift) {
        shift = rule.inputDirection(this.viewOf(info), { shape: this.slots.list[dir.slot].base.shape, data: dir.v });
        dir.shifts.set(info.slot, shift);
      }
      return this.setShifted(info, shift, dir.step!);
    }
    if ((info.locality || rule?.sparseInput) && this.inputsSparse(info)) {
      if (info.locality && this.locality.apply(info, info.locality)) return;
      if (rule?.sparseInput && info.inputSlots.length === 1) return rule.sparseInput(this.viewOf(info), this.slots.sparse(info.inputSlots[0]));
    }
    this.recomputeWhole(info);
  }

  /** Whether every input is unchanged or a change of at most SPARSE_FRACTION of its entries. */
  private inputsSparse(info: NodeInfo): boolean {
    for (const s of info.inputSlots) {
      const slot = this.slots.list[s];
      if (slot.state === DENSE || slot.count > SPARSE_FRACTION * slot.base.data.length) return false;
    }
    return true;
  }

  /** The node's output becomes y + step·Δ (dense). */
  private setShifted(info: NodeInfo, shift: Float64Array, step: number): void {
    const base = this.slots.list[info.slot].base, y = new Float64Array(base.data);
    for (let o = 0; o < y.length; o++) y[o] += step * shift[o];
    this.slots.setDense(info.slot, { shape: base.shape, data: y });
  }

  private viewOf(info: NodeInfo): NodeView {
    return (info.view ??= new NodeView(this.slots, info));
  }

  /** The node's whole forward on its current inputs (checked as the forward pass checks it): every output dense. */
  private recomputeWhole(info: NodeInfo): void {
    const inputs = info.inputSlots.map((s) => this.slots.current(s));
    if (info.outputSlots.length === 1) return this.slots.setDense(info.outputSlots[0], forwardTensor(info.node, inputs));
    const { outputs } = callForward(info.node, inputs);
    for (let k = 0; k < info.outputSlots.length; k++) this.slots.setDense(info.outputSlots[k], outputs[k]);
  }
}
