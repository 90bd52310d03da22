/**
 * Draws a layered layout (graph-layout.ts) as SVG, with the DOM's own
 * methods only: every label (node ids, op names, group names: user text) goes
 * in as a text node, never parsed as markup. The classes follow Mermaid's
 * (`g.node` with the status class, `g.cluster` for a group, `.edgeLabel`), so
 * the page's styles, selection and tests treat both drawings alike.
 */
import { statusStyles } from "../src/shared/mermaid.js";
import type { DrawnBox, DrawnGraph } from "../src/shared/graph-groups.js";
import type { Layout } from "./graph-layout.js";

const SVG = "http://www.w3.org/2000/svg";

function el<K extends keyof SVGElementTagNameMap>(tag: K, attrs: Record<string, string | number> = {}): SVGElementTagNameMap[K] {
  const e = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
  return e;
}

/** statusStyles' "fill:#…,stroke:#…" as presentation attributes. */
function paint(target: SVGElement, style: string): void {
  for (const part of style.split(",")) {
    const [prop, value] = part.split(":");
    if (prop === "fill" || prop === "stroke" || prop === "stroke-width" || prop === "stroke-dasharray") target.setAttribute(prop, value);
  }
}

function textColour(style: string): string {
  return /color:(#[0-9a-f]{6})/i.exec(style)?.[1] ?? "#202124";
}

/** The two lines of a box: its name, and what it is. */
export function boxLines(box: DrawnBox): [string, string] {
  const shape = (s: number[]) => `[${s.join(", ")}]`;
  switch (box.kind) {
    case "input": return [box.id, `${box.classes !== undefined ? `labels, ${box.classes} classes` : box.constant ? "constant" : "input"} ${shape(box.shape)}`];
    case "node": return [box.id, `${box.op} → ${box.outputs ? box.outputs.map((o) => `${o.name} ${shape(o.shape)}`).join(", ") : shape(box.shape)}`];
    case "group": return [box.group, `${box.size} node${box.size === 1 ? "" : "s"}, collapsed`];
  }
}

/** A box's size from its text: monospace-ish estimate, so no text is measured (fast for 500 boxes). */
export function measureBox(box: DrawnBox): { width: number; height: number } {
  const [a, b] = boxLines(box);
  const chars = Math.max([...a].length, [...b].length);
  return { width: Math.min(300, Math.max(96, 20 + chars * 7.2)), height: 46 };
}

/** Truncates a line to what fits in its box (the full text is in the box's title). */
function fit(text: string, width: number): string {
  const max = Math.floor((width - 16) / 7.2);
  const chars = [...text];
  return chars.length <= max ? text : chars.slice(0, Math.max(1, max - 1)).join("") + "…";
}

export interface SvgDrawing {
  svg: SVGSVGElement;
  /** Drawn box key → its <g>. */
  boxes: Map<string, SVGGElement>;
  /** Group name → the title of its rectangle (expanded groups). */
  groupTitles: Map<string, SVGGElement>;
}

export function drawLayout(graph: DrawnGraph, layout: Layout): SvgDrawing {
  const svg = el("svg", { class: "gradlens-layered", viewBox: `0 0 ${layout.width} ${layout.height}`, width: layout.width, height: layout.height, role: "img" });
  const defs = el("defs");
  const marker = el("marker", { id: "gradlens-arrow", viewBox: "0 0 10 10", refX: 9, refY: 5, markerWidth: 7, markerHeight: 7, orient: "auto-start-reverse" });
  marker.appendChild(el("path", { d: "M0,0 L10,5 L0,10 z", class: "arrowhead" }));
  defs.appendChild(marker);
  svg.appendChild(defs);

  const groupTitles = new Map<string, SVGGElement>();
  const clusters = el("g", { class: "clusters" });
  for (const g of layout.groups) {
    const cluster = el("g", { class: "cluster", "data-group": g.name });
    cluster.appendChild(el("rect", { x: g.x, y: g.y, width: g.width, height: g.height, rx: 6 }));
    const title = el("g", { class: "cluster-label", tabindex: 0, role: "button" });
    title.setAttribute("aria-label", `Group ${g.name}: collapse`);
    const tip = el("title");
    tip.textContent = g.name;
    const t = el("text", { x: g.x + 10, y: g.y + 15 });
    t.textContent = `▾ ${fit(g.name, g.width - 10)}`;
    title.append(tip, t);
    cluster.appendChild(title);
    clusters.appendChild(cluster);
    groupTitles.set(g.name, title);
  }
  svg.appendChild(clusters);

  const edges = el("g", { class: "edgePaths" });
  const labels = el("g", { class: "edgeLabels" });
  for (let i = 0; i < layout.edges.length; i++) {
    const e = layout.edges[i];
    const drawn = graph.edges[i];
    edges.appendChild(el("path", { d: e.path, class: "flowchart-link", "marker-end": "url(#gradlens-arrow)" }));
    const label = el("g", { class: "edgeLabel", transform: `translate(${e.labelX}, ${e.labelY})` });
    const text = el("text", { "text-anchor": "middle", dy: "0.35em" });
    text.textContent = `${drawn.output !== undefined ? `${drawn.output} ` : ""}[${drawn.shape.join(", ")}]${drawn.count > 1 ? ` ×${drawn.count}` : ""}`;
    label.appendChild(text);
    labels.appendChild(label);
  }
  svg.appendChild(edges);
  svg.appendChild(labels);

  const nodes = el("g", { class: "nodes" });
  const boxes = new Map<string, SVGGElement>();
  for (const box of graph.boxes) {
    const p = layout.boxes.get(box.key)!;
    const cls = box.kind === "input" ? "input" : box.status ?? "unchecked";
    const g = el("g", { class: `node ${cls}${box.kind === "group" ? " group-box" : ""}`, transform: `translate(${p.x}, ${p.y})` });
    const style = statusStyles[cls];
    let shape: SVGElement;
    if (box.kind === "input") {
      const s = 8;
      shape = el("polygon", { points: `${s},0 ${p.width},0 ${p.width - s},${p.height} 0,${p.height}` });
    } else {
      shape = el("rect", { width: p.width, height: p.height, rx: box.kind === "group" ? 10 : 3 });
    }
    paint(shape, style);
    g.appendChild(shape);
    if (box.kind !== "input" && box.output) {
      // The loss: double side bars, as Mermaid's subroutine shape.
      for (const x of [6, p.width - 6]) g.appendChild(el("line", { x1: x, y1: 0, x2: x, y2: p.height, stroke: /stroke:(#[0-9a-f]{6})/i.exec(style)?.[1] ?? "#5f6368" }));
    }
    if (box.kind === "group") g.appendChild(el("rect", { x: 3, y: 3, width: p.width - 6, height: p.height - 6, rx: 8, fill: "none", stroke: /stroke:(#[0-9a-f]{6})/i.exec(style)?.[1] ?? "#5f6368", "stroke-dasharray": "3 2" }));
    const [first, second] = boxLines(box);
    const title = el("title");
    title.textContent = `${first}\n${second}`;
    g.appendChild(title);
    const text = el("text", { x: p.width / 2, y: 18, "text-anchor": "middle", fill: textColour(style), class: "nodeLabel" });
    const a = el("tspan", { "font-weight": 600 });
    a.textContent = fit(first, p.width);
    const b = el("tspan", { x: p.width / 2, dy: 16 });
    b.textContent = fit(second, p.width);
    text.append(a, b);
    g.appendChild(text);
    nodes.appendChild(g);
    boxes.set(box.key, g);
  }
  svg.appendChild(nodes);
  return { svg, boxes, groupTitles };
}
