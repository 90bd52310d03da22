/**
 * Type declarations for `import … from "gradlens"` in a `.gradnet.ts` network
 * or a module of custom ops: `defineOp`, `network`, and the tensor helpers.
 * The runtime is src/config/public.ts; test/node/typescript.test.ts keeps the
 * two in step (every runtime export declared here, nothing declared that
 * does not exist) and type-checks the examples against this file.
 */

// ---------------------------------------------------------------- tensors

/** A shape and its values, row-major. A plain object of this form is a tensor. */
export interface Tensor {
  shape: number[];
  data: Float64Array;
}

/** Nested arrays of numbers, as in a JSON network's "values" and "params". */
export type Nested = number | Nested[];

// ---------------------------------------------------------------- ops

export type Attrs = Record<string, unknown>;

export interface AttrSpec {
  type: "int" | "number" | "bool" | "int[]" | "int|int[]" | "string" | "string[]";
  required?: boolean;
  default?: unknown;
  /** Smallest allowed value (for numbers / each int of an array). */
  min?: number;
  /** Largest allowed value; with `maxExclusive`, values must stay below it. */
  max?: number;
  maxExclusive?: boolean;
  /** For "string" (and each entry of "string[]"): the allowed values. */
  oneOf?: string[];
  doc: string;
}

/**
 * The random stream a forward gets as `rng` (dropout's mask): seeded from the network's seed and the node's
 * id, and replayed from its start on every forward call of the node within a check, so finite differences see
 * the same numbers. It works only while the forward that received it runs (keep a mask in `saved`).
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
 * What a forward returns: its output tensor, or `{ output, saved }` to hand `saved` (anything) to the backward.
 * A multi-output op (`outputs: ["h", "c"]`) returns `{ h, c }` or `{ outputs: { h, c }, saved }`.
 */
export type ForwardOutput = Tensor | { output: Tensor; saved?: any } | Record<string, Tensor> | { outputs: Record<string, Tensor>; saved?: any };

export interface BackwardContext {
  inputs: Tensor[];
  params: Record<string, Tensor>;
  attrs: Attrs;
  /** The (first) output. */
  output: Tensor;
  /** ∂L/∂output, same shape as output (the lecture's upstream gradient). */
  gradOutput: Tensor;
  /** A multi-output op's outputs by name ({} for an op with one output). */
  outputs: Record<string, Tensor>;
  /** ∂L/∂ each output by name: a zero tensor for an output nothing uses ({} for an op with one output). */
  gradOutputs: Record<string, Tensor>;
  /** What the forward (at the same point) returned as `saved`. */
  saved?: any;
}

/** Vector–Jacobian products: upstream gradient × local gradient. */
export interface BackwardResult {
  /** ∂L/∂input per input, each the shape of its input; null for an input with no gradient (class labels). */
  inputs?: (Tensor | null)[];
  /** ∂L/∂θ for every declared param, each the shape of its param. */
  params?: Record<string, Tensor>;
}

/** One perturbed forward: entry indices[k] (flat) of input `input` (or param `param`) set to values[k]. */
export interface Perturbation {
  input?: number;
  param?: string;
  indices: ArrayLike<number>;
  values: ArrayLike<number>;
}

/** Local Jacobians: rows = output entries, columns = that input's (or param's) entries. */
export interface JacobianResult {
  /** Per input: [output size, input size]; null for an input with no gradient. */
  inputs?: (Tensor | null)[];
  /** Per param: [output size, param size]. */
  params?: Record<string, Tensor>;
}

export interface ShapeContext {
  inputShapes: number[][];
  attrs: Attrs;
  /** For each input, its number of classes when it is a "classes" input (labels or ids), else undefined. */
  inputClasses?: (number | undefined)[];
}

/** The seeded random stream a param's `init` function gets. */
export interface Rng {
  /** Uniform in [0, 1). */
  uniform(): number;
  /** Uniform integer in [0, n). */
  int(n: number): number;
  /** Standard normal N(0, 1). */
  normal(): number;
  /** k distinct indices out of [0, n), sorted. */
  sample(n: number, k: number): number[];
}

export type InitKind = "zeros" | "ones" | "normal" | "uniform-fan-in";

