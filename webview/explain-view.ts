/**
 * The Explain view: the chain rule for one entry, with numbers — one card per
 * factor from the loss down (the upstream gradient analytic beside numeric, the
 * local derivative, what the node sends down), the last sum's terms, the totals
 * and, on the lecture's network, its identity (pⱼ − yⱼ)·xᵢ. The first node whose
 * backward departs from the numeric truth is marked: that is where the bug is.
 */
import type { ChainStep, Explanation } from "../src/shared/teach.js";
import { h } from "./dom.js";
import { fmt } from "./format.js";
import { tensorHeatmaps } from "./tensor-heatmap.js";

const idx = (index: number[]) => `[${index.join(", ")}]`;
const close = (a: number, n: number) => Math.abs(a - n) <= 1e-5 + 1e-3 * Math.abs(n);

export interface ExplainOptions {
  /** The loss node's id (its output is L). */
  output: string;
  onSelectNode(id: string): void;
}

export function renderExplanation(e: Explanation, opts: ExplainOptions): HTMLElement {
  const name = (node: string) => (node === opts.output ? "L" : node);
  const chain = e.path.length ? e.path.map((s, k) => `∂${name(s.value ?? s.node)}/∂${k === e.path.length - 1 ? e.entry : s.local.wrt}`).join(" · ") : "0";
  return h("section", { class: "explanation", "data-entry": e.entry },
    h("h3", {}, `Explain dL/d${e.entry}`, " ", h("span", { class: `badge ${e.agree ? "status-pass" : "status-fail"}` }, e.agree ? "agree" : "disagree")),
    h("p", { class: "chain" }, h("code", {}, `dL/d${e.entry} = ${chain}`)),
    h("p", { class: "muted" }, "From the loss down: at each node the upstream gradient dL/d(node) × the local gradient = what the node sends down. Analytic = backprop through the backwards; numeric = central differences of the loss."),
    h("ol", { class: "chain-steps" }, ...e.path.map((s) => stepCard(s, { departure: e.path.find((x) => x.product.departs) === s, L: name(s.value ?? s.node), onSelect: opts.onSelectNode }))),
    termsTable(e),
    h("p", { class: "totals" }, `Total: analytic ${fmt(e.analytic)}, numeric ${fmt(e.numeric)} — `, h("strong", { class: e.agree ? "status-pass" : "status-fail" }, e.agree ? "they agree" : "they disagree")),
    e.identity ? identity(e) : null,
    e.firstDeparture
      ? h("p", { class: "departure-note" }, h("strong", {}, `First departure: ${e.firstDeparture}`), ` — its backward sends down a gradient that the numeric one does not match, while what it received agreed: the bug is in ${e.firstDeparture}'s backward.`)
      : !e.agree ? h("p", { class: "departure-note" }, "No single node departs: the factors agree but their sum does not (the gradients of a value used twice not added?).") : null,
    ...e.notes.map((n) => h("p", { class: "muted" }, n)));
}

function stepCard(s: ChainStep, at: { departure: boolean; L: string; onSelect(id: string): void }): HTMLElement {
  // A node with several outputs has a step per output: the button names the output ("cell:c") and selects the node.
  const select = h("button", { type: "button", class: "link" }, s.value ?? s.node);
  select.addEventListener("click", () => at.onSelect(s.node));
  const upstream = s.upstreamAnalytic.length === 1
    ? `${fmt(s.upstreamAnalytic[0])} (numeric ${fmt(s.upstreamNumeric[0])})`
    : `${s.reached} entries, ${s.upstreamDeparts ? "departs from" : "agrees with"} the numeric one`;
  const card = h("li", { class: `chain-step${at.departure ? " departure" : ""}${s.product.departs ? " departs" : ""}`, "data-node": s.node },
    h("div", { class: "step-head" }, select, ` (${s.op}) `, at.departure ? h("span", { class: "badge status-fail" }, "first departure — the bug is here") : null),
    s.local.formula ? h("div", { class: "formula" }, h("code", {}, s.local.formula)) : null,
    h("div", {}, h("strong", {}, "upstream "), h("code", {}, `dL/d${at.L}`), ` = ${upstream}`),
    s.upstreamAnalytic.length > 1 ? pairs(s.entries.map((e) => `${s.value ?? s.node}${idx(e)}`), s.upstreamAnalytic, s.upstreamNumeric) : null,
    h("div", {}, h("strong", {}, "local "), h("code", {}, `∂${at.L}/∂${s.local.wrt}`), ` on the way: ${s.reached} × ${s.product.reached} entries`),
    s.local.rows.length * s.local.cols.length > 1 ? tensorHeatmaps({
      name: `∂${at.L}/∂${s.local.wrt}`, shape: [s.local.rows.length, s.local.cols.length],
      entryName: (flat) => `∂${at.L}${idx(s.local.rows[Math.floor(flat / s.local.cols.length)])}/∂${s.local.wrt}${idx(s.local.cols[flat % s.local.cols.length])}`,
      panels: [{ title: "local, analytic (backward)", values: s.local.analytic }, { title: "local, numeric (forward)", values: s.local.numeric }],
    }) : h("div", { class: "muted" }, `∂${at.L}/∂${s.local.wrt} = ${fmt(s.local.analytic[0])} (numeric ${fmt(s.local.numeric[0])})`),
    h("div", {}, h("strong", {}, "sends down "), h("code", {}, `dL/d${s.local.wrt}`), " = Σ upstream × local", s.product.departs ? h("span", { class: "status-fail" }, " ✗ departs") : h("span", { class: "status-pass" }, " ✓")),
    pairs(s.product.entries.map((e) => `${s.local.wrt}${idx(e)}`), s.product.analytic, s.product.numeric));
  return card;
}

