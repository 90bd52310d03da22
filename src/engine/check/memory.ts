/** The check's own memory, refused up front when the local Jacobians would not fit (limits.ts). */
import { isDifferentiable, type Graph } from "../graph.js";
import { checkJacobianMemory } from "../limits.js";
import type { CheckOptions } from "./options.js";

/** Throws NetworkError (located at the node) when the local Jacobians would not fit in memory (limits.ts). */
export function refuseOversizedJacobians(graph: Graph, opts: CheckOptions): void {
  const size = (shape: number[]) => shape.reduce((a, b) => a * b, 1);
  let tensorBytes = 0;
  for (const inp of graph.inputs) tensorBytes += 8 * size(inp.shape) * (isDifferentiable(inp) ? 2 : 1);
  const nodes = graph.nodes.map((node) => {
    const outputSize = node.outputShapes.reduce((s, shape) => s + size(shape), 0);
    tensorBytes += 16 * outputSize;
    const wrts = node.inputs.flatMap((name, k) => (node.labelInputs.has(k) ? [] : [{ name, size: size(node.inputShapes[k]) }]));
    for (const [name, t] of Object.entries(node.params)) {
      tensorBytes += 16 * t.data.length;
      wrts.push({ name, size: t.data.length });
    }
    return { id: node.id, specIndex: node.specIndex, outputSize, wrts };
  });
  checkJacobianMemory(nodes, tensorBytes, opts);
}
