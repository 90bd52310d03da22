/**
 * A node's local Jacobian as three heatmaps side by side — analytic, numeric,
 * difference — on <canvas>. Rows are outputs, columns are inputs (the lecture's
 * convention). Hover shows the entry's [row, col] as output/input multi-indices and
 * the three values.
 */
import type { JacobianReport } from "../src/shared/report.js";
import { h } from "./dom.js";
import { fmt, indexText, num } from "./format.js";

/** Diverging scale (ColorBrewer RdBu, reversed): negative blue, zero light grey, positive red. */
export const stops: [number, number, number][] = [
  [33, 102, 172], [103, 169, 207], [247, 247, 247], [239, 138, 98], [178, 24, 43],
];
const notComputed: [number, number, number] = [140, 140, 140];

export function divergingColor(v: number, max: number): [number, number, number] {
  if (!Number.isFinite(v)) return notComputed;
  const t = max > 0 ? Math.max(-1, Math.min(1, v / max)) : 0;
  const pos = (t + 1) * 2; // 0..4 across the five stops
  const i = Math.min(3, Math.floor(pos));
  const f = pos - i;
  const [a, b] = [stops[i], stops[i + 1]];
  return [0, 1, 2].map((k) => Math.round(a[k] + (b[k] - a[k]) * f)) as [number, number, number];
}

const maxAbs = (...arrays: number[][]): number => {
  let m = 0;
  for (const arr of arrays) for (const v of arr) if (Number.isFinite(v)) m = Math.max(m, Math.abs(v));
  return m;
};

/**
 * Cell size along one axis: square cells up to 28 px filling about 260 px; a long
 * axis (a sampled 1024-row Jacobian) gets thinner cells, so no side passes 520 px.
 */
function cellSizes(rows: number, cols: number): { cw: number; ch: number } {
  const square = Math.min(28, Math.floor(260 / Math.max(rows, cols, 1)));
  if (square >= 2) return { cw: square, ch: square };
  const along = (n: number) => (n * 2 <= 520 ? Math.min(28, Math.max(2, Math.floor(260 / Math.max(n, 1)))) : 520 / n);
  return { cw: along(cols), ch: along(rows) };
}

interface Matrix {
  title: string;
  values: number[];
  scale: number;
}

/** A cell of a Jacobian heatmap clicked: its row (output entry) and column (wrt entry), flat. */
export type CellClick = (row: number, col: number) => void;

export function jacobianHeatmaps(jac: JacobianReport, nodeId: string, onCell?: CellClick): HTMLElement {
  const rows = jac.rowIndices.length;
  const cols = jac.colIndices.length;
  const analytic = jac.analytic.map(num);
  const numeric = jac.numeric.map(num);
  const difference = analytic.map((a, i) => a - numeric[i]);
  const valueScale = maxAbs(analytic, numeric);
  const matrices: Matrix[] = [
    { title: "analytic (backward)", values: analytic, scale: valueScale },
    { title: "numeric (central differences)", values: numeric, scale: valueScale },
    // On the values' own scale: rounding noise of a passing node stays invisible, a wrong
    // entry stands out in proportion to the values it should have had.
    { title: "difference (analytic − numeric)", values: difference, scale: Math.max(valueScale, maxAbs(difference)) },
  ];
  const { cw, ch } = cellSizes(rows, cols);
  const info = h("div", { class: "heat-info", "aria-live": "polite" }, "Hover a cell to see its indices and values.");
  const canvases: HTMLCanvasElement[] = [];
  let hovered: [number, number] | null = null;

  const draw = (canvas: HTMLCanvasElement, m: Matrix): void => {
    const dpr = window.devicePixelRatio || 1;
    canvas.width = Math.max(1, Math.round(cols * cw * dpr));
    canvas.height = Math.max(1, Math.round(rows * ch * dpr));
    canvas.style.width = `${cols * cw}px`;
    canvas.style.height = `${rows * ch}px`;
    const ctx = canvas.getContext("2d");
    if (!ctx || rows === 0 || cols === 0) return;
    // One pixel per entry, then scaled up without smoothing: cheap for large Jacobians.
    const image = new ImageData(cols, rows);
    m.values.forEach((v, i) => {
      const [r, g, b] = divergingColor(v, m.scale);
      image.data.set([r, g, b, 255], i * 4);
    });
    const small = document.createElement("canvas");
    small.width = cols;
    small.height = rows;
    small.getContext("2d")!.putImageData(image, 0, 0);
    ctx.imageSmoothingEnabled = false;
    ctx.drawImage(small, 0, 0, canvas.width, canvas.height);
    if (hovered) {
      const [r, c] = hovered;
      ctx.lineWidth = Math.max(1, dpr * 1.5);
      ctx.strokeStyle = "#000";
      ctx.strokeRect(c * cw * dpr, r * ch * dpr, cw * dpr, ch * dpr);
      ctx.strokeStyle = "#fff";
      ctx.lineWidth = Math.max(1, dpr * 0.75);
      ctx.strokeRect(c * cw * dpr, r * ch * dpr, cw * dpr, ch * dpr);
    }
  };

  const describe = (r: number, c: number): string => {
    const i = r * cols + c;
    const row = jac.rowIndices[r];
    const col = jac.colIndices[c];
    return `row ${row} = ${nodeId} output ${indexText(row, jac.outputShape)}, ` +
      `col ${col} = ${jac.wrt} ${indexText(col, jac.wrtShape)}: ` +
      `analytic ${fmt(analytic[i])}, numeric ${fmt(numeric[i])}, difference ${fmt(difference[i])}`;
  };

  const panels = matrices.map((m) => {
    const canvas = h("canvas", { class: "heatmap", "aria-label": `${m.title} Jacobian heatmap`, role: "img" });
    canvases.push(canvas);
    draw(canvas, m);
    const cellAt = (e: MouseEvent): [number, number] | null => {
      const rect = canvas.getBoundingClientRect();
      const c = Math.floor(((e.clientX - rect.left) / rect.width) * cols);
      const r = Math.floor(((e.clientY - rect.top) / rect.height) * rows);
      return r >= 0 && r < rows && c >= 0 && c < cols ? [r, c] : null;
    };
    canvas.addEventListener("mousemove", (e) => {
      const at = cellAt(e);
      if (!at || (hovered && hovered[0] === at[0] && hovered[1] === at[1])) return;
      hovered = at;
      info.textContent = describe(at[0], at[1]);
      canvases.forEach((cv, k) => draw(cv, matrices[k]));
    });
    canvas.addEventListener("mouseleave", () => {
      hovered = null;
      canvases.forEach((cv, k) => draw(cv, matrices[k]));
    });
    if (onCell) {
      canvas.classList.add("clickable");
      canvas.addEventListener("click", (e) => {
        const at = cellAt(e);
        if (at) onCell(jac.rowIndices[at[0]], jac.colIndices[at[1]]);
      });
    }
    return h("figure", { class: "heat-panel" },
      h("figcaption", {}, m.title),
      canvas,
      scaleBar(m.scale));
  });

  return h("div", { class: "heatmaps" },
    h("div", { class: "heat-row" }, ...panels),
    info);
}

export function scaleBar(max: number): HTMLElement {
  const bar = h("span", { class: "scale-bar" });
  const css = stops.map(([r, g, b]) => `rgb(${r}, ${g}, ${b})`).join(", ");
  bar.style.background = `linear-gradient(to right, ${css})`;
  return h("div", { class: "scale" }, h("span", {}, fmt(-max, 2)), bar, h("span", {}, fmt(max, 2)));
}
