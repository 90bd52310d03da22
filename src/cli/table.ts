/** The readable table: what a person scans first — per node status, worst error, and where failures are. */
import type { GradientReport, NodeReport, Report, Status } from "../shared/report.js";
import { unravel } from "../shared/arrays.js";

export interface Style {
  color: boolean;
}

const COLORS: Record<Status, string> = { pass: "\x1b[32m", fail: "\x1b[31;1m", kink: "\x1b[33m", skipped: "\x1b[90m" };

export function formatReport(report: Report, style: Style): string {
  const paint = (s: Status, text: string) => (style.color ? `${COLORS[s]}${text}\x1b[0m` : text);
  const statusText = (s: Status) => paint(s, s === "fail" ? "FAIL" : s);
  const lines: string[] = [];
  const file = report.network.file ? ` (${report.network.file})` : "";
  lines.push(`GradLens: ${report.network.name}${file}`);
  lines.push(`mode ${report.mode}, rtol ${report.rtol}, atol ${report.atol}, step ${report.step}, seed ${report.network.seed}, loss ${fmt(report.loss)}`);
  lines.push("");
  lines.push("Local checks, node by node (each node's Jacobian against central differences of that node alone):");
  lines.push(...table(
    ["node", "op", "status", "max rel err", "where / why"],
    report.nodes.map((n) => [n.id, n.op, statusText(n.status), n.status === "skipped" ? "-" : fmt(n.maxRelError), nodeWhere(n)]),
  ));
  if (report.gradients.length > 0) {
    lines.push("");
    lines.push("End to end, dL/dθ by backprop through the whole graph against central differences of the loss:");
    lines.push(...table(
      ["gradient", "shape", "checked", "status", "max rel err", "worst entry"],
      report.gradients.map((g) => [g.name, `[${g.shape.join(", ")}]`, `${g.checked}/${g.total}${g.sampled ? " sampled" : ""}`, statusText(g.status), g.status === "skipped" ? "-" : fmt(g.maxRelError), gradientWhere(g)]),
    ));
  }
  if (report.notes.length) {
    lines.push("");
    for (const note of report.notes) lines.push(`note: ${note}`);
  }
  lines.push("");
  const failing = report.nodes.filter((n) => n.status === "fail");
  const failingGrads = report.gradients.filter((g) => g.status === "fail");
  const kinks = report.nodes.filter((n) => n.status === "kink").length + report.gradients.filter((g) => g.status === "kink").length;
  const timing = `${(report.timings.totalMs / 1000).toFixed(2)} s`;
  if (report.ok) {
    lines.push(`${paint("pass", "PASS")}: every gradient matches its finite difference${kinks ? ` (${kinks} at a kink, where finite differences mean nothing)` : ""}; ${timing}.`);
  } else {
    lines.push(`${paint("fail", "FAIL")}: ${failing.length} node${failing.length === 1 ? "" : "s"} with a wrong local gradient, ${failingGrads.length} end-to-end gradient${failingGrads.length === 1 ? "" : "s"} wrong; ${timing}.`);
    for (const n of failing) {
      lines.push(`  ${n.id} (${n.op})${n.location ? ` at ${n.location.file}:${n.location.line}:${n.location.column}` : ""}: ${n.diagnosis ? `${n.diagnosis.kind}${n.diagnosis.factor !== undefined ? ` ×${fmtFactor(n.diagnosis.factor)}` : ""} — ${n.diagnosis.detail}` : "mismatch"}`);
    }
    if (failing.length === 0 && failingGrads.length > 0)
      lines.push(`  every node passes its local check, so the error is in how gradients are combined (${failingGrads.map((g) => g.name).join(", ")}).`);
    else if (failingGrads.length > 0 && failing.length > 0)
      lines.push(`  end-to-end gradients upstream of a failing node are wrong too: fix the node${failing.length > 1 ? "s" : ""} above first.`);
  }
  return lines.join("\n");
}

function nodeWhere(n: NodeReport): string {
  if (n.status === "skipped") return n.message ?? "";
  if (n.status === "pass") return n.jacobians.some((j) => j.sampled) ? "(sampled)" : "";
  const j = n.jacobians.find((x) => x.status === n.status) ?? n.jacobians[0];
  const w = j?.worst[0];
  const kind = n.diagnosis ? `${n.diagnosis.kind}${n.diagnosis.factor !== undefined ? ` ×${fmtFactor(n.diagnosis.factor)}` : ""}` : n.status === "kink" ? "kink" : "";
  if (!j || !w) return kind || (n.message ?? "");
  const at = w.index.length === 2 && j.rowIndices.length + j.colIndices.length > 0 ? ` at ∂${j.output ?? "out"}[${flat(w.index[0], j.outputShape)}]/∂${j.wrt}[${flat(w.index[1], j.wrtShape)}]` : ` (∂/∂${j.wrt})`;
  return `${kind}${at}: analytic ${fmt(w.analytic)}, numeric ${fmt(w.numeric)}`;
}

function gradientWhere(g: GradientReport): string {
  const w = g.worst[0];
  if (!w || g.status === "pass" || g.status === "skipped") return g.status === "skipped" ? "does not reach the loss" : "";
  const idx = w.index.length ? `[${w.index.join(", ")}]` : "⟨·, v⟩";
  return `${g.diagnosis ? g.diagnosis.kind + " " : ""}${idx}: analytic ${fmt(w.analytic)}, numeric ${fmt(w.numeric)}`;
}

function flat(k: number, shape: number[]): string {
  return unravel(k, shape).join(", ");
}

export function fmt(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  if (v === 0) return "0";
  const a = Math.abs(v);
  return a >= 1e-3 && a < 1e4 ? Number(v.toPrecision(4)).toString() : v.toExponential(1);
}

function fmtFactor(f: number): string {
  const inv = 1 / f;
  return Math.abs(inv - Math.round(inv)) < 1e-9 && Math.abs(inv) > 1 ? `1/${Math.round(inv)}` : fmt(f);
}

/** Left-aligned columns; ANSI colour codes do not count toward width. */
function table(head: string[], rows: string[][]): string[] {
  const width = (s: string) => s.replace(/\x1b\[[0-9;]*m/g, "").length;
  const widths = head.map((h, c) => Math.max(width(h), ...rows.map((r) => width(r[c]))));
  const line = (cells: string[]) => "  " + cells.map((cell, c) => (c === cells.length - 1 ? cell : cell + " ".repeat(widths[c] - width(cell)))).join("  ").trimEnd();
  return [line(head), ...rows.map(line)];
}