export interface ParamSpec {
  /** The param's shape from the input shapes (and attributes). */
  shape: (ctx: ShapeContext) => number[];
  /** How to draw the initial value (seeded). Default "uniform-fan-in". */
  init?: InitKind | ((shape: number[], rng: Rng, ctx: ShapeContext) => Tensor);
  /** Whether the op has this param for these attrs. Default: always. */
  enabled?: (attrs: Attrs) => boolean;
}

export interface OpDef {
  name: string;
  /**
   * A multi-output op's output names (forward returns `{ h, c }`, backward gets `outputs` and `gradOutputs`);
   * another node reads one as "node:h", and plain "node" is the first. Absent: one output.
   */
  outputs?: string[] | ((attrs: Attrs) => string[]);
  builtin?: boolean;
  /** One line for hovers. */
  summary?: string;
  /** The derivative formula (shown on hover). */
  formula?: string;
  /** Number of inputs: exact, or [min, max]. Default: any. */
  arity?: number | [number, number];
  /** Input positions that carry integer class labels: never differentiated. */
  labelInputs?: number[];
  /** Input positions that take integer ids from a "classes" input (an embedding's tokens): never differentiated. */
  idInputs?: number[];
  attrs?: Record<string, AttrSpec>;
  params?: Record<string, ParamSpec>;
  /** Output shape from input shapes; without it the forward is run once to learn it. */
  outputShape?: (ctx: ShapeContext) => number[];
  /** A multi-output op's output shapes by name; without it the forward is run once to learn them. */
  outputShapes?: (ctx: ShapeContext) => Record<string, number[]>;
  /** The output tensor (or `{ output, saved }`; a multi-output op: `{ h, c }` or `{ outputs: { h, c }, saved }`). */
  forward: (ctx: ForwardContext) => ForwardOutput;
  /** Vector–Jacobian products (give this or `jacobian`). */
  backward?: (ctx: BackwardContext) => BackwardResult;
  /** Explicit local Jacobians (give this or `backward`; ops with one output). */
  jacobian?: (ctx: ForwardContext & { output: Tensor; saved?: any }) => JacobianResult;
  /** Optional, single-output ops only: every perturbed forward the check needs of one input or param in one call; one output per perturbation, in order. */
  forwardBatch?: (ctx: ForwardContext, perturbations: Perturbation[]) => Tensor[];
  /** Optional, single-output ops only: many backwards in one call; one result per upstream gradient, in order. */
  backwardBatch?: (ctx: Omit<ForwardContext, "rng"> & { output: Tensor; saved?: any }, gradOutputs: Tensor[]) => BackwardResult[];
  /** Where the op was defined (file:line:col), filled in by defineOp. */
  definedAt?: string;
}

/** A shape problem, with a message that names both shapes (throw it from `outputShape` or a param's `shape`). */
export declare class ShapeError extends Error {
  readonly inputIndex?: number;
  constructor(message: string, inputIndex?: number);
}

/** Declare a custom op: `{ name, params?, forward, backward }` or `{ name, params?, forward, jacobian }`. */
export declare function defineOp(op: OpDef): OpDef;

// ---------------------------------------------------------------- networks

export interface InputSpec {
  shape?: number[];
  values?: Nested;
  /** Integer labels in [0, classes): never differentiated (ops that take ids read them too). */
  classes?: number;
  /** A constant tensor (a mask, a table): usable by any op, never differentiated, never in gradients[]. */
  constant?: boolean;
}

/** A node's initial value for one parameter: nested arrays, or `{ shape }` for a seeded one of that shape. */
export type ParamValue = Nested | { shape: number[] };

export interface NodeSpec {
  id: string;
  /** A built-in op name ("linear", "softmax", …) or a defineOp(...) value. */
  op: string | OpDef;
  /** Names of inputs or earlier nodes; default: the previous node (the first input for the first node). */
  inputs?: string[];
  /** Fixed initial values of params, or `{ shape }` for seeded ones of that shape (otherwise seeded). */
  params?: Record<string, ParamValue>;
  /** A name shared by the nodes of one block ("block1"): the graph draws them as one collapsible box. */
  group?: string;
  /** Op attributes (units, axis, …). */
  [attr: string]: unknown;
}

export interface NetworkSpec {
  name?: string;
  seed?: number;
  inputs: Record<string, InputSpec>;
  nodes: NodeSpec[];
  /** The node whose value is the loss; default the last. */
  output?: string;
  /** JSON networks only: custom op name → "./file.ts#export" (or "./file.py#name", a Python layer). */
  ops?: Record<string, string>;
}

