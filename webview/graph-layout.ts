/**
 * A layered layout of our own for big graphs (more than BIG_GRAPH boxes), where
 * Mermaid's takes seconds: boxes in rows by longest path from the inputs (the
 * rows run left to right, or top to bottom for long chains), each row ordered
 * by the mean position of its boxes' neighbours (a few sweeps down and up,
 * the boxes of one group kept side by side), then placed at their neighbours'
 * mean without overlapping. Edges are curves from box to box; an expanded
 * group is the rectangle around its boxes. Pure arithmetic, no DOM:
 * graph-svg.ts draws it.
 */
import { layersOf, type DrawnBox, type DrawnGraph } from "../src/shared/graph-groups.js";

export type Direction = "LR" | "TB";

export interface Placed {
  key: string;
  /** Top-left corner and size, in SVG units. */
  x: number;
  y: number;
  width: number;
  height: number;
}

export interface PlacedEdge {
  from: string;
  to: string;
  /** SVG path data. */
  path: string;
  /** Where the edge's label goes (its middle). */
  labelX: number;
  labelY: number;
}

export interface PlacedGroup {
  name: string;
  x: number;
  y: number;
  width: number;
  height: number;
}

export interface Layout {
  width: number;
  height: number;
  boxes: Map<string, Placed>;
  edges: PlacedEdge[];
  groups: PlacedGroup[];
  /** Rows (layers) and the widest row: what chose the direction. */
  layers: number;
  widest: number;
}

export type Measure = (box: DrawnBox) => { width: number; height: number };

/** Space between rows, between boxes of a row, and around the whole. */
const ROW_GAP = 56;
const BOX_GAP = 28;
const MARGIN = 24;
/** Padding of a group's rectangle, and its title's height. */
const GROUP_PAD = 12;
const GROUP_TITLE = 18;
const SWEEPS = 4;

/** The rows: boxes by layer, each row in the order the sweeps settle on. */
export function orderedRows(graph: DrawnGraph): string[][] {
  const layer = layersOf(graph);
  const rows: string[][] = [];
  for (const b of graph.boxes) (rows[layer.get(b.key)!] ??= []).push(b.key);
  const groupOf = new Map<string, string>();
  for (const b of graph.boxes) if (b.kind === "node" && b.group !== undefined) groupOf.set(b.key, b.group);
  const preds = new Map<string, string[]>(), succs = new Map<string, string[]>();
  for (const e of graph.edges) {
    (preds.get(e.to) ?? preds.set(e.to, []).get(e.to)!).push(e.from);
    (succs.get(e.from) ?? succs.set(e.from, []).get(e.from)!).push(e.to);
  }
  const position = new Map<string, number>();
  const number = () => rows.forEach((row) => row.forEach((k, i) => position.set(k, row.length > 1 ? i / (row.length - 1) : 0.5)));
  number();
  const sortRow = (row: string[], neighbours: Map<string, string[]>) => {
    const bary = new Map<string, number>();
    row.forEach((k, i) => {
      const ns = neighbours.get(k)?.filter((n) => position.has(n)) ?? [];
      bary.set(k, ns.length ? ns.reduce((s, n) => s + position.get(n)!, 0) / ns.length : position.get(k) ?? i);
    });
    // A group's boxes move together: each takes its group's mean in this row.
    const groupMean = new Map<string, { sum: number; n: number }>();
    for (const k of row) {
      const g = groupOf.get(k);
      if (g === undefined) continue;
      const m = groupMean.get(g) ?? { sum: 0, n: 0 };
      m.sum += bary.get(k)!;
      m.n++;
      groupMean.set(g, m);
    }
    const keyOf = (k: string) => {
      const g = groupOf.get(k);
      const m = g !== undefined ? groupMean.get(g)! : undefined;
      return m ? m.sum / m.n : bary.get(k)!;
    };
    const index = new Map(row.map((k, i) => [k, i]));
    row.sort((a, b) => keyOf(a) - keyOf(b) || (groupOf.get(a) === groupOf.get(b) ? bary.get(a)! - bary.get(b)! : 0) || index.get(a)! - index.get(b)!);
  };
  for (let sweep = 0; sweep < SWEEPS; sweep++) {
    for (let r = 1; r < rows.length; r++) if (rows[r].length > 1) sortRow(rows[r], preds);
    number();
    for (let r = rows.length - 2; r >= 0; r--) if (rows[r].length > 1) sortRow(rows[r], succs);
    number();
  }
  return rows;
}

