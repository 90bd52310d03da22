/**
 * The selected node: status, diagnosis in words, each local Jacobian as heatmaps
 * with its worst entries, and the end-to-end gradients of its parameters.
 */
import type { Diagnosis, GradientReport, GraphView, JacobianReport, NodeReport, Report, Status, WorstEntry } from "../src/shared/report.js";
import { activatable, h } from "./dom.js";
import { fmt, fmtRel, indexText, shapeText, unravel } from "./format.js";
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
  "non-deterministic": "not deterministic",
  "ignores-upstream": "ignores the upstream gradient",
  sparsity: "wrong zero pattern",
  partial: "wrong on a part",
  "mutates-input": "writes into its inputs",
};

export function diagnosisText(d: Diagnosis): HTMLElement {
  return h("p", { class: "diagnosis" },
    h("strong", {}, `Diagnosis: ${diagnosisNames[d.kind] ?? d.kind}`),
    d.region ? h("span", { class: "region" }, ` ${d.region}`) : "",
    d.factor !== undefined ? ` (analytic ≈ ${fmt(d.factor)} × numeric${d.region ? " there" : ""})` : "",
    " — ", d.detail);
}

export interface DetailOptions {
  /** Offer "Go to definition" (only inside VS Code). */
  canReveal: boolean;
  onReveal(nodeId: string): void;
  /** Explain an entry (`fc.W[1,0]`): a click on a gradient's worst entry or a Jacobian cell of a parameter or input. */
  explain?(entry: string): void;
  /** Shown under the header: the node's value and upstream gradient. */
  extra?: HTMLElement | null;
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
      opts.extra ?? null,
      grad ? gradientsTable([grad], opts.explain) : null);
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
      node?.backwardLocation ? h("span", { class: "backward-location" }, ` — backward at ${node.backwardLocation.file}:${node.backwardLocation.line}`) : "",
      reveal ? " " : "", reveal),
  );
  if (!node) {
    section.append(h("p", { class: "muted" }, "Not checked yet."));
    if (opts.extra) section.append(opts.extra);
    return section;
  }
  if (node.diagnosis) section.append(diagnosisText(node.diagnosis));
  if (node.suspect && node.status !== "fail")
    section.append(h("p", { class: "suspect" }, h("strong", {}, "Suspect: "), "some entries pass the tolerance but are far above their own finite-difference error — in float64 a real error, not noise (the worst entries below are marked)."));
  if (node.message) section.append(h("p", { class: "message" }, node.message));
  if (opts.extra) section.append(opts.extra);
  const explainable = new Set(report!.gradients.filter((g) => !g.node).map((g) => g.name));
  for (const jac of node.jacobians) section.append(jacobianSection(node, jac, jacobianClick(node, jac, explainable, opts.explain)));
  const grads = report!.gradients.filter((g) => g.node === node.id);
  if (grads.length) section.append(h("h3", {}, "End-to-end gradients ∂L/∂θ"), gradientsTable(grads, opts.explain));
  return section;
}

/** A click on a Jacobian's column explains that entry, when it is a parameter's or a differentiable input's. */
function jacobianClick(node: NodeReport, jac: JacobianReport, inputs: Set<string>, explain?: (entry: string) => void): ((row: number, col: number) => void) | undefined {
  if (!explain || (jac.kind === "input" && !inputs.has(jac.wrt))) return undefined;
  const tensor = jac.kind === "param" ? `${node.id}.${jac.wrt}` : jac.wrt;
  return (_row, col) => explain(`${tensor}[${unravel(col, jac.wrtShape).join(",")}]`);
}

function jacobianSection(node: NodeReport, jac: JacobianReport, onCell?: (row: number, col: number) => void): HTMLElement {
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
    jac.rowIndices.length && jac.colIndices.length ? jacobianHeatmaps(jac, of, onCell) : null,
    onCell ? h("p", { class: "muted hint" }, `Click a cell to explain that entry of ${jac.kind === "param" ? `${node.id}.${jac.wrt}` : jac.wrt} (its column).`) : null,
    jac.worst.length ? worstTable(jac.worst, (e) => `${indexText(e.index[0], jac.outputShape)} / ${indexText(e.index[1], jac.wrtShape)}`, "output / input") : null);
}

function worstTable(worst: WorstEntry[], where: (e: WorstEntry) => string, whereTitle: string, onRow?: (e: WorstEntry) => void): HTMLElement {
  return h("table", { class: `worst${onRow ? " explainable" : ""}` },
    h("caption", {}, "Worst entries"),
    h("thead", {}, h("tr", {}, ...[whereTitle, "analytic", "numeric", "rel. error", "status"].map((t) => h("th", {}, t)))),
    h("tbody", {}, ...worst.map((e) => {
      const attrs: Record<string, string> = onRow ? { title: "Explain this entry", "data-index": e.index.join(",") } : {};
      if (e.suspect) attrs.class = "suspect";
      const tr = h("tr", attrs,
        h("td", {}, where(e)), h("td", { class: "num" }, fmt(e.analytic)), h("td", { class: "num" }, fmt(e.numeric)),
        h("td", { class: "num" }, fmtRel(e.relError)),
        h("td", {}, e.status ? statusBadge(e.status) : "", e.suspect ? h("span", { class: "badge status-suspect", title: `finite-difference error about ${fmt(e.estimatedError ?? 0)}` }, "suspect") : ""));
      if (onRow) activatable(tr, () => onRow(e));
      return tr;
    })));
}

function gradientsTable(grads: GradientReport[], explain?: (entry: string) => void): HTMLElement {
  return h("div", { class: "gradients" }, ...grads.map((g) => h("div", { class: "gradient" },
    h("p", {}, h("code", {}, g.name), ` ${shapeText(g.shape)} `, statusBadge(g.status),
      ` max rel. error ${fmtRel(g.maxRelError)} — ${g.checked} of ${g.total} checked${g.sampled ? " (sampled)" : ""}`),
    g.diagnosis ? diagnosisText(g.diagnosis) : null,
    g.worst.length ? worstTable(g.worst, (e) => shapeText(e.index), "index",
      explain && g.worst[0]?.index.length === g.shape.length ? (e) => explain(`${g.name}[${e.index.join(",")}]`) : undefined) : null)));
}
