/**
 * The selected node: status, diagnosis in words, each local Jacobian as heatmaps
 * with its worst entries, and the end-to-end gradients of its parameters.
 */
import type { Diagnosis, GradientReport, GraphView, JacobianReport, NodeReport, Report, Status, WorstEntry } from "../src/shared/report.js";
import { h } from "./dom.js";
import { fmt, fmtRel, indexText, shapeText } from "./format.js";
import { jacobianHeatmaps } from "./heatmap.js";

export const statusBadge = (status: Status | undefined): HTMLElement =>
  h("span", { class: `badge status-${status ?? "unchecked"}` }, status ?? "unchecked");

const diagnosisNames: Partial<Record<Diagnosis["kind"], string>> = {
  sign: "wrong sign",
  scale: "wrong scale",
  transpose: "transposed",
  "missing-off-diagonal": "missing off-diagonal terms",
  zero: "gradient is zero",
  "non-finite": "non-finite values",
  mismatch: "mismatch",
  "non-deterministic": "forward is not deterministic",
};

export function diagnosisText(d: Diagnosis): HTMLElement {
  return h("p", { class: "diagnosis" },
    h("strong", {}, `Diagnosis: ${diagnosisNames[d.kind] ?? d.kind}`),
    d.factor !== undefined ? ` (analytic ≈ ${fmt(d.factor)} × numeric)` : "",
    " — ", d.detail);
}

export interface DetailOptions {
  /** Offer "Go to definition" (only inside VS Code). */
  canReveal: boolean;
  onReveal(nodeId: string): void;
}

export function renderDetail(report: Report | undefined, view: GraphView, nodeId: string, opts: DetailOptions): HTMLElement {
  const node = report?.nodes.find((n) => n.id === nodeId);
  const input = view.inputs.find((i) => i.id === nodeId);
  const viewNode = view.nodes.find((n) => n.id === nodeId);
  const header = h("h2", { class: "detail-title" }, nodeId);
  if (input && !viewNode) {
    const grad = report?.gradients.find((g) => g.name === nodeId && !g.node);
    return h("section", { class: "detail", "data-node": nodeId }, header,
      h("p", {}, `Input ${shapeText(input.shape)}`, input.classes !== undefined ? `, integer labels in [0, ${input.classes}) — never differentiated` : input.constant ? ", constant — never differentiated" : ""),
      grad ? gradientsTable([grad]) : null);
  }
  if (!viewNode) return h("section", { class: "detail" }, h("p", {}, `No node named ${nodeId}.`));
  const reveal = opts.canReveal && viewNode.location
    ? h("button", { type: "button", class: "link" }, "Go to definition")
    : null;
  reveal?.addEventListener("click", () => opts.onReveal(nodeId));
  const section = h("section", { class: "detail", "data-node": nodeId },
    header,
    h("p", { class: "detail-meta" },
      statusBadge(node?.status ?? viewNode.status), " ",
      h("code", {}, viewNode.op), ` — inputs ${viewNode.inputs.map((id, i) => `${id} ${shapeText(viewNode.inputShapes[i] ?? [])}`).join(", ")}`,
      viewNode.outputs
        ? ` → outputs ${viewNode.outputs.map((o) => `${o.name} ${shapeText(o.shape)}`).join(", ")}`
        : ` → output ${shapeText(viewNode.outputShape)}`,
      viewNode.params.length ? ` — params ${viewNode.params.map((p) => `${p.name} ${shapeText(p.shape)}`).join(", ")}` : "",
      node && node.status !== "skipped" ? ` — max rel. error ${fmtRel(node.maxRelError)}` : "",
      viewNode.location ? ` — ${viewNode.location.file}:${viewNode.location.line}` : "",
      reveal ? " " : "", reveal),
  );
  if (!node) {
    section.append(h("p", { class: "muted" }, "Not checked yet."));
    return section;
  }
  if (node.diagnosis) section.append(diagnosisText(node.diagnosis));
  if (node.message) section.append(h("p", { class: "message" }, node.message));
  for (const jac of node.jacobians) section.append(jacobianSection(node, jac));
  const grads = report!.gradients.filter((g) => g.node === node.id);
  if (grads.length) section.append(h("h3", {}, "End-to-end gradients ∂L/∂θ"), gradientsTable(grads));
  return section;
}

function jacobianSection(node: NodeReport, jac: JacobianReport): HTMLElement {
  const shown = jac.rowIndices.length * jac.colIndices.length;
  const sampledNote = jac.sampled
    ? h("p", { class: "sampled" },
      `Sampled: ${jac.checked} of ${jac.rows * jac.cols} entries checked; showing ${jac.rowIndices.length} of ${jac.rows} rows × ${jac.colIndices.length} of ${jac.cols} columns (grey: not computed).`)
    : shown < jac.rows * jac.cols
      ? h("p", { class: "sampled" }, `Showing ${jac.rowIndices.length} × ${jac.colIndices.length} of ${jac.rows} × ${jac.cols}.`)
      : null;
  // A multi-output node's Jacobians are per output: ∂cell:h / ∂x.
  const of = jac.output !== undefined ? `${node.id}:${jac.output}` : node.id;
  return h("section", { class: "jacobian", "data-wrt": jac.wrt, ...(jac.output !== undefined ? { "data-output": jac.output } : {}) },
    h("h3", {}, `∂${of} / ∂${jac.wrt} `,
      h("span", { class: "muted" }, `(${jac.kind}, ${jac.rows} × ${jac.cols}: rows = output ${shapeText(jac.outputShape)}, cols = ${jac.wrt} ${shapeText(jac.wrtShape)})`),
      " ", statusBadge(jac.status), " ", h("span", { class: "muted" }, `max rel. error ${fmtRel(jac.maxRelError)}`)),
    sampledNote,
    // The node's own diagnosis is shown above; repeat a Jacobian's only when it says something else.
    jac.diagnosis && jac.diagnosis.detail !== node.diagnosis?.detail ? diagnosisText(jac.diagnosis) : null,
    jac.rowIndices.length && jac.colIndices.length ? jacobianHeatmaps(jac, of) : null,
    jac.worst.length ? worstTable(jac.worst, (e) => `${indexText(e.index[0], jac.outputShape)} / ${indexText(e.index[1], jac.wrtShape)}`, "output / input") : null);
}

function worstTable(worst: WorstEntry[], where: (e: WorstEntry) => string, whereTitle: string): HTMLElement {
  return h("table", { class: "worst" },
    h("caption", {}, "Worst entries"),
    h("thead", {}, h("tr", {}, ...[whereTitle, "analytic", "numeric", "rel. error", "status"].map((t) => h("th", {}, t)))),
    h("tbody", {}, ...worst.map((e) => h("tr", {},
      h("td", {}, where(e)), h("td", { class: "num" }, fmt(e.analytic)), h("td", { class: "num" }, fmt(e.numeric)),
      h("td", { class: "num" }, fmtRel(e.relError)), h("td", {}, e.status ? statusBadge(e.status) : "")))));
}

function gradientsTable(grads: GradientReport[]): HTMLElement {
  return h("div", { class: "gradients" }, ...grads.map((g) => h("div", { class: "gradient" },
    h("p", {}, h("code", {}, g.name), ` ${shapeText(g.shape)} `, statusBadge(g.status),
      ` max rel. error ${fmtRel(g.maxRelError)} — ${g.checked} of ${g.total} checked${g.sampled ? " (sampled)" : ""}`),
    g.diagnosis ? diagnosisText(g.diagnosis) : null,
    g.worst.length ? worstTable(g.worst, (e) => shapeText(e.index), "index") : null)));
}
