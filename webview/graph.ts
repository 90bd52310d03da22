/**
 * The computation graph: Mermaid source from `toMermaidGraph`, `mermaid.parse`
 * before `render`, stale renders dropped, then pan (drag), zoom (wheel + buttons)
 * and focusable, clickable nodes mapped back to the user's node ids.
 */
import type { Mermaid } from "mermaid";
import type { GraphView } from "../src/shared/report.js";
import { toMermaidGraph } from "../src/shared/mermaid.js";
import type { WebviewState } from "../src/shared/protocol.js";
import { h, replace } from "./dom.js";

declare const mermaid: Mermaid;

export type Zoom = NonNullable<WebviewState["zoom"]>;

export interface GraphCallbacks {
  onSelect(nodeId: string): void;
  /** Double-click: go to the node's definition. */
  onReveal(nodeId: string): void;
  onZoom(zoom: Zoom): void;
  onRendered(nodes: number, ms: number): void;
  onError(message: string): void;
}

export function isDarkTheme(): boolean {
  const body = document.body.classList;
  if (body.contains("vscode-dark") || body.contains("vscode-high-contrast")) return !body.contains("vscode-high-contrast-light");
  if (body.contains("vscode-light") || body.contains("vscode-high-contrast-light")) return false;
  return window.matchMedia?.("(prefers-color-scheme: dark)").matches ?? false;
}

let initialisedDark: boolean | undefined;
function initMermaid(): void {
  const dark = isDarkTheme();
  if (initialisedDark === dark) return;
  initialisedDark = dark;
  mermaid.initialize({
    startOnLoad: false,
    securityLevel: "strict",
    theme: dark ? "dark" : "default",
    maxTextSize: 500_000,
    maxEdges: 5_000,
    flowchart: { useMaxWidth: false, htmlLabels: true },
  });
}

export class GraphPanel {
  readonly element: HTMLElement;
  private readonly viewport: HTMLElement;
  private readonly canvas: HTMLElement;
  private zoom: Zoom = { scale: 1, x: 0, y: 0 };
  private renderToken = 0;
  private nodeEls = new Map<string, SVGGElement>();
  private selected: string | undefined;
  private size = { width: 0, height: 0 };

  constructor(private readonly callbacks: GraphCallbacks) {
    this.canvas = h("div", { class: "graph-canvas" });
    this.viewport = h("div", { class: "graph-viewport", "aria-label": "Computation graph: drag to pan, wheel to zoom" }, this.canvas);
    const button = (label: string, title: string, action: () => void) => {
      const b = h("button", { type: "button", title, "aria-label": title }, label);
      b.addEventListener("click", action);
      return b;
    };
    const controls = h("div", { class: "graph-controls" },
      button("+", "Zoom in", () => this.zoomBy(1.25)),
      button("−", "Zoom out", () => this.zoomBy(1 / 1.25)),
      button("Fit", "Fit the graph", () => this.fit()));
    this.element = h("div", { class: "graph" }, controls, this.viewport);
    this.installPanZoom();
  }

  /** Render the graph; resolves once the SVG is in the page (or the render was superseded). */
  /** Each node's extra label line (its value and upstream gradient), when the toggle is on. */
  private summaries: Record<string, string> | undefined;

  /** Show (or, with undefined, hide) a summary line on each node; the graph is drawn again, fitted (its size changed). */
  setSummaries(summaries: Record<string, string> | undefined, view: GraphView): Promise<void> {
    this.summaries = summaries;
    return this.render(view);
  }

  async render(view: GraphView, zoom?: Zoom): Promise<void> {
    const token = ++this.renderToken;
    const started = performance.now();
    initMermaid();
    const graph = toMermaidGraph(view, { direction: "LR", summaries: this.summaries });
    let svg: string;
    try {
      await mermaid.parse(graph.text);
      ({ svg } = await mermaid.render(`gradlens-graph-${token}`, graph.text));
    } catch (err) {
      if (token !== this.renderToken) return;
      replace(this.canvas);
      this.callbacks.onError(`The graph could not be drawn: ${err instanceof Error ? err.message : String(err)}`);
      return;
    }
    if (token !== this.renderToken) return; // a newer render started: drop this one
    // Mermaid's own output under securityLevel "strict" (labels entity-escaped by
    // toMermaidGraph, sanitised by Mermaid's DOMPurify); the page CSP blocks any inline handler.
    const doc = new DOMParser().parseFromString(svg, "text/html");
    const svgEl = doc.querySelector("svg");
    if (!svgEl) return this.callbacks.onError("The graph could not be drawn: Mermaid returned no SVG.");
    const adopted = document.importNode(svgEl, true);
    replace(this.canvas, adopted);
    this.sizeSvg(adopted);
    this.decorateNodes(adopted, graph.nodeIdOf);
    if (zoom) this.applyZoom(zoom);
    else this.initialView();
    if (this.selected) {
      this.highlight(this.selected);
      if (!zoom) this.reveal(this.selected);
    }
    this.callbacks.onRendered(this.nodeEls.size, Math.round(performance.now() - started));
  }

  select(nodeId: string | undefined): void {
    this.selected = nodeId;
    this.highlight(nodeId);
  }

  /** Scroll the selected node into view without changing the zoom. */
  reveal(nodeId: string): void {
    const el = this.nodeEls.get(nodeId);
    // While a new render is on its way the old SVG is still in place; skip stale nodes.
    if (!el || !el.isConnected) return;
    const vp = this.viewport.getBoundingClientRect();
    const r = el.getBoundingClientRect();
    if (r.left >= vp.left && r.right <= vp.right && r.top >= vp.top && r.bottom <= vp.bottom) return;
    this.applyZoom({
      ...this.zoom,
      x: this.zoom.x + (vp.left + vp.width / 2) - (r.left + r.width / 2),
      y: this.zoom.y + (vp.top + vp.height / 2) - (r.top + r.height / 2),
    });
  }

