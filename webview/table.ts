/**
 * The mismatch table: every failing or kinked node and end-to-end gradient, fails
 * before kinks, worst relative error first. Click or Enter selects the node.
 */
import type { Diagnosis, Report, Status } from "../src/shared/report.js";
import { activatable, h } from "./dom.js";
import { fmtRel } from "./format.js";
import { statusBadge } from "./detail.js";

export interface Mismatch {
  kind: "node" | "gradient";
  name: string;
  /** The graph node to select (a gradient's node, or the input itself). */
  nodeId: string;
  op: string;
  status: Status;
  maxRelError: number;
  diagnosis?: Diagnosis;
}

const severity: Record<Status, number> = { fail: 0, kink: 1, skipped: 2, pass: 3 };

export function mismatches(report: Report): Mismatch[] {
  const opOf = new Map(report.nodes.map((n) => [n.id, n.op]));
  const rows: Mismatch[] = [
    ...report.nodes.filter((n) => n.status === "fail" || n.status === "kink").map((n): Mismatch => ({
      kind: "node", name: n.id, nodeId: n.id, op: n.op, status: n.status, maxRelError: n.maxRelError, diagnosis: n.diagnosis,
    })),
    ...report.gradients.filter((g) => g.status === "fail" || g.status === "kink").map((g): Mismatch => ({
      kind: "gradient", name: g.name, nodeId: g.node ?? g.name, op: g.node ? opOf.get(g.node) ?? "" : "input",
      status: g.status, maxRelError: g.maxRelError, diagnosis: g.diagnosis,
    })),
  ];
  // NaN/null relative errors (non-finite values) count as the worst.
  const rel = (m: Mismatch) => (typeof m.maxRelError === "number" && !Number.isNaN(m.maxRelError) ? m.maxRelError : Infinity);
  return rows.sort((a, b) => severity[a.status] - severity[b.status] || rel(b) - rel(a));
}

export function renderMismatchTable(report: Report, onSelect: (nodeId: string) => void): HTMLElement {
  const rows = mismatches(report);
  if (rows.length === 0) {
    return h("p", { class: "all-pass" }, `No mismatches: all ${report.nodes.length} nodes and ${report.gradients.length} gradients pass.`);
  }
  return h("table", { class: "mismatches" },
    h("thead", {}, h("tr", {}, ...["", "node / gradient", "op", "status", "max rel. error", "diagnosis"].map((t) => h("th", {}, t)))),
    h("tbody", {}, ...rows.map((m) => {
      const tr = h("tr", { "data-node": m.nodeId, "data-name": m.name, "aria-label": `Select ${m.nodeId}` },
        h("td", { class: "muted" }, m.kind === "node" ? "local" : "end-to-end"),
        h("td", {}, h("code", {}, m.name)),
        h("td", {}, m.op),
        h("td", {}, statusBadge(m.status)),
        h("td", { class: "num" }, fmtRel(m.maxRelError)),
        h("td", {}, m.diagnosis ? `${m.diagnosis.region ? `${m.diagnosis.kind} (${m.diagnosis.region}): ` : ""}${m.diagnosis.detail}` : ""));
      activatable(tr, () => onSelect(m.nodeId));
      return tr;
    })));
}
