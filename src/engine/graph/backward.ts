/**
 * Backpropagation: a reverse walk of the topological order, each node's
 * backward is upstream × local, gradients accumulating with += where a value
 * feeds several nodes (as in micrograd). What a user's backward or jacobian
 * returns is checked before it is used.
 */
import { isTensor, sameShape, shapeText, sizeOf, tensor, type Tensor } from "../tensor.js";
import type { BackwardResult, JacobianResult } from "../op.js";
import type { Graph, GraphNode } from "./types.js";
import { describeValue, UserOpError } from "./user-op.js";
import { callUserOp } from "./guard.js";
import { paramName } from "../../shared/names.js";

export interface Gradients {
  /** ∂L/∂value for every input and node output. */
  values: Map<string, Tensor>;
  /** ∂L/∂θ keyed "<node>.<param>". */
  params: Map<string, Tensor>;
}

/** Backpropagation: the reverse topological walk, each node's backward is upstream × local. */
export function backward(graph: Graph, values: Map<string, Tensor>): Gradients {
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
    const gradOutput = grads.get(node.id);
    if (!gradOutput) continue; // does not feed the loss
    const result = runBackward(node, { inputs: node.inputs.map((i) => values.get(i)!), params: node.params, output: values.get(node.id)!, gradOutput });
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
  output: Tensor;
  gradOutput: Tensor;
}

export interface CheckedBackward {
  inputs: (Tensor | null)[];
  params: Record<string, Tensor>;
}

type BackwardNode = Pick<GraphNode, "id" | "op" | "attrs" | "labelInputs"> & { inputs?: readonly string[] };

/**
 * A node's backward (or its jacobian turned into a vector–Jacobian product),
 * with what came back checked: the op, the input and both shapes are named.
 */
export function runBackward(node: BackwardNode, call: BackwardCall): CheckedBackward {
  const where = `${node.id} (${node.op.name})`;
  return checkedGradients(node, call, rawGradients(node, call, where), where);
}

/**
 * The node's backward for several upstream gradients: one call of the op's
 * `backwardBatch` when it has one (each result checked as runBackward checks
 * it), else runBackward per gradient.
 */
export function runBackwardBatch(node: BackwardNode, call: Omit<BackwardCall, "gradOutput">, gradOutputs: Tensor[]): CheckedBackward[] {
  const batch = node.op.backwardBatch;
  if (!batch || !node.op.backward) return gradOutputs.map((gradOutput) => runBackward(node, { ...call, gradOutput }));
  const where = `${node.id} (${node.op.name})`;
  const { inputs, params, output } = call;
  const raw = callUserOp(node, "backward", { inputs, params, attrs: node.attrs, output }, (ctx) => batch(ctx, gradOutputs)) as unknown;
  if (!Array.isArray(raw) || raw.length !== gradOutputs.length)
    throw new UserOpError(`${where}: backwardBatch must return one result per upstream gradient (${gradOutputs.length}), got ${Array.isArray(raw) ? `${raw.length}` : describeValue(raw)}`);
  return raw.map((r, k) => {
    if (typeof r !== "object" || r === null) throw new UserOpError(`${where}: backwardBatch result ${k + 1} must be { inputs?: [...], params?: {...} }, got ${describeValue(r)}`);
    return checkedGradients(node, { ...call, gradOutput: gradOutputs[k] }, r as BackwardResult, where);
  });
}

/** What the op's backward returned, or the products gradOutput · J of what its jacobian returned. */
function rawGradients(node: BackwardNode, call: BackwardCall, where: string): BackwardResult {
  const op = node.op;
  const { inputs, params, output, gradOutput } = call;
  if (op.backward) {
    const backwardFn = op.backward;
    const raw = callUserOp(node, "backward", { inputs, params, attrs: node.attrs, output, gradOutput }, (ctx) => backwardFn(ctx)) as BackwardResult;
    if (typeof raw !== "object" || raw === null) throw new UserOpError(`${where}: backward must return { inputs?: [...], params?: {...} }, got ${describeValue(raw)}`);
    return raw;
  }
  if (op.jacobian) {
    const jacobianFn = op.jacobian;
    const jac = callUserOp(node, "jacobian", { inputs, params, attrs: node.attrs, output }, (ctx) => jacobianFn(ctx));
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