/** `export default network({ inputs, nodes })`: the network of a `.gradnet.ts`. */
export declare function network(spec: NetworkSpec): NetworkSpec;

// ---------------------------------------------------------------- creating

/** A tensor of this shape: zeros, or the given values (row-major). */
export declare function tensor(shape: readonly number[], data?: Float64Array | ArrayLike<number>): Tensor;
export declare function zeros(shape: readonly number[]): Tensor;
export declare function ones(shape: readonly number[]): Tensor;
export declare function full(shape: readonly number[], value: number): Tensor;
export declare function zerosLike(t: Tensor): Tensor;
export declare function onesLike(t: Tensor): Tensor;
export declare function clone(t: Tensor): Tensor;
/** A scalar tensor (shape []). */
export declare function scalar(v: number): Tensor;
/** The n × n identity matrix. */
export declare function eye(n: number): Tensor;
/** Integer labels [B] → one-hot rows [B, classes]. */
export declare function oneHot(labels: Tensor, classes: number): Tensor;
export declare function fromNested(value: Nested): Tensor;
export declare function toNested(t: Tensor): Nested;

// ---------------------------------------------------------------- shapes and entries

export declare function sizeOf(shape: readonly number[]): number;
export declare function sameShape(a: readonly number[], b: readonly number[]): boolean;
/** "[4, 3]" */
export declare function shapeText(shape: readonly number[]): string;
/** Row-major strides. */
export declare function strides(shape: readonly number[]): number[];
/** Flat index → multi-index. */
export declare function unravel(flat: number, shape: readonly number[]): number[];
/** Is this a usable tensor ({ shape: number[], data: Float64Array } of matching size)? */
export declare function isTensor(v: unknown): v is Tensor;
/** The single value of a one-entry tensor. */
export declare function item(t: Tensor): number;
/** t[i, j, …] */
export declare function get(t: Tensor, ...index: number[]): number;
/** t[i, j, …] = value (mutates t). */
export declare function set(t: Tensor, index: readonly number[], value: number): void;
/** Slices along the first axis (views on t's data). */
export declare function rows(t: Tensor): Tensor[];
/** Same-shaped tensors stacked along a new first axis. */
export declare function stack(ts: readonly Tensor[]): Tensor;
/** Same data, another shape of the same size. */
export declare function reshape(t: Tensor, shape: readonly number[]): Tensor;

// ---------------------------------------------------------------- arithmetic

export declare function map(t: Tensor, f: (v: number, i: number) => number): Tensor;
/** f entry by entry; same shapes, or one shape a trailing part of the other (broadcast). */
export declare function zip(a: Tensor, b: Tensor, f: (x: number, y: number, i: number) => number): Tensor;
export declare function add(a: Tensor, b: Tensor): Tensor;
export declare function sub(a: Tensor, b: Tensor): Tensor;
export declare function mul(a: Tensor, b: Tensor): Tensor;
export declare function div(a: Tensor, b: Tensor): Tensor;
export declare function scale(t: Tensor, c: number): Tensor;
export declare function neg(t: Tensor): Tensor;
export declare function exp(t: Tensor): Tensor;
export declare function log(t: Tensor): Tensor;
export declare function sqrt(t: Tensor): Tensor;
export declare function square(t: Tensor): Tensor;
export declare function tanh(t: Tensor): Tensor;
/** C = A·B for A [m, k], B [k, n]. */
export declare function matmul(a: Tensor, b: Tensor): Tensor;
/** Transpose of a 2-D tensor. */
export declare function transpose(t: Tensor): Tensor;
/** Σ aᵢbᵢ over all entries. */
export declare function dot(a: Tensor | Float64Array, b: Tensor | Float64Array): number;
/** u vᵀ: [u size, v size]. */
export declare function outer(u: Tensor, v: Tensor): Tensor;

// ---------------------------------------------------------------- reductions and layers

/** Σ of all entries (a scalar tensor), or along one axis (removed unless keepDims). */
export declare function sum(t: Tensor, axis?: number, keepDims?: boolean): Tensor;
/** Mean of all entries, or along one axis. */
export declare function mean(t: Tensor, axis?: number, keepDims?: boolean): Tensor;
/** Largest entry, overall or along one axis. */
export declare function max(t: Tensor, axis?: number, keepDims?: boolean): Tensor;
/** Softmax along the last axis (stable). */
export declare function softmax(l: Tensor): Tensor;
