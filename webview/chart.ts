/**
 * Line charts in plain SVG (no library, nothing inline: the page's CSP stays as
 * strict as it is): axes with ticks and labels, linear or log scales, a legend,
 * every colour from the theme through CSS classes (media/webview.css maps them
 * to VS Code's chart colours). One function per part; `lineChart` puts them together.
 */
export interface Point {
  x: number;
  y: number;
  /** A tooltip for the point (SVG <title>). */
  note?: string;
}

export interface Series {
  name: string;
  points: Point[];
  /** A CSS class giving its colour and dash (`series-analytic`, `series-numeric`, `series-error`). */
  className: string;
}

export interface Axis {
  label: string;
  log?: boolean;
  /** Whole numbers only (steps). */
  integer?: boolean;
  /** Values the axis must reach besides the data's (a floor of the errors one can hope for). */
  include?: number[];
}

export interface ChartSpec {
  title: string;
  x: Axis;
  y: Axis;
  series: Series[];
  /** Vertical lines at x (the best h, the step GradLens checks with). */
  markers?: { x: number; label: string; className: string }[];
  width?: number;
  height?: number;
}

const SVG = "http://www.w3.org/2000/svg";
const M = { left: 64, right: 16, top: 30, bottom: 44 };
/** The legend's rows, under the x axis. */
const LEGEND_ROW = 16;

export function svg<K extends keyof SVGElementTagNameMap>(tag: K, attrs: Record<string, string | number> = {}, text?: string): SVGElementTagNameMap[K] {
  const el = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
  if (text !== undefined) el.textContent = text;
  return el;
}

/** A scale: data → pixels over [from, to], with its ticks. */
export interface Scale {
  at(v: number): number;
  ticks: number[];
  label(v: number): string;
  /** Whether a value can be drawn (positive, on a log scale). */
  ok(v: number): boolean;
}

export function scaleOf(values: number[], axis: Axis, from: number, to: number): Scale {
  const ok = (v: number) => Number.isFinite(v) && (!axis.log || v > 0);
  const vs = [...values, ...(axis.include ?? [])].filter(ok);
  if (axis.log) {
    const lo = Math.floor(Math.log10(Math.min(...vs, 1))), hi = Math.ceil(Math.log10(Math.max(...vs, 1)));
    const [a, b] = lo === hi ? [lo - 1, hi + 1] : [lo, hi];
    const every = Math.ceil((b - a) / 8);
    const ticks: number[] = [];
    for (let e = b; e >= a; e -= every) ticks.unshift(10 ** e);
    return { ok, ticks, at: (v) => from + ((Math.log10(v) - a) / (b - a)) * (to - from), label: (v) => `1e${Math.round(Math.log10(v))}`.replace("1e0", "1") };
  }
  let lo = Math.min(...vs), hi = Math.max(...vs);
  if (!vs.length) [lo, hi] = [0, 1];
  if (lo === hi) [lo, hi] = [lo - (Math.abs(lo) || 1) / 2, hi + (Math.abs(hi) || 1) / 2];
  const step = niceStep((hi - lo) / 5, axis.integer);
  const a = Math.floor(lo / step) * step, b = Math.ceil(hi / step) * step;
  const ticks: number[] = [];
  for (let t = a; t <= b + step / 2; t += step) ticks.push(Number(t.toPrecision(12)));
  return { ok, ticks, at: (v) => from + ((v - a) / (b - a)) * (to - from), label: (v) => String(Number(v.toPrecision(4))) };
}

/** 1, 2 or 5 times a power of ten, near `raw`. */
function niceStep(raw: number, integer?: boolean): number {
  const p = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * p).find((s) => s >= raw) ?? 10 * p;
  return integer ? Math.max(1, Math.round(step)) : step;
}

