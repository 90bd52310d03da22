/**
 * A tensor (a node's value, its upstream gradient dL/d(node), a parameter's
 * dL/dθ) as heatmaps side by side — analytic, numeric, difference — drawn like
 * the Jacobians: rows are the first axis, columns the rest (a vector is one row).
 * Hover names the entry and its values; a click on a cell can explain it.
 */
import { h } from "./dom.js";
import { fmt, indexText } from "./format.js";
import { divergingColor, scaleBar } from "./heatmap.js";

export interface TensorPanel {
  title: string;
  /** Row-major, one per entry; NaN where not computed. */
  values: number[];
}

export interface TensorHeatmapSpec {
  /** The tensor's name, for labels: `p`, `dL/dp`, `fc.W`. */
  name: string;
  shape: number[];
  panels: TensorPanel[];
  /** A click on entry `flat` (explain it). */
  onCell?: (flat: number) => void;
  /** What a hover says beyond the values (the click's effect). */
  hint?: string;
  /** The name of entry `flat` (default: the tensor's name and its index in `shape`). */
  entryName?: (flat: number) => string;
}

const CELL = 22;

export function tensorHeatmaps(spec: TensorHeatmapSpec): HTMLElement {
  const size = spec.panels[0]?.values.length ?? 0;
  const cols = spec.shape.length <= 1 ? Math.max(size, 1) : size / spec.shape[0];
  const rows = Math.max(1, Math.round(size / cols));
  const cw = Math.max(2, Math.min(CELL, Math.floor(360 / cols))), ch = Math.max(2, Math.min(CELL, Math.floor(240 / rows)));
  const info = h("div", { class: "heat-info", "aria-live": "polite" }, spec.hint ?? "Hover a cell to see its index and values.");
  const scale = spec.panels.reduce((m, p) => p.values.reduce((m2, v) => (Number.isFinite(v) ? Math.max(m2, Math.abs(v)) : m2), m), 0);
  const describe = (flat: number) => `${spec.entryName ? spec.entryName(flat) : `${spec.name}${indexText(flat, spec.shape.length ? spec.shape : [1])}`}: ` +
    spec.panels.map((p) => `${p.title.split(" (")[0]} ${fmt(p.values[flat])}`).join(", ") + (spec.hint ? ` — ${spec.hint}` : "");
  const figures = spec.panels.map((p) => {
    const canvas = h("canvas", { class: `heatmap tensor${spec.onCell ? " clickable" : ""}`, role: "img", "aria-label": `${p.title} heatmap of ${spec.name}` });
    draw(canvas, p.values, { rows, cols, cw, ch, scale });
    const flatAt = (e: MouseEvent): number | undefined => {
      const rect = canvas.getBoundingClientRect();
      const c = Math.floor(((e.clientX - rect.left) / rect.width) * cols), r = Math.floor(((e.clientY - rect.top) / rect.height) * rows);
      return r >= 0 && r < rows && c >= 0 && c < cols ? r * cols + c : undefined;
    };
    canvas.addEventListener("mousemove", (e) => {
      const flat = flatAt(e);
      if (flat !== undefined) info.textContent = describe(flat);
    });
    if (spec.onCell) canvas.addEventListener("click", (e) => {
      const flat = flatAt(e);
      if (flat !== undefined) spec.onCell!(flat);
    });
    return h("figure", { class: "heat-panel" }, h("figcaption", {}, p.title), canvas, scaleBar(scale));
  });
  return h("div", { class: "heatmaps", "data-tensor": spec.name }, h("div", { class: "heat-row" }, ...figures), info);
}

function draw(canvas: HTMLCanvasElement, values: number[], g: { rows: number; cols: number; cw: number; ch: number; scale: number }): void {
  const dpr = window.devicePixelRatio || 1;
  canvas.width = Math.max(1, Math.round(g.cols * g.cw * dpr));
  canvas.height = Math.max(1, Math.round(g.rows * g.ch * dpr));
  canvas.style.width = `${g.cols * g.cw}px`;
  canvas.style.height = `${g.rows * g.ch}px`;
  const ctx = canvas.getContext("2d");
  if (!ctx) return;
  const image = new ImageData(g.cols, g.rows);
  values.forEach((v, i) => image.data.set([...divergingColor(v, g.scale), 255], i * 4));
  const small = document.createElement("canvas");
  small.width = g.cols;
  small.height = g.rows;
  small.getContext("2d")!.putImageData(image, 0, 0);
  ctx.imageSmoothingEnabled = false;
  ctx.drawImage(small, 0, 0, canvas.width, canvas.height);
}
