/**
 * The computation graph. Up to BIG_GRAPH boxes it is Mermaid's drawing: source
 * from `toMermaidGraph`, `mermaid.parse` before `render`, stale renders
 * dropped. A bigger graph is laid out by graph-layout.ts and drawn by
 * graph-svg.ts (Mermaid took 3 s for 100 nodes and 10 s for 500), and opens
 * with its groups collapsed except those holding a failure.
 *
 * Either way: pan (drag), zoom (wheel and buttons), Fit, left-to-right or
 * top-to-bottom (long chains start top to bottom), a group collapsed or
 * expanded by a click on it, a search box that finds a node by id or op (and
 * opens its group), and focusable, clickable nodes mapped back to the user's ids.
 */
import type { Mermaid } from "mermaid";
import type { GraphView } from "../src/shared/report.js";
import { toMermaidGraph } from "../src/shared/mermaid.js";
import { BIG_GRAPH, drawnGraph, groupOfNode, initiallyCollapsed, layersOf, prefersTopToBottom, type DrawnGraph } from "../src/shared/graph-groups.js";
import type { WebviewState } from "../src/shared/protocol.js";
import { h, replace } from "./dom.js";
import { layeredLayout, type Direction } from "./graph-layout.js";
import { drawLayout, measureBox } from "./graph-svg.js";
import { loadMermaid } from "./mermaid-loader.js";

export type Zoom = NonNullable<WebviewState["zoom"]>;

/** How the graph is laid out: what the page keeps across reloads. */
export interface GraphLayoutState {
  collapsed: string[];
  /** The user's choice; absent: chosen from the graph's shape. */
  direction?: Direction;
}

export interface GraphCallbacks {
  onSelect(nodeId: string): void;
  /** Double-click: go to the node's definition. */
  onReveal(nodeId: string): void;
  onZoom(zoom: Zoom): void;
  /** `nodes`: boxes drawn; `renderer`: Mermaid's drawing or our own layout. */
  onRendered(nodes: number, ms: number, renderer: "mermaid" | "layered"): void;
  onError(message: string): void;
  onLayout?(layout: GraphLayoutState): void;
}

export function isDarkTheme(): boolean {
  const body = document.body.classList;
  if (body.contains("vscode-dark") || body.contains("vscode-high-contrast")) return !body.contains("vscode-high-contrast-light");
  if (body.contains("vscode-light") || body.contains("vscode-high-contrast-light")) return false;
  return window.matchMedia?.("(prefers-color-scheme: dark)").matches ?? false;
}