export function layeredLayout(graph: DrawnGraph, direction: Direction, measure: Measure): Layout {
  const rows = orderedRows(graph);
  const tb = direction === "TB";
  const size = new Map(graph.boxes.map((b) => [b.key, measure(b)]));
  // Along: the direction of the edges; across: the rows' own direction.
  const along = (k: string) => (tb ? size.get(k)!.height : size.get(k)!.width);
  const across = (k: string) => (tb ? size.get(k)!.width : size.get(k)!.height);
  const thickness = rows.map((row) => Math.max(...row.map(along)));
  const rowStart: number[] = [];
  let offset = MARGIN + GROUP_TITLE;
  for (let r = 0; r < rows.length; r++) {
    rowStart.push(offset);
    offset += thickness[r] + ROW_GAP;
  }
  // Across: centre of each box. Start packed and centred on 0, then pull each box
  // toward its neighbours' mean, keeping order and gaps.
  const centre = new Map<string, number>();
  for (const row of rows) {
    const total = row.reduce((s, k) => s + across(k), 0) + BOX_GAP * (row.length - 1);
    let at = -total / 2;
    for (const k of row) {
      centre.set(k, at + across(k) / 2);
      at += across(k) + BOX_GAP;
    }
  }
  const preds = new Map<string, string[]>(), succs = new Map<string, string[]>();
  for (const e of graph.edges) {
    (preds.get(e.to) ?? preds.set(e.to, []).get(e.to)!).push(e.from);
    (succs.get(e.from) ?? succs.set(e.from, []).get(e.from)!).push(e.to);
  }
  const settle = (row: string[], neighbours: Map<string, string[]>) => {
    const want = row.map((k) => {
      const ns = neighbours.get(k) ?? [];
      return ns.length ? ns.reduce((s, n) => s + centre.get(n)!, 0) / ns.length : centre.get(k)!;
    });
    // Left to right: no closer than the gap to the previous box; then right to left, the same.
    const placed = [...want];
    for (let i = 1; i < row.length; i++) {
      const min = placed[i - 1] + (across(row[i - 1]) + across(row[i])) / 2 + BOX_GAP;
      if (placed[i] < min) placed[i] = min;
    }
    for (let i = row.length - 2; i >= 0; i--) {
      const max = placed[i + 1] - (across(row[i + 1]) + across(row[i])) / 2 - BOX_GAP;
      if (placed[i] > max) placed[i] = max;
    }
    row.forEach((k, i) => centre.set(k, placed[i]));
  };
  for (let pass = 0; pass < 3; pass++) {
    for (let r = 1; r < rows.length; r++) settle(rows[r], preds);
    for (let r = rows.length - 2; r >= 0; r--) settle(rows[r], succs);
  }
  let lo = Infinity, hi = -Infinity;
  for (const row of rows) for (const k of row) {
    lo = Math.min(lo, centre.get(k)! - across(k) / 2);
    hi = Math.max(hi, centre.get(k)! + across(k) / 2);
  }
  const shift = MARGIN + GROUP_PAD - lo;
  const boxes = new Map<string, Placed>();
  rows.forEach((row, r) => {
    for (const k of row) {
      const { width, height } = size.get(k)!;
      const a = rowStart[r] + (thickness[r] - along(k)) / 2;
      const c = centre.get(k)! + shift - across(k) / 2;
      boxes.set(k, tb ? { key: k, x: c, y: a, width, height } : { key: k, x: a, y: c, width, height });
    }
  });
  const edges = graph.edges.map((e) => edgePath(boxes.get(e.from)!, boxes.get(e.to)!, tb, e.from, e.to));
  const groups = groupRects(graph, boxes);
  const extentAlong = offset - ROW_GAP + MARGIN;
  const extentAcross = hi - lo + 2 * (MARGIN + GROUP_PAD);
  let width = tb ? extentAcross : extentAlong, height = tb ? extentAlong : extentAcross;
  for (const g of groups) {
    width = Math.max(width, g.x + g.width + MARGIN);
    height = Math.max(height, g.y + g.height + MARGIN);
  }
  return { width, height, boxes, edges, groups, layers: rows.length, widest: Math.max(0, ...rows.map((r) => r.length)) };
}

/** A curve from the source's exit side to the target's entry side. */
function edgePath(a: Placed, b: Placed, tb: boolean, from: string, to: string): PlacedEdge {
  const [x1, y1] = tb ? [a.x + a.width / 2, a.y + a.height] : [a.x + a.width, a.y + a.height / 2];
  const [x2, y2] = tb ? [b.x + b.width / 2, b.y] : [b.x, b.y + b.height / 2];
  const path = tb
    ? `M${x1},${y1} C${x1},${(y1 + y2) / 2} ${x2},${(y1 + y2) / 2} ${x2},${y2}`
    : `M${x1},${y1} C${(x1 + x2) / 2},${y1} ${(x1 + x2) / 2},${y2} ${x2},${y2}`;
  return { from, to, path, labelX: (x1 + x2) / 2, labelY: (y1 + y2) / 2 };
}

/** The rectangle around each expanded group's boxes, with room for its title above. */
function groupRects(graph: DrawnGraph, boxes: Map<string, Placed>): PlacedGroup[] {
  const out: PlacedGroup[] = [];
  for (const g of graph.groups) {
    if (g.collapsed) continue;
    let x0 = Infinity, y0 = Infinity, x1 = -Infinity, y1 = -Infinity;
    for (const m of g.members) {
      const p = boxes.get(`n:${m}`);
      if (!p) continue;
      x0 = Math.min(x0, p.x);
      y0 = Math.min(y0, p.y);
      x1 = Math.max(x1, p.x + p.width);
      y1 = Math.max(y1, p.y + p.height);
    }
    if (x0 === Infinity) continue;
    out.push({ name: g.name, x: x0 - GROUP_PAD, y: y0 - GROUP_PAD - GROUP_TITLE, width: x1 - x0 + 2 * GROUP_PAD, height: y1 - y0 + 2 * GROUP_PAD + GROUP_TITLE });
  }
  return out;
}
