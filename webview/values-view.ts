/**
 * Values and gradients on the graph (micrograd's data and grad on every node):
 * a one-line summary per node for its label, and for the selected node its
 * forward value and its upstream gradient dL/d(node) as heatmaps — analytic,
 * numeric, difference — with its parameters' dL/dθ, whose cells explain.
 */
import type { GradientValues, NetworkValues, NodeValues } from "../src/shared/teach.js";
import { h } from "./dom.js";
import { fmt } from "./format.js";
import { tensorHeatmaps } from "./tensor-heatmap.js";

/** The label line of one node: its value and its upstream gradient, ✓ where analytic matches numeric. */
export function nodeSummary(n: NodeValues): string {
  const value = n.value.length === 1 ? `${fmt(n.value[0], 3)}` : `mean ${fmt(n.valueMean, 3)}`;
  if (n.unused) return `${value} · unused`;
  const grad = n.upstreamAnalytic.length === 1 ? `dL/d ${fmt(n.upstreamAnalytic[0], 3)}` : `dL/d ≤ ${fmt(n.gradMaxAbs, 3)}`;
  return `${value} · ${grad} ${n.departs ? "✗" : "✓"}`;
}

export function summaries(values: NetworkValues): Record<string, string> {
  return Object.fromEntries(values.nodes.map((n) => [n.id, nodeSummary(n)]));
}

/** At every entry: the analytic values, and the numeric ones where computed (NaN elsewhere). */
function spread(size: number, analytic: number[], numeric: number[], indices: number[] | null): { a: number[]; n: number[] } {
  if (!indices) return { a: analytic, n: numeric };
  const a = new Array<number>(size).fill(NaN), n = new Array<number>(size).fill(NaN);
  indices.forEach((flat, k) => {
    a[flat] = analytic[k];
    n[flat] = numeric[k];
  });
  return { a, n };
}

const panels = (a: number[], n: number[]) => [
  { title: "analytic (backprop)", values: a },
  { title: "numeric (central differences)", values: n },
  { title: "difference", values: a.map((x, i) => x - n[i]) },
];

export function nodeValuesSection(n: NodeValues, grads: GradientValues[], explain: (entry: string) => void): HTMLElement {
  const size = n.shape.reduce((s, d) => s * d, 1);
  const up = spread(size, n.upstreamAnalytic, n.upstreamNumeric, n.numericIndices);
  return h("section", { class: "node-values", "data-node": n.id },
    h("h3", {}, `Forward value and upstream gradient dL/d${n.id} `, h("span", { class: `badge ${n.departs ? "status-fail" : "status-pass"}` }, n.departs ? "analytic ≠ numeric" : "analytic = numeric")),
    h("p", { class: "muted" }, `${nodeSummary(n)}; largest |analytic − numeric| ${fmt(n.maxDifference)}${n.numericIndices ? ` (numeric at ${n.numericIndices.length} sampled entries)` : ""}.`),
    n.value.length ? tensorHeatmaps({ name: n.id, shape: n.shape, panels: [{ title: "forward value", values: n.value }] }) : h("p", { class: "muted" }, "Too large to show whole."),
    n.unused ? h("p", { class: "muted" }, "This node does not reach the loss: no upstream gradient.")
      : tensorHeatmaps({ name: `dL/d${n.id}`, shape: n.shape, panels: panels(up.a, up.n) }),
    ...grads.map((g) => gradientSection(g, explain)));
}

export function gradientSection(g: GradientValues, explain: (entry: string) => void): HTMLElement {
  const size = g.shape.reduce((s, d) => s * d, 1);
  const { a, n } = spread(size, g.analytic, g.numeric, g.numericIndices);
  const index = (flat: number) => {
    const idx: number[] = [];
    for (let d = g.shape.length - 1; d >= 0; d--) {
      idx.unshift(flat % g.shape[d]);
      flat = Math.floor(flat / g.shape[d]);
    }
    return idx;
  };
  return h("section", { class: "gradient-values", "data-name": g.name },
    h("h3", {}, `End-to-end gradient dL/d${g.name}`),
    tensorHeatmaps({ name: g.name, shape: g.shape, panels: panels(a, n), hint: "click to explain this entry", onCell: (flat) => explain(`${g.name}[${index(flat).join(",")}]`) }));
}