  private sizeSvg(svg: SVGSVGElement): void {
    const vb = svg.viewBox.baseVal;
    this.size = { width: vb?.width || svg.getBBox().width, height: vb?.height || svg.getBBox().height };
    svg.style.maxWidth = "none";
    svg.setAttribute("width", String(this.size.width));
    svg.setAttribute("height", String(this.size.height));
  }

  private decorateNodes(svg: SVGSVGElement, nodeIdOf: Record<string, string>): void {
    this.nodeEls.clear();
    for (const el of svg.querySelectorAll<SVGGElement>("g.node")) {
      // Mermaid names node groups "<diagram>-flowchart-<id>-<n>"; our ids are n0, n1, …
      const match = /flowchart-(n\d+)-\d+$/.exec(el.id) ?? /^(n\d+)$/.exec(el.getAttribute("data-id") ?? "");
      const nodeId = match ? nodeIdOf[match[1]] : undefined;
      if (nodeId === undefined) continue;
      this.nodeEls.set(nodeId, el);
      el.dataset.nodeId = nodeId;
      el.setAttribute("tabindex", "0");
      el.setAttribute("role", "button");
      el.setAttribute("aria-label", `Node ${nodeId}`);
      el.addEventListener("click", (e) => {
        if (this.dragged) return;
        e.stopPropagation();
        this.callbacks.onSelect(nodeId);
      });
      el.addEventListener("dblclick", (e) => {
        e.stopPropagation();
        this.callbacks.onReveal(nodeId);
      });
      el.addEventListener("keydown", (e) => {
        if (e.key === "Enter" || e.key === " ") {
          e.preventDefault();
          this.callbacks.onSelect(nodeId);
        }
      });
    }
  }

  private highlight(nodeId: string | undefined): void {
    for (const [id, el] of this.nodeEls) el.classList.toggle("selected", id === nodeId);
  }

  // --- pan and zoom -------------------------------------------------------

  private dragged = false;

  private installPanZoom(): void {
    let start: { x: number; y: number; zx: number; zy: number } | undefined;
    this.viewport.addEventListener("pointerdown", (e) => {
      if (e.button !== 0) return;
      start = { x: e.clientX, y: e.clientY, zx: this.zoom.x, zy: this.zoom.y };
      this.dragged = false;
    });
    window.addEventListener("pointermove", (e) => {
      if (!start) return;
      const dx = e.clientX - start.x;
      const dy = e.clientY - start.y;
      // A few pixels of jitter is still a click.
      if (!this.dragged && Math.hypot(dx, dy) < 4) return;
      if (!this.dragged) this.viewport.classList.add("dragging");
      this.dragged = true;
      this.applyZoom({ scale: this.zoom.scale, x: start.zx + dx, y: start.zy + dy }, false);
    });
    window.addEventListener("pointerup", () => {
      if (!start) return;
      start = undefined;
      this.viewport.classList.remove("dragging");
      if (this.dragged) this.callbacks.onZoom(this.zoom);
      // Let the click that ends a drag see `dragged`, then reset.
      setTimeout(() => (this.dragged = false), 0);
    });
    this.viewport.addEventListener("wheel", (e) => {
      e.preventDefault();
      const rect = this.viewport.getBoundingClientRect();
      this.zoomBy(Math.exp(-e.deltaY * 0.0015), e.clientX - rect.left, e.clientY - rect.top);
    }, { passive: false });
  }

  /** Zoom by `factor` keeping the point (px, py) of the viewport fixed (default: its centre). */
  zoomBy(factor: number, px?: number, py?: number): void {
    const rect = this.viewport.getBoundingClientRect();
    const cx = px ?? rect.width / 2;
    const cy = py ?? rect.height / 2;
    const scale = Math.min(8, Math.max(0.05, this.zoom.scale * factor));
    const k = scale / this.zoom.scale;
    this.applyZoom({ scale, x: cx - (cx - this.zoom.x) * k, y: cy - (cy - this.zoom.y) * k });
  }

  fit(): void {
    const rect = this.viewport.getBoundingClientRect();
    const { width, height } = this.size;
    if (!width || !height || !rect.width || !rect.height) return this.applyZoom({ scale: 1, x: 0, y: 0 });
    const pad = 16;
    // Never larger than life: a three-node graph is not blown up to fill the panel.
    const scale = Math.min(1, (rect.width - 2 * pad) / width, (rect.height - 2 * pad) / height);
    this.applyZoom({ scale, x: (rect.width - width * scale) / 2, y: (rect.height - height * scale) / 2 });
  }

  /**
   * The whole graph when it fits legibly; a long graph (a 100-node chain) would shrink
   * to a hairline, so it opens at a readable scale at its start instead, to be panned.
   */
  private initialView(): void {
    this.fit();
    if (this.zoom.scale >= 0.5) return;
    const rect = this.viewport.getBoundingClientRect();
    const scale = 0.8;
    const { width, height } = this.size;
    const pad = 16;
    this.applyZoom({
      scale,
      x: width * scale < rect.width ? (rect.width - width * scale) / 2 : pad,
      y: height * scale < rect.height ? (rect.height - height * scale) / 2 : pad,
    });
  }

  private applyZoom(zoom: Zoom, notify = true): void {
    this.zoom = zoom;
    this.canvas.style.transform = `translate(${zoom.x}px, ${zoom.y}px) scale(${zoom.scale})`;
    if (notify) this.callbacks.onZoom(zoom);
  }

  get currentZoom(): Zoom {
    return this.zoom;
  }
}
