/**
 * The op contract shared by built-in ops and `defineOp` custom ops.
 *
 * An op is a forward and, right beside it, the hand-written backward: the
 * vector–Jacobian product gradOutput · ∂output/∂input (the lecture's
 * "upstream gradient × local gradient"). Jacobians have rows = outputs and
 * columns = inputs, as in the lecture.
 */
import type { Tensor } from "./tensor.js";
import type { Rng } from "./random.js";
import type { DiagnosisKind } from "../shared/report.js";
import type { IncrementalRule } from "./incremental/rule.js";

export type Attrs = Record<string, unknown>;

export interface AttrSpec {
  type: "int" | "number" | "bool" | "int[]" | "int|int[]";
  required?: boolean;
  default?: unknown;
  /** Smallest allowed value (for numbers / each int of an array). */
  min?: number;
  doc: string;
}

export interface ForwardContext {
  inputs: Tensor[];
  params: Record<string, Tensor>;
  attrs: Attrs;
}

export interface BackwardContext extends ForwardContext {
  output: Tensor;
  /** ∂L/∂output, same shape as output. */
  gradOutput: Tensor;
}

export interface BackwardResult {
  /** ∂L/∂input per input, same shape as that input; null for an input with no gradient (labels). */
  inputs?: (Tensor | null)[];
  params?: Record<string, Tensor>;
}

export interface JacobianResult {
  /** Per input: [output size, input size]. */
  inputs?: (Tensor | null)[];
  /** Per param: [output size, param size]. */
  params?: Record<string, Tensor>;
}

export interface ShapeContext {
  inputShapes: number[][];
  attrs: Attrs;
}

export type InitKind = "zeros" | "ones" | "normal" | "uniform-fan-in";

export interface ParamSpec {
  shape: (ctx: ShapeContext) => number[];
  /** How to draw the initial value; a function gets the seeded stream. Default "uniform-fan-in". */
  init?: InitKind | ((shape: number[], rng: Rng, ctx: ShapeContext) => Tensor);
  /** Whether the op has this param for these attrs (e.g. linear's `b` only when `bias` is true). Default: always. */
  enabled?: (attrs: Attrs) => boolean;
}

/**
 * Which output entries an input entry reaches: what the incremental evaluator
 * needs to recompute only the entries a perturbation changes (built-ins only; a
 * custom op is always recomputed whole, whatever it declares).
 * - `elementwise`: one input, y[i] depends on x[i] alone; the op's forward on a
 *   gathered [n] vector of entries gives those n outputs.
 * - `broadcast`: two inputs with the trailing-dims broadcast, y[i] = f(a[i], b[i mod |b|]);
 *   the forward on two gathered [n] vectors gives those n outputs.
 * - `rowwise`: one input; each row along one axis is computed on its own (the
 *   axis the attribute `axisAttr` names, else always the last). The evaluator goes
 *   sparse when that axis is the last one: the forward on the gathered changed rows
 *   [r, D] (with `axisAttr` set to −1) gives those r rows.
 */
export type Locality = { kind: "elementwise" } | { kind: "broadcast" } | { kind: "rowwise"; axisAttr?: string };

/** Sentences a diagnosis may add for this op, by diagnosis kind (e.g. softmax's missing −pⱼpₖ terms). */
export type DiagnosisHints = Partial<Record<DiagnosisKind, string>>;

export interface OpDef {
  name: string;
  /** Built-in ops carry these; custom ops may leave them out. */
  builtin?: boolean;
  /** One line for hovers and the README. */
  summary?: string;
  /** The derivative formula in the lecture's notation (shown on hover). */
  formula?: string;
  /** Number of inputs: exact, or [min, max] (max may be Infinity). Default: any. */
  arity?: number | [number, number];
  /** Input positions that carry integer class labels: never differentiated. */
  labelInputs?: number[];
  /** Attribute schema (JSON networks are validated against it). */
  attrs?: Record<string, AttrSpec>;
  params?: Record<string, ParamSpec>;
  /** Output shape from input shapes; throws ShapeError naming both shapes on a mismatch. */
  outputShape?: (ctx: ShapeContext) => number[];
  forward: (ctx: ForwardContext) => Tensor;
  backward?: (ctx: BackwardContext) => BackwardResult;
  jacobian?: (ctx: ForwardContext & { output: Tensor }) => JacobianResult;
  /** Where a custom op was defined (file:line:col), for messages. */
  definedAt?: string;
  /**
   * Built-ins: which output entries an input entry reaches (the incremental evaluator's sparse paths).
   * @internal
   */
  locality?: Locality;
  /**
   * Built-ins: an op's own sparse rule for the incremental evaluator (linear's rank-1 updates).
   * @internal
   */
  incremental?: IncrementalRule;
  /**
   * What a diagnosis of this op may add, by kind (built-ins: softmax's sentence for a missing off-diagonal).
   * @internal
   */
  diagnosisHints?: DiagnosisHints;
}

/** A shape problem, with a message that names both shapes. The loader adds the location. */
export class ShapeError extends Error {
  constructor(message: string, readonly inputIndex?: number) {
    super(message);
    this.name = "ShapeError";
  }
}

/** Identity helper with types: how built-ins (and users, via `defineOp`) declare an op. */
export function defineOp(op: OpDef): OpDef {
  return op;
}
