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
  type: "int" | "number" | "bool" | "int[]" | "int|int[]" | "string" | "string[]";
  required?: boolean;
  default?: unknown;
  /** Smallest allowed value (for numbers / each int of an array). */
  min?: number;
  /** Largest allowed value (for numbers / each int of an array); with `maxExclusive`, values must stay below it. */
  max?: number;
  maxExclusive?: boolean;
  /** For "string" (and each entry of "string[]"): the allowed values. Default: any non-empty string. */
  oneOf?: string[];
  doc: string;
}

/**
 * The random stream a forward gets (dropout's mask): seeded from the network's seed and
 * the node's id, and started afresh on every forward call of that node, so that every
 * call within one check (the forward pass, each finite difference) draws the same
 * numbers. It works only while the forward that received it runs.
 */
export interface ForwardRng {
  /** Uniform in [0, 1). */
  uniform(): number;
  /** Standard normal N(0, 1). */
  normal(): number;
  /** 1 with probability p, else 0. */
  bernoulli(p: number): number;
}

export interface ForwardContext {
  inputs: Tensor[];
  params: Record<string, Tensor>;
  attrs: Attrs;
  /** The node's seeded stream, the same on every forward call of the node within a check. */
  rng: ForwardRng;
}

/**
 * What a forward returns: its output tensor, or `{ output, saved }` to hand `saved`
 * (anything: numbers, tensors, objects) to the backward. A multi-output op (`outputs`
 * declared) returns `{ h, c }` — one tensor per declared output — or
 * `{ outputs: { h, c }, saved }`.
 */
export type ForwardOutput = Tensor | { output: Tensor; saved?: any } | Record<string, Tensor> | { outputs: Record<string, Tensor>; saved?: any };

export interface BackwardContext {
  inputs: Tensor[];
  params: Record<string, Tensor>;
  attrs: Attrs;
  /** The (first) output. */
  output: Tensor;
  /** ∂L/∂output, same shape as output. */
  gradOutput: Tensor;
  /** A multi-output op's outputs by name ({} for a single-output op). */
  outputs: Record<string, Tensor>;
  /** ∂L/∂ each output by name, each the shape of its output: a zero tensor for an output nothing uses ({} for a single-output op). */
  gradOutputs: Record<string, Tensor>;
  /** What the forward returned as `saved`, from the forward at the same point (undefined if it saved nothing). */
  saved?: any;
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
  /**
   * For each input, its number of classes when it is a "classes" input (labels or ids), else undefined:
   * an op that takes ids (`idInputs`) can size a table from it. Not given outside a graph (op tests).
   */
  inputClasses?: (number | undefined)[];
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
 * - `broadcast`: inputs with the trailing-dims broadcast, each of the output's shape or a
 *   suffix of it: y[i] = f(a[i], b[i mod |b|]) (add), or f(mask[i mod |mask|], a[i], b[i mod |b|])
 *   (where); the forward on the gathered [n] vectors gives those n outputs.
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
  /**
   * A multi-output op's output names, in order (forward returns `{ [name]: Tensor }`; another node
   * reads one as "node:name", and plain "node" means the first). A built-in whose outputs depend on its
   * attributes (split) gives a function of them. Absent: one output.
   */
  outputs?: string[] | ((attrs: Attrs) => string[]);
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
  /**
   * Input positions that take integer ids (an embedding's token ids): they must come from a "classes"
   * input (integers in [0, classes)) and are never differentiated.
   */
  idInputs?: number[];
  /** Attribute schema (JSON networks are validated against it). */
  attrs?: Record<string, AttrSpec>;
  params?: Record<string, ParamSpec>;
  /** Output shape from input shapes; throws ShapeError naming both shapes on a mismatch. */
  outputShape?: (ctx: ShapeContext) => number[];
  /** A multi-output op's output shapes by name (instead of outputShape). */
  outputShapes?: (ctx: ShapeContext) => Record<string, number[]>;
  forward: (ctx: ForwardContext) => ForwardOutput;
  backward?: (ctx: BackwardContext) => BackwardResult;
  /** Single-output ops only. */
  jacobian?: (ctx: ForwardContext & { output: Tensor; saved?: any }) => JacobianResult;
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
