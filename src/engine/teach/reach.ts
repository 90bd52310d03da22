/**
 * Which entries of which values one entry θ moves: the part of the graph the
 * chain rule for dL/dθ walks. θ is moved by ±h and the network run forward; an
 * entry of a node's output that changed depends on θ. (Exactly equal values are
 * untouched: ops compute other rows, batch entries and elements from inputs that
 * did not change.) Only nodes that reach the loss count.
 */
import { feedsOutput, forward, type Graph, type GraphNode } from "../graph.js";
import type { Tensor } from "../tensor.js";
import type { ResolvedEntry } from "./entry.js";

export interface Reach {
  /** Node id → the flat indices of its output that θ moves (nodes between θ and the loss, in topological order). */
  entries: Map<string, number[]>;
  /** The nodes on some path from θ to the loss, loss first. */
  path: GraphNode[];
}

export function reachOf(graph: Graph, entry: ResolvedEntry, h: number, values: Map<string, Tensor>): Reach {
  const moved = (sign: number) => {
    const t = { shape: entry.value.shape, data: new Float64Array(entry.value.data) };
    t.data[entry.flat] += sign * h;
    return forward(graph, new Map([[entry.tensor, t]])).values;
  };
  const plus = moved(1), minus = moved(-1);
  const feeds = feedsOutput(graph);
  const onPath = new Set<string>(entry.node ? [] : [entry.tensor]);
  const entries = new Map<string, number[]>();
  for (const node of graph.nodes) {
    const fed = node === entry.node || node.inputs.some((i) => onPath.has(i));
    if (!fed || !feeds.has(node.id)) continue;
    const base = values.get(node.id)!.data, a = plus.get(node.id)!.data, b = minus.get(node.id)!.data;
    const changed: number[] = [];
    for (let i = 0; i < base.length; i++) if (!same(a[i], base[i]) || !same(b[i], base[i])) changed.push(i);
    // Nothing moved (a ReLU off everywhere θ reaches): no gradient flows through this node.
    if (!changed.length) continue;
    onPath.add(node.id);
    entries.set(node.id, changed);
  }
  const path = graph.nodes.filter((n) => entries.has(n.id)).reverse();
  return { entries, path };
}

const same = (x: number, y: number) => x === y || (Number.isNaN(x) && Number.isNaN(y));
