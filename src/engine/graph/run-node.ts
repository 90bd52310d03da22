/**
 * One call of a node's forward: the one place an op's forward is called with a
 * graph's node (the forward pass, the local check's finite differences, the
 * incremental evaluator, the shape-learning build).
 *
 * Each call gets a fresh `rng` seeded with the node's `rngSeed`, so every call
 * within one check draws the same numbers (dropout's mask), and the stream is
 * closed when the forward returns: an `rng` kept and called later (in backward)
 * throws, naming the op. What came back is checked and normalised: a tensor,
 * `{ output, saved }`, or for a multi-output op `{ h, c }` / `{ outputs: { h, c },
 * saved }`, always as the outputs in the op's order and the saved value.
 */
import type { Attrs, BackwardContext, BackwardResult, ForwardOutput, ForwardRng, OpDef } from "../op.js";
import { declaredOutputs } from "./outputs.js";
import { Rng } from "../random.js";
import { isTensor, type Tensor } from "../tensor.js";
import type { GraphNode } from "./types.js";
import { describeValue, UserOpError } from "./user-op.js";
import { callUserOp } from "./guard.js";

/** What a forward needs of its node. */
export type ForwardNode = Pick<GraphNode, "id" | "op" | "attrs" | "params" | "outputNames" | "rngSeed"> & { inputs?: readonly string[] };

/** A forward's result: one tensor per output, in the op's order, and what it saved for backward. */
export interface NodeOutput {
  outputs: Tensor[];
  saved?: unknown;
}

/** The node's forward on these inputs (and params), what it returned checked and normalised. */
export function callForward(node: ForwardNode, inputs: Tensor[], params: Record<string, Tensor> = node.params): NodeOutput {
  return normaliseOutput(node, rawForward(node, inputs, params));
}

/**
 * A single-output node's output on these inputs (the incremental evaluator's
 * many small recomputations): callForward's checks, without its wrapping
 * when the forward returned a plain tensor.
 */
export function forwardTensor(node: ForwardNode, inputs: Tensor[]): Tensor {
  const raw = rawForward(node, inputs);
  if (node.outputNames) return normaliseOutput(node, raw).outputs[0];
  // A built-in op is trusted to return a well-formed tensor when it returns one (dropout returns { output, saved }).
  if (node.op.builtin ? (raw as Tensor).data instanceof Float64Array : isTensor(raw)) return raw as Tensor;
  return normaliseOutput(node, raw).outputs[0];
}

/** The node's forward as the op returned it, with its rng restarted for the call and closed when it returns. */
export function rawForward(node: ForwardNode, inputs: Tensor[], params: Record<string, Tensor> = node.params): ForwardOutput {
  const stream = nodeStream(node);
  stream.open();
  try {
    // Through the guard: a user op gets copies, and a write into one is recorded (kind mutates-input).
    return callUserOp(node, "forward", { inputs, params, attrs: node.attrs, rng: stream.rng }, (ctx) => node.op.forward(ctx));
  } finally {
    stream.close();
  }
}

/**
 * One stream object per node, restarted at every forward call: the end-to-end
 * evaluators call a node's forward tens of thousands of times, and a fresh
 * set of closures per call cost more than the forward of a small op.
 */
const streams = new WeakMap<object, { rng: ForwardRng; open: () => void; close: () => void }>();

function nodeStream(node: ForwardNode): { rng: ForwardRng; open: () => void; close: () => void } {
  let stream = streams.get(node);
  if (!stream) {
    let open = false;
    let source: Rng | undefined;
    const made = makeRng(node, (what) => {
      if (!open) throw closedError(node, what);
      return (source ??= new Rng(node.rngSeed));
    });
    stream = { rng: made, open: () => { open = true; source = undefined; }, close: () => void (open = false) };
    streams.set(node, stream);
  }
  return stream;
}

/**
 * A seeded stream for one forward call: `uniform`, `normal`, `bernoulli` (plain
 * functions, so destructuring them works), usable until `close()`.
 */
export function forwardRng(seed: number, node: { id: string; op: { name: string } }): { rng: ForwardRng; close: () => void } {
  let source: Rng | undefined;
  let open = true;
  const rng = makeRng(node, (what) => {
    if (!open) throw closedError(node, what);
    return (source ??= new Rng(seed));
  });
  return { rng, close: () => (open = false) };
}

type Named = { id: string; op: { name: string } };

function closedError(node: Named, what: string): Error {
  return new Error(`${node.id} (${node.op.name}): rng.${what}() called outside forward — the rng a forward receives works only while that forward runs (each forward call of the node replays the same seeded stream); keep what backward needs, such as a mask, in "saved"`);
}

/** uniform, normal, bernoulli over `stream` (plain functions, so destructuring them works). */
function makeRng(node: Named, stream: (what: string) => Rng): ForwardRng {
  return {
    uniform: () => stream("uniform").uniform(),
    normal: () => stream("normal").normal(),
    bernoulli: (p: number) => {
      const s = stream("bernoulli");
      if (typeof p !== "number" || !(p >= 0 && p <= 1)) throw new Error(`${node.id} (${node.op.name}): rng.bernoulli(p) needs a probability 0 ≤ p ≤ 1, got ${typeof p === "number" ? p : describeValue(p)}`);
      return s.uniform() < p ? 1 : 0;
    },
  };
}

