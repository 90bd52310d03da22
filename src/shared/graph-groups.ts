/**
 * The graph as it is drawn: inputs and nodes, with the nodes of a group
 * ("group": "block1" in the network file) either inside the group's box, or,
 * when the group is collapsed, replaced by one box for the whole group. Edges
 * into and out of a collapsed group end at its box; edges inside it vanish.
 * One place for Mermaid's text (mermaid.ts) and the panel's own layout of big
 * graphs (webview/graph-layout.ts).
 */
import type { GraphView, Status } from "./report.js";

/** A graph with more drawn boxes than this opens with its groups collapsed (except those holding a failure). */
export const BIG_GRAPH = 60;

export interface GroupInfo {
  name: string;
  /** Node ids, in network order. */
  members: string[];
  /** The worst status among the members (fail, kink, pass, skipped); none before a check. */
  status?: Status;
  collapsed: boolean;
}

export type DrawnBox =
  | { kind: "input"; key: string; id: string; shape: number[]; classes?: number; constant?: boolean }
  | {
    kind: "node"; key: string; id: string; op: string; shape: number[]; status?: Status; group?: string; output: boolean;
    /** A multi-output node's outputs (absent for one output). */
    outputs?: { name: string; shape: number[] }[];
  }
  | { kind: "group"; key: string; group: string; size: number; status?: Status; output: boolean };

export interface DrawnEdge {
  from: string;
  to: string;
  /** The shape flowing along it (of the first such edge, for edges merged into a collapsed group). */
  shape: number[];
  /** How many network edges it stands for (several, into or out of a collapsed group). */
  count: number;
  /** The output it carries when it leaves a node with several ("h" of "cell:h"). */
  output?: string;
}

export interface DrawnGraph {
  boxes: DrawnBox[];
  edges: DrawnEdge[];
  groups: GroupInfo[];
}

/** Keys of drawn boxes: never a user's text alone, so an input named "g:x" and a group named "x" stay apart. */
export const inputKey = (id: string) => `i:${id}`;
export const nodeKey = (id: string) => `n:${id}`;
export const groupKey = (name: string) => `g:${name}`;

const RANK: Record<Status, number> = { fail: 3, kink: 2, pass: 1, skipped: 0 };

/** fail over kink over pass over skipped; undefined when none of them has a status. */
export function worstOf(statuses: (Status | undefined)[]): Status | undefined {
  let worst: Status | undefined;
  for (const s of statuses) if (s !== undefined && (worst === undefined || RANK[s] > RANK[worst])) worst = s;
  return worst;
}

/** The groups of a view, in the order their first node appears. */
export function groupsOf(view: GraphView, collapsed: ReadonlySet<string> = new Set()): GroupInfo[] {
  const groups = new Map<string, GroupInfo>();
  for (const n of view.nodes) {
    if (n.group === undefined) continue;
    let g = groups.get(n.group);
    if (!g) groups.set(n.group, (g = { name: n.group, members: [], collapsed: collapsed.has(n.group) }));
    g.members.push(n.id);
  }
  const status = new Map(view.nodes.map((n) => [n.id, n.status]));
  for (const g of groups.values()) g.status = worstOf(g.members.map((m) => status.get(m)));
  return [...groups.values()];
}

/**
 * Which groups a graph opens with collapsed: none in a small graph; in a big
 * one (more than BIG_GRAPH boxes) every group but those holding a failing node.
 */
export function initiallyCollapsed(view: GraphView): Set<string> {
  const groups = groupsOf(view);
  if (groups.length === 0 || view.inputs.length + view.nodes.length <= BIG_GRAPH) return new Set();
  return new Set(groups.filter((g) => g.status !== "fail").map((g) => g.name));
}