function axes(chart: SVGSVGElement, spec: ChartSpec, sx: Scale, sy: Scale, size: { w: number; h: number }): void {
  const { w, h } = size;
  const g = svg("g", { class: "axes" });
  for (const t of sy.ticks) {
    const y = sy.at(t);
    g.append(svg("line", { class: "grid", x1: M.left, x2: w - M.right, y1: y, y2: y }),
      svg("text", { class: "tick-label", x: M.left - 6, y: y + 4, "text-anchor": "end" }, sy.label(t)));
  }
  for (const t of sx.ticks) {
    const x = sx.at(t);
    g.append(svg("line", { class: "tick", x1: x, x2: x, y1: h - M.bottom, y2: h - M.bottom + 5 }),
      svg("text", { class: "tick-label", x, y: h - M.bottom + 18, "text-anchor": "middle" }, sx.label(t)));
  }
  g.append(
    svg("line", { class: "axis x-axis", x1: M.left, x2: w - M.right, y1: h - M.bottom, y2: h - M.bottom }),
    svg("line", { class: "axis y-axis", x1: M.left, x2: M.left, y1: M.top, y2: h - M.bottom }),
    svg("text", { class: "axis-label x-label", x: (M.left + w - M.right) / 2, y: h - 6, "text-anchor": "middle" }, spec.x.label),
    svg("text", { class: "axis-label y-label", x: 14, y: (M.top + h - M.bottom) / 2, "text-anchor": "middle", transform: `rotate(-90 14 ${(M.top + h - M.bottom) / 2})` }, spec.y.label),
    svg("text", { class: "chart-title", x: M.left, y: 18 }, spec.title));
  chart.append(g);
}

function lines(chart: SVGSVGElement, spec: ChartSpec, sx: Scale, sy: Scale): void {
  for (const s of spec.series) {
    const g = svg("g", { class: `series ${s.className}`, "data-series": s.name });
    let d = "", pen = "M";
    for (const p of s.points) {
      if (!sx.ok(p.x) || !sy.ok(p.y)) {
        pen = "M";
        continue;
      }
      d += `${pen}${sx.at(p.x).toFixed(2)},${sy.at(p.y).toFixed(2)} `;
      pen = "L";
    }
    g.append(svg("path", { class: "line", d: d.trim() }));
    for (const p of s.points) {
      if (!sx.ok(p.x) || !sy.ok(p.y)) continue;
      const dot = svg("circle", { class: "dot", cx: sx.at(p.x).toFixed(2), cy: sy.at(p.y).toFixed(2), r: 2.5 });
      dot.append(svg("title", {}, p.note ?? `${s.name}: ${p.y}`));
      g.append(dot);
    }
    chart.append(g);
  }
}

function legendItems(spec: ChartSpec) {
  return [...spec.series.map((s) => ({ name: s.name, className: s.className })), ...(spec.markers ?? []).map((m) => ({ name: m.label, className: m.className }))];
}

/** One row per series and marker, under the plot: a stroke in its colour and its name. */
function legend(chart: SVGSVGElement, spec: ChartSpec, top: number): void {
  const g = svg("g", { class: "legend", transform: `translate(${M.left}, ${top})` });
  legendItems(spec).forEach((item, k) => {
    const row = svg("g", { class: `legend-row ${item.className}`, transform: `translate(0, ${k * LEGEND_ROW})` });
    row.append(svg("line", { class: "line", x1: 0, x2: 24, y1: 0, y2: 0 }), svg("text", { class: "legend-label", x: 30, y: 4 }, item.name));
    g.append(row);
  });
  chart.append(g);
}

export function lineChart(spec: ChartSpec): SVGSVGElement {
  const w = spec.width ?? 560, plotH = spec.height ?? 300;
  const h = plotH + legendItems(spec).length * LEGEND_ROW + 6;
  const all = spec.series.flatMap((s) => s.points);
  const sx = scaleOf([...all.map((p) => p.x), ...(spec.markers ?? []).map((m) => m.x)], spec.x, M.left, w - M.right);
  const sy = scaleOf(all.map((p) => p.y), spec.y, plotH - M.bottom, M.top);
  const chart = svg("svg", { class: "chart", viewBox: `0 0 ${w} ${h}`, width: w, height: h, role: "img", "aria-label": spec.title });
  chart.append(svg("title", {}, spec.title));
  axes(chart, spec, sx, sy, { w, h: plotH });
  for (const m of spec.markers ?? []) {
    if (!sx.ok(m.x)) continue;
    const x = sx.at(m.x);
    chart.append(svg("line", { class: `marker ${m.className}`, x1: x, x2: x, y1: M.top, y2: plotH - M.bottom }));
  }
  lines(chart, spec, sx, sy);
  legend(chart, spec, plotH + 6);
  return chart;
}
