/**
 * The contract between the incremental evaluator and an op's own sparse rule
 * (`OpDef.incremental`, kept beside the op: `ops/linear-incremental.ts`).
 *
 * An op whose output moves in a known, cheap way when one parameter entry or a
 * few input entries move (linear: a column for W[i, j], a rank-1 update for x[n, j])
 * says so here; the evaluator hands it a view of its node during one evaluation.
 * An op without a rule is recomputed by its `locality` (elementwise, broadcast,
 * row-wise), or whole.
 */
import type { Tensor } from "../tensor.js";

/** One input's sparse change: `work` equals `base.data` outside the entries idx[0..count). */
export interface SparseChange {
  readonly base: Tensor;
  readonly work: Float64Array;
  readonly idx: Int32Array;
  readonly count: number;
}

/** What a rule sees of its node during one evaluation. */
export interface IncrementalNode {
  /** The node's attributes (op.ts's Attrs; written out here so that op.ts, which names this contract, is not imported back). */
  readonly attrs: Record<string, unknown>;
  readonly params: Record<string, Tensor>;
  /** The cached (unperturbed) output. */
  readonly output: Tensor;
  /** State the rule keeps for this node between evaluations (e.g. a transposed weight). */
  readonly memo: Record<string, unknown>;
  /** The current value of input k. */
  input(k: number): Tensor;
  /** The op's own forward on other inputs (gathered rows), with the node's params and attrs; its data, of `size` values. */
  forwardOn(inputs: Tensor[], size: number): Float64Array;
  /** Make the output a sparse change of the cached one; returns the working copy to write. */
  beginSparse(): Float64Array;
  /** Entry i of the working copy was written (it is put back when the evaluation ends). */
  markChanged(i: number): void;
  /** A buffer of the output's size, this node's own and reused: for a dense result. */
  scratch(): Float64Array;
  /** The output is now this dense value (of the cached output's shape). */
  setDense(data: Float64Array): void;
}

export interface IncrementalRule {
  /**
   * Entry `flat` of parameter `param` moved by `delta` (the tensor already holds the
   * new value): write the output's change and return true, or return false to have the
   * node's whole forward run.
   */
  paramEntry?(node: IncrementalNode, param: string, flat: number, delta: number): boolean;
  /** When the output is linear in `param`: Δ with y(θ + s·v) = y + s·Δ (one Δ serves both signs). Else undefined. */
  paramDirection?(node: IncrementalNode, param: string, v: Float64Array): Float64Array | undefined;
  /** For a one-input op linear in its input: Δ with y(x + s·v) = y + s·Δ. */
  inputDirection?(node: IncrementalNode, v: Tensor): Float64Array;
  /** The (only) input changed at a few entries: write the output's change (sparse or dense). */
  sparseInput?(node: IncrementalNode, input: SparseChange): void;
}
