/**
 * Which entries of which values one entry θ moves: the part of the graph the
 * chain rule for dL/dθ walks, found node by node in topological order from the
 * local Jacobians. For each input on the way (θ itself for θ's node), the
 * columns ∂out/∂input[c] at the entries c reached so far, by central differences
 * of the node's forward alone; the output entries a column is non-zero in are
 * reached. (An entry that does not depend on input[c] is computed from the same
 * numbers either side, so its difference is exactly 0.) Structural, so a value
 * that θ moves only in a way the next op undoes (a bias added to every key of a
 * softmax) still counts. Only values that reach the loss count.
 *
 * Everything is per value, not per node: a node with several outputs (an LSTM
 * cell's "cell:h" and "cell:c") has its reached entries, and its columns, per output.
 */
import { feedsOutput, type Graph, type GraphNode } from "../graph.js";
import type { Tensor } from "../tensor.js";
import type { ResolvedEntry } from "./entry.js";
import { numericColumnsByOutput, type WrtKey } from "./local-factor.js";

/** A value's entries used at most (the numeric upstream costs two evaluations each). */
export const MAX_ENTRIES = 4096;

export interface Reach {
  /** Value name (a node id, or "cell:c") → the flat indices of that value that θ moves (values between θ and the loss). */
  entries: Map<string, number[]>;
  /** The nodes on some path from θ to the loss, loss first. */
  path: GraphNode[];
  /** Node id → the positions in node.outputValues of its outputs that θ moves and that reach the loss, in order. */
  outputs: Map<string, number[]>;
  /** The inputs of each path node through which θ reaches it (its own parameter, for θ's node). */
  wrts: Map<string, WrtKey[]>;
  /** The numeric columns of each (value, wrt) at the wrt's reached entries: [cols][value size]. */
  columns: Map<string, { cols: number[]; columns: Float64Array[] }>;
  /** Entries left out over MAX_ENTRIES, per value. */
  truncated: Map<string, number>;
}

/** The key of one local factor: a node's output value and what it is taken with respect to. */
export const factorKey = (value: string, wrt: WrtKey): string => `${value}#${wrt.kind === "param" ? `param:${wrt.name}` : `input:${wrt.position}`}`;

export function reachOf(graph: Graph, entry: ResolvedEntry, h: number, values: Map<string, Tensor>, saved?: Map<string, unknown>): Reach {
  const feeds = feedsOutput(graph);
  const reach: Reach = { entries: new Map(), path: [], outputs: new Map(), wrts: new Map(), columns: new Map(), truncated: new Map() };
  const reachedOf = (name: string) => (name === entry.tensor && !entry.node ? [entry.flat] : reach.entries.get(name));
  for (const node of graph.nodes) {
    if (!feeds.has(node.id)) continue;
    const wrts: WrtKey[] = node === entry.node ? [{ kind: "param", name: entry.param! }] : [];
    node.inputs.forEach((name, k) => {
      if (!node.labelInputs.has(k) && reachedOf(name)) wrts.push({ kind: "input", position: k });
    });
    if (!wrts.length) continue;
    // An output nothing downstream reads (the last LSTM step's c) carries no gradient: left out.
    const live = node.outputValues.map((v, k) => k).filter((k) => feeds.has(node.outputValues[k]));
    const rows = node.outputValues.map(() => new Set<number>());
    for (const wrt of wrts) {
      const cols = wrt.kind === "param" ? [entry.flat] : reachedOf(node.inputs[wrt.position])!;
      const byOutput = numericColumnsByOutput({ node, values, saved: saved?.get(node.id), wrt, h }, cols);
      for (const k of live) {
        reach.columns.set(factorKey(node.outputValues[k], wrt), { cols, columns: byOutput[k] });
        for (const col of byOutput[k]) col.forEach((v, r) => v !== 0 && rows[k].add(r));
      }
    }
    // Nothing moved (a ReLU off everywhere θ reaches): no gradient flows through that output.
    const moved = live.filter((k) => rows[k].size);
    if (!moved.length) continue;
    for (const k of moved) {
      const value = node.outputValues[k];
      const sorted = [...rows[k]].sort((a, b) => a - b);
      if (sorted.length > MAX_ENTRIES) reach.truncated.set(value, sorted.length - MAX_ENTRIES);
      reach.entries.set(value, sorted.slice(0, MAX_ENTRIES));
    }
    reach.outputs.set(node.id, moved);
    reach.wrts.set(node.id, wrts);
  }
  reach.path = graph.nodes.filter((n) => reach.outputs.has(n.id)).reverse();
  return reach;
}
