/** Where NaN or Infinity first appears in the forward pass (nodes downstream of it cannot be checked). */
import type { Graph } from "../graph.js";
import { unravel, type Tensor } from "../tensor.js";

export interface NonFinite {
  /** The input or node where non-finite values first appear. */
  node: string;
  detail: string;
}

/** The first node whose output is not finite while its inputs are: where NaN/Inf first appears. */
export function firstNonFinite(graph: Graph, values: Map<string, Tensor>): NonFinite | undefined {
  const bad = (t: Tensor) => t.data.findIndex((v) => !Number.isFinite(v));
  for (const inp of graph.inputs) if (bad(inp.value) >= 0) return { node: inp.id, detail: `input '${inp.id}' holds a non-finite value` };
  for (const node of graph.nodes) {
    const o = node.outputValues.findIndex((v) => bad(values.get(v)!) >= 0);
    if (o < 0) continue;
    if (node.inputs.some((n) => bad(values.get(n)!) >= 0)) continue;
    const out = values.get(node.outputValues[o])!, k = bad(out);
    const what = node.outputNames ? `output '${node.outputNames[o]}'` : "the output";
    return { node: node.id, detail: `${what} of ${node.id} (${node.op.name}) is ${out.data[k]} at [${unravel(k, out.shape).join(", ")}] although its inputs are finite: non-finite values first appear here` };
  }
  return undefined;
}
