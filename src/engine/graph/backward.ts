/**
 * Backpropagation: a reverse walk of the topological order, each node's
 * backward is upstream × local, gradients accumulating with += where a value
 * feeds several nodes (as in micrograd). A multi-output node's backward gets
 * ∂L/∂ each output (a zero tensor for one nothing uses) and what its forward
 * saved. What a user's backward or jacobian returns is checked before it is used.
 */
import { isTensor, sameShape, shapeText, sizeOf, tensor, type Tensor } from "../tensor.js";
import type { BackwardResult, ForwardRng, JacobianResult } from "../op.js";
import type { Graph, GraphNode } from "./types.js";
import { describeValue, UserOpError } from "./user-op.js";
import { callForward } from "./run-node.js";
import { paramName } from "../../shared/names.js";

export interface Gradients {
  /** ∂L/∂value for every input and node output. */
  values: Map<string, Tensor>;
  /** ∂L/∂θ keyed "<node>.<param>". */
  params: Map<string, Tensor>;
}

/**
 * Backpropagation: the reverse topological walk, each node's backward is upstream × local.
 * `values` and `saved`: what the forward pass gave (ForwardResult) — a node whose forward
 * saved something gets it back here. Without `saved`, each node's forward is run again at
 * its values to get what it saves (the same rng stream, so the same mask): correct, one
 * forward pass slower.
 */
export function backward(graph: Graph, values: Map<string, Tensor>, saved?: ReadonlyMap<string, unknown>): Gradients {
  const grads = new Map<string, Tensor>();
  const paramGrads = new Map<string, Tensor>();
  const out = values.get(graph.output)!;
  const seed = tensor(out.shape);
  if (graph.projection) seed.data.set(graph.projection);
  else seed.data[0] = 1;
  grads.set(graph.output, seed);
  const accumulate = (name: string, g: Tensor) => {
    const prev = grads.get(name);
    if (!prev) grads.set(name, { shape: [...g.shape], data: new Float64Array(g.data) });
    else for (let i = 0; i < g.data.length; i++) prev.data[i] += g.data[i];
  };
  for (let n = graph.nodes.length - 1; n >= 0; n--) {
    const node = graph.nodes[n];
    const upstream = node.outputValues.map((v) => grads.get(v));
    if (upstream.every((g) => !g)) continue; // does not feed the loss
    const outputs = node.outputValues.map((v) => values.get(v)!);
    const gradOutputs = upstream.map((g, k) => g ?? tensor(outputs[k].shape)); // an output nothing uses: ∂L/∂it = 0
    const result = runBackward(node, {
      inputs: node.inputs.map((i) => values.get(i)!), params: node.params, output: outputs[0], gradOutput: gradOutputs[0],
      ...(node.outputNames ? { outputs, gradOutputs } : {}), saved: saved ? saved.get(node.id) : callForward(node, node.inputs.map((i) => values.get(i)!)).saved,
    });
    node.inputs.forEach((name, k) => {
      const g = result.inputs[k];
      if (g) accumulate(name, g);
    });
    for (const [p, g] of Object.entries(result.params)) paramGrads.set(paramName(node.id, p), g);
  }
  return { values: grads, params: paramGrads };
}

/** One call of a node's backward: the values its forward saw, its output, and ∂L/∂output. */
export interface BackwardCall {
  inputs: Tensor[];
  params: Record<string, Tensor>;
  /** The (first) output and ∂L/∂ it. */
  output: Tensor;
  gradOutput: Tensor;
  /** A multi-output node: every output and ∂L/∂ each, in the op's order. */
  outputs?: Tensor[];
  gradOutputs?: Tensor[];
  /** What the forward at the same point saved. */
  saved?: unknown;
}

export interface CheckedBackward {
  inputs: (Tensor | null)[];
  params: Record<string, Tensor>;
}

type BackwardNode = Pick<GraphNode, "id" | "op" | "attrs" | "labelInputs" | "outputNames">;

/**
 * A node's backward (or its jacobian turned into a vector–Jacobian product),
 * with what came back checked: the op, the input and both shapes are named.
 */
export function runBackward(node: BackwardNode, call: BackwardCall): CheckedBackward {
  const where = `${node.id} (${node.op.name})`;
  return checkedGradients(node, call, rawGradients(node, call, where), where);
}

/** What the op's backward returned, or the products gradOutput · J of what its jacobian returned. */
function rawGradients(node: BackwardNode, call: BackwardCall, where: string): BackwardResult {
  const op = node.op;
  const { inputs, params, output, gradOutput, saved } = call;
  if (op.backward) {
    const byName = (what: string, ts: Tensor[] | undefined) => namedOutputs(node, where, what, ts);
    const raw = op.backward({ inputs, params, attrs: node.attrs, output, gradOutput, outputs: byName("outputs", call.outputs), gradOutputs: byName("gradOutputs", call.gradOutputs), saved }) as BackwardResult;
    if (typeof raw !== "object" || raw === null) throw new UserOpError(`${where}: backward must return { inputs?: [...], params?: {...} }, got ${describeValue(raw)}`);
    if (raw.inputs !== undefined && !Array.isArray(raw.inputs))
      throw new UserOpError(`${where}: backward must return inputs as an array, one gradient per input in order (null for one with none), got ${describeValue(raw.inputs)}`);
    if (raw.params !== undefined && (typeof raw.params !== "object" || raw.params === null || Array.isArray(raw.params)))
      throw new UserOpError(`${where}: backward must return params as an object { name: gradient }, got ${describeValue(raw.params)}`);
    return raw;
  }
  if (node.outputNames) throw new UserOpError(`${where}: a multi-output op needs a backward (a jacobian is for ops with one output)`);
  if (op.jacobian) {
    const jac = op.jacobian({ inputs, params, attrs: node.attrs, output, saved, rng: noRng(where) });
    if (typeof jac !== "object" || jac === null) throw new UserOpError(`${where}: jacobian must return { inputs?: [...], params?: {...} }, got ${describeValue(jac)}`);
    return jacobianProducts(jac, call, where);
  }
  throw new UserOpError(`${where}: the op has neither backward nor jacobian`);
}

