/**
 * Which entries of which values one entry θ moves: the part of the graph the
 * chain rule for dL/dθ walks, found node by node in topological order from the
 * local Jacobians. For each input on the way (θ itself for θ's node), the
 * columns ∂out/∂input[c] at the entries c reached so far, by central differences
 * of the node's forward alone; the output entries a column is non-zero in are
 * reached. (An entry that does not depend on input[c] is computed from the same
 * numbers either side, so its difference is exactly 0.) Structural, so a value
 * that θ moves only in a way the next op undoes (a bias added to every key of a
 * softmax) still counts. Only nodes that reach the loss count.
 */
import { feedsOutput, type Graph, type GraphNode } from "../graph.js";
import type { Tensor } from "../tensor.js";
import type { ResolvedEntry } from "./entry.js";
import { numericColumns, type WrtKey } from "./local-factor.js";

/** A node output's entries used at most (the numeric upstream costs two evaluations each). */
export const MAX_ENTRIES = 4096;

export interface Reach {
  /** Node id → the flat indices of its output that θ moves (nodes between θ and the loss). */
  entries: Map<string, number[]>;
  /** The nodes on some path from θ to the loss, loss first. */
  path: GraphNode[];
  /** The inputs of each path node through which θ reaches it (its own parameter, for θ's node). */
  wrts: Map<string, WrtKey[]>;
  /** The numeric columns of each (node, wrt) at the wrt's reached entries: [cols][output size]. */
  columns: Map<string, { cols: number[]; columns: Float64Array[] }>;
  /** Entries left out over MAX_ENTRIES, per node. */
  truncated: Map<string, number>;
}

export const factorKey = (node: string, wrt: WrtKey): string => `${node}#${wrt.kind === "param" ? `param:${wrt.name}` : `input:${wrt.position}`}`;

export function reachOf(graph: Graph, entry: ResolvedEntry, h: number, values: Map<string, Tensor>): Reach {
  const feeds = feedsOutput(graph);
  const reach: Reach = { entries: new Map(), path: [], wrts: new Map(), columns: new Map(), truncated: new Map() };
  const reachedOf = (name: string) => (name === entry.tensor && !entry.node ? [entry.flat] : reach.entries.get(name));
  for (const node of graph.nodes) {
    if (!feeds.has(node.id)) continue;
    const wrts: WrtKey[] = node === entry.node ? [{ kind: "param", name: entry.param! }] : [];
    node.inputs.forEach((name, k) => {
      if (!node.labelInputs.has(k) && reachedOf(name)) wrts.push({ kind: "input", position: k });
    });
    if (!wrts.length) continue;
    const rows = new Set<number>();
    for (const wrt of wrts) {
      const cols = wrt.kind === "param" ? [entry.flat] : reachedOf(node.inputs[wrt.position])!;
      const columns = numericColumns({ node, values, wrt, h }, cols);
      reach.columns.set(factorKey(node.id, wrt), { cols, columns });
      for (const col of columns) col.forEach((v, r) => v !== 0 && rows.add(r));
    }
    // Nothing moved (a ReLU off everywhere θ reaches): no gradient flows through this node.
    if (!rows.size) continue;
    const sorted = [...rows].sort((a, b) => a - b);
    if (sorted.length > MAX_ENTRIES) reach.truncated.set(node.id, sorted.length - MAX_ENTRIES);
    reach.entries.set(node.id, sorted.slice(0, MAX_ENTRIES));
    reach.wrts.set(node.id, wrts);
  }
  reach.path = graph.nodes.filter((n) => reach.entries.has(n.id)).reverse();
  return reach;
}
