/** What the graph drawing needs (no check), and which values reach the loss. */
import type { GraphView, InputReport } from "../../shared/report.js";
import type { Graph, GraphInput } from "./types.js";

/** What the graph drawing needs, without a check. */
export function describeGraph(graph: Graph): GraphView {
  return {
    name: graph.name,
    output: graph.output,
    inputs: graph.inputs.map(inputView),
    nodes: graph.nodes.map((n) => ({
      id: n.id, op: n.op.name, inputs: n.inputs, inputShapes: n.inputShapes, outputShape: n.outputShape,
      params: Object.entries(n.params).map(([name, t]) => ({ name, shape: t.shape, size: t.data.length })),
      ...(n.group !== undefined ? { group: n.group } : {}),
    })),
  };
}

export function inputView(i: Pick<GraphInput, "id" | "shape" | "classes">): InputReport {
  return { id: i.id, shape: i.shape, ...(i.classes !== undefined ? { classes: i.classes } : {}) };
}

/** Names (inputs and nodes) from which the output can be reached. */
export function feedsOutput(graph: Graph): Set<string> {
  const byId = new Map(graph.nodes.map((n) => [n.id, n]));
  const seen = new Set<string>();
  const stack = [graph.output];
  while (stack.length) {
    const id = stack.pop()!;
    if (seen.has(id)) continue;
    seen.add(id);
    for (const i of byId.get(id)?.inputs ?? []) stack.push(i);
  }
  return seen;
}