/** gradOutput · J for each Jacobian a `jacobian` op returned ([output size, that input's size]). */
function jacobianProducts(jac: JacobianResult, call: BackwardCall, where: string): BackwardResult {
  const { inputs, params, output, gradOutput } = call;
  const vjp = (j: Tensor | null | undefined, target: Tensor, label: string): Tensor | null => {
    if (j === null || j === undefined) return null;
    const rows = output.data.length, cols = target.data.length;
    if (!isTensor(j) || sizeOf(j.shape) !== rows * cols || j.shape.length !== 2 || j.shape[0] !== rows)
      throw new UserOpError(`${where}: jacobian for ${label} must have shape [${rows}, ${cols}] (output size × ${label} size), got ${describeValue(j)}`);
    const g = tensor(target.shape);
    for (let r = 0; r < rows; r++) {
      const go = gradOutput.data[r];
      if (go === 0) continue;
      for (let c = 0; c < cols; c++) g.data[c] += go * j.data[r * cols + c];
    }
    return g;
  };
  return {
    inputs: inputs.map((x, k) => vjp(jac.inputs?.[k], x, `input ${k + 1}`)),
    params: Object.fromEntries(Object.entries(params).map(([p, t]) => [p, vjp(jac.params?.[p], t, `param '${p}'`)!]).filter(([, g]) => g)),
  };
}

/** Every gradient a tensor of its input's or parameter's shape; none for label inputs. */
function checkedGradients(node: BackwardNode, call: BackwardCall, raw: BackwardResult, where: string): CheckedBackward {
  const result: CheckedBackward = { inputs: [], params: {} };
  call.inputs.forEach((x, k) => {
    const g = raw.inputs?.[k];
    if (node.labelInputs.has(k) || g === null || g === undefined) {
      result.inputs.push(null);
      return;
    }
    if (!isTensor(g)) throw new UserOpError(`${where}: backward returned ${describeValue(g)} for input ${k + 1}; expected a tensor of shape ${shapeText(x.shape)}`);
    if (!sameShape(g.shape, x.shape)) throw new UserOpError(`${where}: backward returned a gradient of shape ${shapeText(g.shape)} for input ${k + 1}, which has shape ${shapeText(x.shape)}`);
    result.inputs.push(g);
  });
  for (const [p, t] of Object.entries(call.params)) {
    const g = raw.params?.[p];
    if (g === undefined || g === null) throw new UserOpError(`${where}: backward returned no gradient for parameter '${p}' (shape ${shapeText(t.shape)})`);
    if (!isTensor(g)) throw new UserOpError(`${where}: backward returned ${describeValue(g)} for parameter '${p}'; expected a tensor of shape ${shapeText(t.shape)}`);
    if (!sameShape(g.shape, t.shape)) throw new UserOpError(`${where}: backward returned a gradient of shape ${shapeText(g.shape)} for parameter '${p}', which has shape ${shapeText(t.shape)}`);
    result.params[p] = g;
  }
  return result;
}

/** A jacobian runs after forward: its `rng` (the type gives it one) refuses, like a kept forward rng. */
function noRng(where: string): ForwardRng {
  const refuse = (what: string) => (): number => {
    throw new Error(`${where}: rng.${what}() called in jacobian — the rng works only while the forward runs; keep what the jacobian needs in "saved"`);
  };
  return { uniform: refuse("uniform"), normal: refuse("normal"), bernoulli: refuse("bernoulli") };
}

/**
 * A multi-output node's outputs (or their gradients) by name, for its backward. For user code, reading a
 * name that is not an output (`gradOutputs.z`, a typo) throws, naming the outputs, instead of giving undefined.
 */
function namedOutputs(node: BackwardNode, where: string, what: string, ts: Tensor[] | undefined): Record<string, Tensor> {
  if (!node.outputNames || !ts) return {};
  const named: Record<string, Tensor> = Object.fromEntries(node.outputNames.map((n, k) => [n, ts[k]]));
  if (node.op.builtin) return named;
  const names = node.outputNames;
  return new Proxy(named, {
    get(target, key, receiver) {
      if (typeof key === "string" && !(key in target) && !PASSED_THROUGH.has(key))
        throw new Error(`${where}: ${what} has no output '${key}' (the op's outputs: ${names.join(", ")})`);
      return Reflect.get(target, key, receiver);
    },
  });
}

/** Keys that tools probe on any object (promises, JSON, inspection): never an error. */
const PASSED_THROUGH = new Set(["then", "toJSON", "constructor", "valueOf", "toString", "inspect", "nodeType", "asymmetricMatch", "$$typeof", "@@__IMMUTABLE_ITERABLE__@@"]);
