/** The forward pass: each node's forward in topological order, and the scalar loss. */
import type { Tensor } from "../tensor.js";
import type { Graph, GraphNode } from "./types.js";
import { callForward, type NodeOutput } from "./run-node.js";
import { paramName } from "../../shared/names.js";

/** Run one node's forward on the values it reads and check what came back; its (first) output. */
export function runForward(node: GraphNode, values: Map<string, Tensor>): Tensor {
  return runNode(node, values).outputs[0];
}

/** Run one node's forward on the values it reads: every output, in order, and what it saved. */
export function runNode(node: GraphNode, values: Map<string, Tensor>, params: Record<string, Tensor> = node.params): NodeOutput {
  return callForward(node, node.inputs.map((n) => values.get(n)!), params);
}

export interface ForwardResult {
  /** Every value: inputs by id, node outputs by value name (a node id, or "node:output"). */
  values: Map<string, Tensor>;
  loss: number;
  /** What each node's forward saved for its backward, by node id (nodes that saved nothing are absent). */
  saved: Map<string, unknown>;
}

/** Forward through the whole graph. `overrides` replace input values or "<node>.<param>" tensors. */
export function forward(graph: Graph, overrides?: Map<string, Tensor>): ForwardResult {
  const values = new Map<string, Tensor>();
  const saved = new Map<string, unknown>();
  for (const inp of graph.inputs) values.set(inp.id, overrides?.get(inp.id) ?? inp.value);
  for (const node of graph.nodes) {
    const params = overrides && overrides.size ? withParamOverrides(node, overrides) : node.params;
    const out = runNode(node, values, params);
    for (let k = 0; k < out.outputs.length; k++) values.set(node.outputValues[k], out.outputs[k]);
    if (out.saved !== undefined) saved.set(node.id, out.saved);
  }
  return { values, loss: lossOf(graph, values.get(graph.output)!), saved };
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