/** The boxes and edges to draw, with the `collapsed` groups each as one box. */
export function drawnGraph(view: GraphView, collapsed: ReadonlySet<string> = new Set()): DrawnGraph {
  const groups = groupsOf(view, collapsed);
  const byName = new Map(groups.map((g) => [g.name, g]));
  const boxes: DrawnBox[] = [];
  /** User id → the key of the box that shows it. */
  const shownBy = new Map<string, string>();
  const shapeOf = new Map<string, number[]>();
  for (const input of view.inputs) {
    const key = inputKey(input.id);
    if (!shownBy.has(input.id)) shownBy.set(input.id, key);
    shapeOf.set(input.id, input.shape);
    boxes.push({
      kind: "input", key, id: input.id, shape: input.shape,
      ...(input.classes !== undefined ? { classes: input.classes } : {}), ...(input.constant ? { constant: true } : {}),
    });
  }
  const placed = new Set<string>();
  const outputNode = nodePart(view.output);
  /** "cell:h" → the node and output it names (a node with several outputs). */
  const outputOf = new Map<string, { node: string; name: string }>();
  for (const node of view.nodes) {
    shapeOf.set(node.id, node.outputShape);
    for (const o of node.outputs ?? []) {
      outputOf.set(`${node.id}:${o.name}`, { node: node.id, name: o.name });
      shapeOf.set(`${node.id}:${o.name}`, o.shape);
    }
    const g = node.group !== undefined ? byName.get(node.group) : undefined;
    if (g?.collapsed) {
      const key = groupKey(g.name);
      if (!shownBy.has(node.id)) shownBy.set(node.id, key);
      if (placed.has(key)) continue;
      placed.add(key);
      boxes.push({ kind: "group", key, group: g.name, size: g.members.length, status: g.status, output: g.members.includes(outputNode) });
      continue;
    }
    const key = nodeKey(node.id);
    if (!shownBy.has(node.id)) shownBy.set(node.id, key);
    boxes.push({
      kind: "node", key, id: node.id, op: node.op, shape: node.outputShape, status: node.status, output: node.id === outputNode,
      ...(node.group !== undefined ? { group: node.group } : {}), ...(node.outputs ? { outputs: node.outputs } : {}),
    });
  }
  const edges: DrawnEdge[] = [];
  const seen = new Map<string, DrawnEdge>();
  for (const node of view.nodes) {
    const to = shownBy.get(node.id)!;
    node.inputs.forEach((source, i) => {
      const output = outputOf.get(source);
      const from = shownBy.get(output ? output.node : source);
      if (from === undefined || from === to) return; // an unknown input (the builder reports it), or inside a collapsed group
      const merged = from.startsWith("g:") || to.startsWith("g:");
      const id = `${from}\u0000${to}\u0000${output?.name ?? ""}`;
      const existing = merged ? seen.get(id) : undefined;
      if (existing) {
        existing.count++;
        return;
      }
      const edge: DrawnEdge = { from, to, shape: node.inputShapes[i] ?? shapeOf.get(source) ?? [], count: 1, ...(output ? { output: output.name } : {}) };
      if (merged) seen.set(id, edge);
      edges.push(edge);
    });
  }
  return { boxes, edges, groups };
}

/** The node of a value name: "cell:h" → "cell" (ids never contain ':'). */
export function nodePart(value: string): string {
  const colon = value.indexOf(":");
  return colon < 0 ? value : value.slice(0, colon);
}

/** The group a node belongs to, if any. */
export function groupOfNode(view: GraphView, nodeId: string): string | undefined {
  return view.nodes.find((n) => n.id === nodeId)?.group;
}

/**
 * Whether a graph reads better top to bottom: a long chain (many layers, few
 * boxes side by side) would be one very wide row from left to right.
 */
export function prefersTopToBottom(layers: number, widest: number): boolean {
  return layers > 8 && layers >= 3 * widest;
}

/** Longest-path layers of the drawn boxes (sources at 0): the layout's rows, and what prefersTopToBottom weighs. */
export function layersOf(graph: Pick<DrawnGraph, "boxes" | "edges">): Map<string, number> {
  const incoming = new Map<string, string[]>();
  for (const e of graph.edges) {
    const list = incoming.get(e.to);
    if (list) list.push(e.from);
    else incoming.set(e.to, [e.from]);
  }
  const layer = new Map<string, number>();
  const visiting = new Set<string>();
  const depth = (key: string): number => {
    const known = layer.get(key);
    if (known !== undefined) return known;
    if (visiting.has(key)) return 0; // a cycle cannot be built; stay safe if one is drawn anyway
    visiting.add(key);
    let d = 0;
    for (const from of incoming.get(key) ?? []) d = Math.max(d, depth(from) + 1);
    visiting.delete(key);
    layer.set(key, d);
    return d;
  };
  for (const b of graph.boxes) depth(b.key);
  return layer;
}