/** Entries with their analytic and numeric values, a wrong one marked; the largest six. */
function pairs(names: string[], analytic: number[], numeric: number[]): HTMLElement {
  const order = names.map((_, k) => k).sort((a, b) => Math.abs(numeric[b]) + Math.abs(analytic[b]) - Math.abs(numeric[a]) - Math.abs(analytic[a]));
  const shown = order.slice(0, 6);
  return h("table", { class: "pairs" },
    h("thead", {}, h("tr", {}, h("th", {}, "entry"), h("th", {}, "analytic"), h("th", {}, "numeric"))),
    h("tbody", {}, ...shown.map((k) => h("tr", { class: close(analytic[k], numeric[k]) ? "" : "wrong" },
      h("td", {}, h("code", {}, names[k])), h("td", { class: "num" }, fmt(analytic[k])), h("td", { class: "num" }, `${fmt(numeric[k])}${close(analytic[k], numeric[k]) ? "" : " ✗"}`)))),
    names.length > shown.length ? h("caption", {}, `the largest ${shown.length} of ${names.length}`) : null);
}

function termsTable(e: Explanation): HTMLElement | null {
  if (!e.terms.length) return null;
  return h("table", { class: "terms" },
    h("caption", {}, `The last sum, dL/d${e.entry} = Σ upstream · local, largest terms first${e.omittedTerms ? ` (${e.omittedTerms} more, summing to ${fmt(e.omittedSum)})` : ""}`),
    h("thead", {}, h("tr", {}, ...["term", "upstream (analytic)", "upstream (numeric)", "local", "product"].map((t) => h("th", {}, t)))),
    h("tbody", {}, ...e.terms.map((t) => h("tr", { class: close(t.upstreamAnalytic, t.upstreamNumeric) ? "" : "wrong" },
      h("td", {}, h("code", {}, `${t.node}${idx(t.index)}`)), h("td", { class: "num" }, fmt(t.upstreamAnalytic)), h("td", { class: "num" }, fmt(t.upstreamNumeric)),
      h("td", { class: "num" }, fmt(t.local)), h("td", { class: "num" }, fmt(t.product))))));
}

function identity(e: Explanation): HTMLElement {
  const i = e.identity!;
  const matches = close(i.value, e.numeric);
  const sum = i.terms.map((t, k) => (k === 0 ? fmt(t.product) : t.product < 0 ? ` − ${fmt(-t.product)}` : ` + ${fmt(t.product)}`)).join("");
  return h("div", { class: "identity" },
    h("strong", {}, "The lecture's identity: "), h("code", {}, `dL/d${e.entry} = ${i.formula}`), ` = (1/${i.batch})·(${sum}) = `,
    h("strong", {}, fmt(i.value)), matches ? h("span", { class: "status-pass" }, " ✓ the numeric value") : h("span", { class: "status-fail" }, " ✗"),
    h("div", { class: "muted" }, "Each term (pⱼ − yⱼ)·xᵢ is (−1/pₐ)·pₐ(yⱼ − pⱼ)·xᵢ: dL/dp · dp/dl · dl/dw for one example, averaged over the batch — the lecture's Δw = −α·(pⱼ − yⱼ)·xᵢ."));
}