type Where = Pick<GraphNode, "id" | "op" | "outputNames">;

/** What a forward returned, as its outputs in order and its saved value; a UserOpError naming what is wrong. */
export function normaliseOutput(node: Where, raw: ForwardOutput): NodeOutput {
  if (isTensor(raw)) {
    if (node.outputNames) throw new UserOpError(`${where(node)}: forward returned one tensor, but the op declares the outputs ${list(node.outputNames)}: return { ${node.outputNames.join(", ")} } (or { outputs: { ${node.outputNames.join(", ")} }, saved })`);
    return { outputs: [raw] };
  }
  const obj = typeof raw === "object" && raw !== null && !Array.isArray(raw) ? (raw as Record<string, unknown>) : undefined;
  if (!node.outputNames) {
    if (obj && "output" in obj && Object.keys(obj).every((k) => k === "output" || k === "saved")) {
      if (!isTensor(obj.output)) throw new UserOpError(`${where(node)}: forward returned { output, saved } whose output is ${describeValue(obj.output)}; expected a tensor { shape: number[], data: Float64Array } of matching size`);
      return { outputs: [obj.output], saved: obj.saved };
    }
    const several = obj && Object.keys(obj).length > 0 && Object.values(obj).every(isTensor);
    throw new UserOpError(`${where(node)}: forward must return a tensor { shape: number[], data: Float64Array } of matching size, got ${describeValue(raw)}` +
      (several ? ` (with the keys ${list(Object.keys(obj!))}: an op with several outputs declares them, outputs: [${Object.keys(obj!).map((k) => JSON.stringify(k)).join(", ")}])` : " (or { output, saved } to save values for backward)"));
  }
  return multiOutputs(node, node.outputNames, obj, raw);
}

function multiOutputs(node: Where, names: string[], obj: Record<string, unknown> | undefined, raw: unknown): NodeOutput {
  const form = `{ ${names.join(", ")} } or { outputs: { ${names.join(", ")} }, saved }`;
  if (!obj) throw new UserOpError(`${where(node)}: forward must return its outputs ${list(names)} as ${form}, got ${describeValue(raw)}`);
  const wrapped = "outputs" in obj && typeof obj.outputs === "object" && obj.outputs !== null && !isTensor(obj.outputs);
  if (wrapped) {
    const extra = Object.keys(obj).filter((k) => k !== "outputs" && k !== "saved");
    if (extra.length) throw new UserOpError(`${where(node)}: forward returned { outputs, saved } with the extra key${extra.length > 1 ? "s" : ""} ${list(extra)}: only "outputs" and "saved" belong beside each other`);
  }
  const outs = (wrapped ? obj.outputs : obj) as Record<string, unknown>;
  const got = Object.keys(outs);
  const missing = names.filter((n) => !(n in outs));
  const extra = got.filter((k) => !names.includes(k));
  if (missing.length || extra.length) {
    const parts = [missing.length ? `missing ${list(missing)}` : "", extra.length ? `extra ${list(extra)}` : ""].filter(Boolean).join(", ");
    const hint = !wrapped && extra.includes("saved") ? " (to save values for backward, return { outputs: { " + names.join(", ") + " }, saved })" : "";
    throw new UserOpError(`${where(node)}: forward returned the outputs { ${got.join(", ")} }, but the op declares ${list(names)}: ${parts}${hint}`);
  }
  const outputs = names.map((n) => {
    const t = outs[n];
    if (!isTensor(t)) throw new UserOpError(`${where(node)}: forward returned ${describeValue(t)} for output '${n}'; expected a tensor { shape: number[], data: Float64Array } of matching size`);
    return t;
  });
  return wrapped ? { outputs, saved: obj.saved } : { outputs };
}

const where = (node: Where) => `${node.id} (${node.op.name})`;

/** 'h', 'c' */
const list = (names: readonly string[]) => names.map((n) => `'${n}'`).join(", ");

/**
 * A bare op's forward outside any graph (tests, tools): a seeded rng (default seed 0), the
 * outputs normalised; the (first) output tensor.
 */
export function forwardOp(op: OpDef, ctx: { inputs: Tensor[]; params?: Record<string, Tensor>; attrs?: Attrs }, seed = 0): Tensor {
  return callOp(op, ctx, seed).outputs[0];
}

/** A bare op's backward outside any graph (tests, tools), as the op returned it; `outputs` and `gradOutputs` default to {}. */
export function backwardOp(op: OpDef, ctx: Omit<BackwardContext, "outputs" | "gradOutputs" | "params" | "attrs"> & Partial<Pick<BackwardContext, "outputs" | "gradOutputs" | "params" | "attrs">>): BackwardResult {
  if (!op.backward) throw new Error(`${op.name} has no backward`);
  return op.backward({ params: {}, attrs: {}, outputs: {}, gradOutputs: {}, ...ctx });
}

/** A bare op's forward outside any graph (tests, tools): every output, in order, and what it saved. */
export function callOp(op: OpDef, ctx: { inputs: Tensor[]; params?: Record<string, Tensor>; attrs?: Attrs }, seed = 0): NodeOutput {
  const attrs = ctx.attrs ?? {};
  const outputNames = declaredOutputs(op, attrs);
  return callForward({ id: op.name, op, attrs, params: ctx.params ?? {}, rngSeed: seed, ...(outputNames ? { outputNames } : {}) }, ctx.inputs);
}
