/** What the graph drawing needs (no check), and which values reach the loss. */
import type { GraphView, InputReport } from "../../shared/report.js";
import type { Graph, GraphInput, GraphNode } from "./types.js";

/** What the graph drawing needs, without a check. */
export function describeGraph(graph: Graph): GraphView {
  return {
    name: graph.name,
    output: graph.output,
    inputs: graph.inputs.map(inputView),
    nodes: graph.nodes.map((n) => ({
      id: n.id, op: n.op.name, inputs: n.inputs, inputShapes: n.inputShapes, outputShape: n.outputShape, ...outputsView(n),
      params: Object.entries(n.params).map(([name, t]) => ({ name, shape: t.shape, size: t.data.length })),
      ...(n.group !== undefined ? { group: n.group } : {}),
    })),
  };
}

export function inputView(i: Pick<GraphInput, "id" | "shape" | "classes" | "constant">): InputReport {
  return { id: i.id, shape: i.shape, ...(i.classes !== undefined ? { classes: i.classes } : {}), ...(i.constant ? { constant: true } : {}) };
}

/** A multi-output node's `outputs` (name and shape of each), for a report or a view; nothing for one output. */
export function outputsView(n: Pick<GraphNode, "outputNames" | "outputShapes">): { outputs?: { name: string; shape: number[] }[] } {
  return n.outputNames ? { outputs: n.outputNames.map((name, k) => ({ name, shape: n.outputShapes[k] })) } : {};
}

/**
 * Names from which the output can be reached: inputs, nodes, and (of a
 * multi-output node) each output value ("cell:c") that reaches it.
 */
export function feedsOutput(graph: Graph): Set<string> {
  const byValue = new Map<string, GraphNode>();
  for (const n of graph.nodes) for (const v of n.outputValues) byValue.set(v, n);
  const seen = new Set<string>();
  const stack = [graph.output];
  while (stack.length) {
    const name = stack.pop()!;
    if (seen.has(name)) continue;
    seen.add(name);
    const node = byValue.get(name);
    if (!node) continue;
    seen.add(node.id);
    for (const i of node.inputs) stack.push(i);
  }
  return seen;
}