let initialisedDark: boolean | undefined;
function initMermaid(mermaid: Mermaid): void {
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
  private readonly searchBox: HTMLInputElement;
  private readonly searchInfo: HTMLElement;
  private readonly directionButton: HTMLButtonElement;
  private readonly groupButtons: HTMLElement;
  private zoom: Zoom = { scale: 1, x: 0, y: 0 };
  private renderToken = 0;
  private nodeEls = new Map<string, SVGGElement>();
  private groupEls = new Map<string, SVGGElement>();
  private selected: string | undefined;
  private size = { width: 0, height: 0 };
  private view: GraphView | undefined;
  private collapsed = new Set<string>();
  private chosenDirection: Direction | undefined;
  private drawnDirection: Direction = "LR";
  private matches: string[] = [];
  private matchAt = -1;

  constructor(private readonly callbacks: GraphCallbacks) {
    this.canvas = h("div", { class: "graph-canvas" });
    this.viewport = h("div", { class: "graph-viewport", "aria-label": "Computation graph: drag to pan, wheel to zoom" }, this.canvas);
    const button = (label: string, title: string, action: () => void) => {
      const b = h("button", { type: "button", title, "aria-label": title }, label);
      b.addEventListener("click", action);
      return b;
    };
    this.searchBox = h("input", { type: "search", class: "graph-search", placeholder: "Find a node (id or op)", "aria-label": "Find a node by id or op", spellcheck: "false" });
    this.searchInfo = h("span", { class: "graph-search-info", "aria-live": "polite" });
    this.searchBox.addEventListener("input", () => this.find(this.searchBox.value));
    this.searchBox.addEventListener("keydown", (e) => {
      if (e.key === "Enter") {
        e.preventDefault();
        this.nextMatch(e.shiftKey ? -1 : 1);
      } else if (e.key === "Escape") {
        this.searchBox.value = "";
        this.find("");
      }
    });
    this.directionButton = button("⇅", "Lay out top to bottom", () => this.setDirection(this.drawnDirection === "LR" ? "TB" : "LR"));
    this.groupButtons = h("span", { class: "graph-group-buttons", hidden: true },
      button("⊞", "Expand all groups", () => this.setCollapsed(new Set())),
      button("⊟", "Collapse all groups", () => this.setCollapsed(new Set(this.groupNames()))));
    const controls = h("div", { class: "graph-controls" },
      h("span", { class: "graph-find" }, this.searchBox, this.searchInfo),
      button("+", "Zoom in", () => this.zoomBy(1.25)),
      button("−", "Zoom out", () => this.zoomBy(1 / 1.25)),
      button("Fit", "Fit the graph", () => this.fit()),
      this.directionButton,
      this.groupButtons);
    this.element = h("div", { class: "graph" }, controls, this.viewport);
    this.installPanZoom();
  }

  /** Each node's extra label line (its value and upstream gradient), when the toggle is on (Mermaid's drawing only). */
  private summaries: Record<string, string> | undefined;

  /** Show (or, with undefined, hide) a summary line on each node; the graph is drawn again, fitted (its size changed). */
  setSummaries(summaries: Record<string, string> | undefined, view: GraphView): Promise<void> {
    this.summaries = summaries;
    return this.render(view);
  }

  /**
   * Draw a graph; resolves once its SVG is in the page (or the render was
   * superseded). A new network's groups start as `layout` says (a restored
   * page), else collapsed as initiallyCollapsed decides.
   */
  async render(view: GraphView, zoom?: Zoom, layout?: GraphLayoutState): Promise<void> {
    if (view !== this.view) {
      this.view = view;
      const names = new Set(view.nodes.flatMap((n) => (n.group !== undefined ? [n.group] : [])));
      this.collapsed = layout ? new Set(layout.collapsed.filter((g) => names.has(g))) : initiallyCollapsed(view);
      this.chosenDirection = layout?.direction;
      this.groupButtons.hidden = names.size === 0;
      if (this.searchBox.value) this.find(this.searchBox.value);
    }
    return this.draw(zoom);
  }

  /** Draws the current view with the current groups and direction. */
  private async draw(zoom?: Zoom): Promise<void> {
    const view = this.view;
    if (!view) return;
    const token = ++this.renderToken;
    const started = performance.now();
    const graph = drawnGraph(view, this.collapsed);
    const direction = this.chosenDirection ?? autoDirection(graph);
    this.drawnDirection = direction;
    this.directionButton.textContent = direction === "LR" ? "⇅" : "⇄";
    const flip = direction === "LR" ? "Lay out top to bottom" : "Lay out left to right";
    this.directionButton.title = flip;
    this.directionButton.setAttribute("aria-label", flip);
    const big = view.inputs.length + view.nodes.length > BIG_GRAPH;
    let svg: SVGSVGElement;
    if (big) {
      const layout = layeredLayout(graph, direction, measureBox);
      const drawing = drawLayout(graph, layout);
      svg = drawing.svg;
      replace(this.canvas, svg);
      this.decorateLayered(graph, drawing.boxes, drawing.groupTitles);
    } else {
      const source = toMermaidGraph(view, { direction, collapsed: this.collapsed, summaries: this.summaries });
      let text: string;
      try {
        const mermaid = await loadMermaid();
        if (token !== this.renderToken) return;
        initMermaid(mermaid);
        await mermaid.parse(source.text);
        ({ svg: text } = await mermaid.render(`gradlens-graph-${token}`, source.text));
      } catch (err) {
        if (token !== this.renderToken) return;
        replace(this.canvas);
        this.callbacks.onError(`The graph could not be drawn: ${err instanceof Error ? err.message : String(err)}`);
        return;
      }
      if (token !== this.renderToken) return; // a newer render started: drop this one
      // Mermaid's own output under securityLevel "strict" (labels entity-escaped by
      // toMermaidGraph, sanitised by Mermaid's DOMPurify); the page CSP blocks any inline handler.
      const doc = new DOMParser().parseFromString(text, "text/html");
      const svgEl = doc.querySelector("svg");
      if (!svgEl) return this.callbacks.onError("The graph could not be drawn: Mermaid returned no SVG.");
      svg = document.importNode(svgEl, true);
      replace(this.canvas, svg);
      this.decorateMermaid(svg, source.nodeIdOf, source.groupOf);
    }
    this.sizeSvg(svg);
    if (zoom) this.applyZoom(zoom);
    else this.initialView();
    if (this.selected) {
      this.highlight(this.selected);
      if (!zoom) this.reveal(this.selected);
    }
    this.markMatches();
    this.callbacks.onRendered(this.nodeEls.size + this.groupEls.size, Math.round(performance.now() - started), big ? "layered" : "mermaid");
  }

  /** Selects a node; one inside a collapsed group opens the group first. */
  select(nodeId: string | undefined): void {
    this.selected = nodeId;
    const group = nodeId !== undefined && this.view ? groupOfNode(this.view, nodeId) : undefined;
    if (group !== undefined && this.collapsed.has(group)) {
      this.collapsed.delete(group);
      this.layoutChanged();
      void this.draw(this.zoom);
      return;
    }
    this.highlight(nodeId);
  }

  /** Scroll the node (or the box of its collapsed group) into view without changing the zoom. */
  reveal(nodeId: string): void {
    const group = this.view ? groupOfNode(this.view, nodeId) : undefined;
    const el = this.nodeEls.get(nodeId) ?? (group !== undefined ? this.groupEls.get(group) : undefined);
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

  /** Collapses or expands one group and redraws, keeping it in view. */
  toggleGroup(name: string): void {
    if (this.collapsed.has(name)) this.collapsed.delete(name);
    else this.collapsed.add(name);
    this.layoutChanged();
    void this.draw().then(() => {
      const el = this.groupEls.get(name) ?? this.nodeEls.get(this.view?.nodes.find((n) => n.group === name)?.id ?? "");
      if (el) this.centreOn(el);
    });
  }

  get layout(): GraphLayoutState {
    return { collapsed: [...this.collapsed], ...(this.chosenDirection ? { direction: this.chosenDirection } : {}) };
  }

  private setCollapsed(collapsed: Set<string>): void {
    this.collapsed = collapsed;
    this.layoutChanged();
    void this.draw();
  }

  private setDirection(direction: Direction): void {
    this.chosenDirection = direction;
    this.layoutChanged();
    void this.draw();
  }

  private layoutChanged(): void {
    this.callbacks.onLayout?.(this.layout);
  }

  private groupNames(): string[] {
    return [...new Set(this.view?.nodes.flatMap((n) => (n.group !== undefined ? [n.group] : [])) ?? [])];
  }

  // --- search ---------------------------------------------------------------

  /** Nodes and inputs whose id or op contains the text (case-insensitive), in network order. */
  private find(text: string): void {
    const q = text.trim().toLowerCase();
    const view = this.view;
    this.matches = !q || !view ? [] : [
      ...view.inputs.filter((i) => i.id.toLowerCase().includes(q)).map((i) => i.id),
      ...view.nodes.filter((n) => n.id.toLowerCase().includes(q) || n.op.toLowerCase().includes(q)).map((n) => n.id),
    ];
    this.matchAt = -1;
    this.searchInfo.textContent = !q ? "" : this.matches.length === 0 ? "no match" : `${this.matches.length} match${this.matches.length === 1 ? "" : "es"}`;
    this.markMatches();
  }

  /** Goes to the next (or previous) match: selects it, opening its group. */
  private nextMatch(step: number): void {
    if (this.matches.length === 0) return;
    this.matchAt = (this.matchAt + step + this.matches.length) % this.matches.length;
    const id = this.matches[this.matchAt];
    this.searchInfo.textContent = `${this.matchAt + 1} of ${this.matches.length}`;
    this.callbacks.onSelect(id);
  }

  private markMatches(): void {
    const set = new Set(this.matches);
    for (const [id, el] of this.nodeEls) el.classList.toggle("match", set.has(id));
    const groups = new Set(this.matches.map((id) => (this.view ? groupOfNode(this.view, id) : undefined)).filter((g) => g !== undefined));
    for (const [name, el] of this.groupEls) el.classList.toggle("match", groups.has(name));
  }

  // --- nodes ------------------------------------------------------------------

  private sizeSvg(svg: SVGSVGElement): void {
    const vb = svg.viewBox.baseVal;
    this.size = { width: vb?.width || svg.getBBox().width, height: vb?.height || svg.getBBox().height };
    svg.style.maxWidth = "none";
    svg.setAttribute("width", String(this.size.width));
    svg.setAttribute("height", String(this.size.height));
  }

  private decorateMermaid(svg: SVGSVGElement, nodeIdOf: Record<string, string>, groupOf: Record<string, string>): void {
    this.nodeEls.clear();
    this.groupEls.clear();
    for (const el of svg.querySelectorAll<SVGGElement>("g.node")) {
      // Mermaid names node groups "<diagram>-flowchart-<id>-<n>"; our ids are n0, n1, … and g0, g1, …
      const match = /flowchart-([ng]\d+)-\d+$/.exec(el.id) ?? /^([ng]\d+)$/.exec(el.getAttribute("data-id") ?? "");
      if (!match) continue;
      const nodeId = nodeIdOf[match[1]];
      const group = groupOf[match[1]];
      if (nodeId !== undefined) this.decorateNode(el, nodeId);
      else if (group !== undefined) this.decorateGroupBox(el, group);
    }
    // An expanded group: Mermaid's cluster, titled with the group's name; a click on its title collapses it.
    for (const el of svg.querySelectorAll<SVGGElement>("g.cluster")) {
      const id = /([g]\d+)$/.exec(el.id)?.[1] ?? el.getAttribute("data-id") ?? "";
      const group = groupOf[id];
      if (group === undefined) continue;
      el.dataset.group = group;
      const title = el.querySelector<SVGGElement>(".cluster-label") ?? el;
      this.decorateGroupTitle(title, group);
    }
  }

  private decorateLayered(graph: DrawnGraph, boxes: Map<string, SVGGElement>, titles: Map<string, SVGGElement>): void {
    this.nodeEls.clear();
    this.groupEls.clear();
    for (const box of graph.boxes) {
      const el = boxes.get(box.key)!;
      if (box.kind === "group") this.decorateGroupBox(el, box.group);
      else this.decorateNode(el, box.id);
    }
    for (const [group, title] of titles) this.decorateGroupTitle(title, group);
  }

  private decorateNode(el: SVGGElement, nodeId: string): void {
    if (this.nodeEls.has(nodeId)) return; // first definition wins, as in the Mermaid text
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

  /** A collapsed group's box: a click (or Enter) expands it. */
  private decorateGroupBox(el: SVGGElement, group: string): void {
    this.groupEls.set(group, el);
    el.dataset.group = group;
    el.classList.add("group-box", "collapsed");
    el.setAttribute("tabindex", "0");
    el.setAttribute("role", "button");
    el.setAttribute("aria-expanded", "false");
    el.setAttribute("aria-label", `Group ${group}, collapsed: expand`);
    this.onActivate(el, () => this.toggleGroup(group));
  }

  /** An expanded group's title: a click (or Enter) collapses it. */
  private decorateGroupTitle(el: SVGGElement, group: string): void {
    el.dataset.groupTitle = group;
    el.setAttribute("tabindex", "0");
    el.setAttribute("role", "button");
    el.setAttribute("aria-expanded", "true");
    el.setAttribute("aria-label", `Group ${group}: collapse`);
    this.onActivate(el, () => this.toggleGroup(group));
  }

  private onActivate(el: SVGGElement, action: () => void): void {
    el.addEventListener("click", (e) => {
      if (this.dragged) return;
      e.stopPropagation();
      action();
    });
    el.addEventListener("keydown", (e) => {
      if (e.key === "Enter" || e.key === " ") {
        e.preventDefault();
        action();
      }
    });
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
    const scale = Math.min(8, Math.max(0.02, this.zoom.scale * factor));
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

  /** Keeps the zoom and moves the element to the middle of the viewport. */
  private centreOn(el: Element): void {
    const vp = this.viewport.getBoundingClientRect();
    const r = el.getBoundingClientRect();
    this.applyZoom({ ...this.zoom, x: this.zoom.x + (vp.left + vp.width / 2) - (r.left + r.width / 2), y: this.zoom.y + (vp.top + vp.height / 2) - (r.top + r.height / 2) });
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

/** Top to bottom for a long chain, else left to right. */
function autoDirection(graph: DrawnGraph): Direction {
  const layers = layersOf(graph);
  const perLayer = new Map<number, number>();
  for (const l of layers.values()) perLayer.set(l, (perLayer.get(l) ?? 0) + 1);
  return prefersTopToBottom(perLayer.size, Math.max(1, ...perLayer.values())) ? "TB" : "LR";
}
