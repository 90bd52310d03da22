/** The forward pass: each node's forward in topological order, and the scalar loss. */
import { isTensor, type Tensor } from "../tensor.js";
import type { Graph, GraphNode } from "./types.js";
import { describeValue, UserOpError } from "./user-op.js";
import { callUserOp } from "./guard.js";
import { paramName } from "../../shared/names.js";

/** Run one node's forward and check what came back (custom ops may return anything). */
export function runForward(node: GraphNode, values: Map<string, Tensor>): Tensor {
  const out = callUserOp(node, "forward", { inputs: node.inputs.map((n) => values.get(n)!), params: node.params, attrs: node.attrs }, (ctx) => node.op.forward(ctx));
  if (!isTensor(out)) throw new UserOpError(`${node.id} (${node.op.name}): forward must return a tensor { shape: number[], data: Float64Array } of matching size, got ${describeValue(out)}`);
  return out;
}

export interface ForwardResult {
  values: Map<string, Tensor>;
  loss: number;
}

/** Forward through the whole graph. `overrides` replace input values or "<node>.<param>" tensors. */
export function forward(graph: Graph, overrides?: Map<string, Tensor>): ForwardResult {
  const values = new Map<string, Tensor>();
  for (const inp of graph.inputs) values.set(inp.id, overrides?.get(inp.id) ?? inp.value);
  for (const node of graph.nodes) {
    if (overrides && overrides.size) {
      const params = withParamOverrides(node, overrides);
      values.set(node.id, runForward(params === node.params ? node : { ...node, params }, values));
    } else values.set(node.id, runForward(node, values));
  }
  return { values, loss: lossOf(graph, values.get(graph.output)!) };
}

function withParamOverrides(node: GraphNode, overrides: Map<string, Tensor>): Record<string, Tensor> {
  let params = node.params;
  for (const name of Object.keys(node.params)) {
    const o = overrides.get(paramName(node.id, name));
    if (o) params = params === node.params ? { ...params, [name]: o } : Object.assign(params, { [name]: o });
  }
  return params;
}

/** The scalar loss: the output itself, or Σ rᵢ·outᵢ with the fixed seeded projection r. */
export function lossOf(graph: Graph, out: Tensor): number {
  if (!graph.projection) return out.data[0];
  let s = 0;
  for (let i = 0; i < out.data.length; i++) s += graph.projection[i] * out.data[i];
  return s;
}
