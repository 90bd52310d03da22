/**
 * The entry the teaching verbs are asked about (`fc.W[1,0]`, `x[2,1]`), found in
 * the graph through gradientTarget (src/engine/targets.ts: what a gradient may be
 * asked of, every way it can be wrong a located NetworkError), with the node
 * object its parameter belongs to.
 */
import { entryText } from "../../shared/names.js";
import { NetworkError } from "../network.js";
import { gradientTarget } from "../targets.js";
import type { Graph, GraphNode } from "../graph.js";
import type { Tensor } from "../tensor.js";

export interface ResolvedEntry {
  /** `fc.W[1, 0]` */
  text: string;
  /** `"<node>.<param>"` or the input's id. */
  tensor: string;
  index: number[];
  flat: number;
  value: Tensor;
  /** The node whose parameter it is; undefined for an input. */
  node?: GraphNode;
  param?: string;
}

export function resolveEntry(graph: Graph, text: string): ResolvedEntry {
  const t = gradientTarget(graph, text);
  if (t.index === undefined || t.flat === undefined) {
    const example = entryText(t.name, t.tensor.shape.map(() => 0));
    throw new NetworkError(`'${text}' is the whole tensor ${t.name}: explain one entry of it, like ${example}`, t.node !== undefined ? ["nodes", graph.nodes.find((n) => n.id === t.node)!.specIndex] : ["inputs", t.name]);
  }
  return {
    text: entryText(t.name, t.index), tensor: t.name, index: t.index, flat: t.flat, value: t.tensor,
    ...(t.node !== undefined ? { node: graph.nodes.find((n) => n.id === t.node), param: t.param } : {}),
  };
}
