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
  const suspects = report.nodes.filter((n) => n.suspect && n.status !== "fail");
  if (report.ok) {
    lines.push(`${paint("pass", "PASS")}: every gradient matches its finite difference${kinks ? ` (${kinks} at a kink, where finite differences mean nothing)` : ""}${report.suspect ? "; some entries are suspect (see the note): --strict fails on them" : ""}; ${timing}.`);
    for (const n of suspects) lines.push(`  ${n.id} (${n.op})${at(n)}: suspect — ${suspectText(n)}`);
  } else {
    lines.push(`${paint("fail", "FAIL")}: ${failing.length} node${failing.length === 1 ? "" : "s"} with a wrong local gradient, ${failingGrads.length} end-to-end gradient${failingGrads.length === 1 ? "" : "s"} wrong${report.strict && report.suspect && failing.length === 0 && failingGrads.length === 0 ? ", suspect entries (--strict)" : ""}; ${timing}.`);
    for (const n of failing) {
      const d = n.diagnosis;
      lines.push(`  ${n.id} (${n.op})${at(n)}: ${d ? `${d.kind}${d.factor !== undefined ? ` ×${fmtFactor(d.factor)}` : ""}${d.region ? ` (${d.region})` : ""} — ${d.detail}` : "mismatch"}`);
    }
    for (const n of suspects) lines.push(`  ${n.id} (${n.op})${at(n)}: suspect — ${suspectText(n)}`);
    if (failing.length === 0 && failingGrads.length > 0) lines.push(`  ${endToEndOnly(report, failingGrads)}`);
    else if (failingGrads.length > 0 && failing.length > 0)
      lines.push(`  end-to-end gradients upstream of a failing node are wrong too: fix the node${failing.length > 1 ? "s" : ""} above first.`);
  }
  return lines.join("\n");
}

/** " at FILE:LINE:COL": where to fix a user op (its backward), else where the node is defined. */
function at(n: NodeReport): string {
  const l = n.backwardLocation ?? n.location;
  return l ? ` at ${l.file}:${l.line}:${l.column}` : "";
}

function suspectText(n: NodeReport): string {
  const entries = n.jacobians.flatMap((j) => j.worst.filter((w) => w.suspect).map((w) => ({ j, w })));
  const worst = entries.sort((a, b) => b.w.relError - a.w.relError)[0];
  const count = n.jacobians.reduce((s, j) => s + (j.suspectEntries ?? 0), 0);
  if (!worst) return "entries pass the tolerance but are far above their finite-difference error";
  return `${count} entr${count === 1 ? "y passes" : "ies pass"} the tolerance but ${count === 1 ? "is" : "are"} far above ${count === 1 ? "its" : "their"} finite-difference error (relative error up to ${fmt(worst.w.relError)} in ∂${n.id}/∂${worst.j.wrt}, the difference's own error about ${fmt(worst.w.estimatedError ?? 0)}): a real error in float64, not noise`;
}

/**
 * Every node passed its local check and an end-to-end gradient failed: say
 * what that rules out, and name the cause only as far as the evidence goes.
 * "How gradients are combined" is the cause only when every local check was
 * complete and clean (each node's Jacobian entry by entry, its backward linear
 * in gradOutput, no writes into what it was handed, the same output on
 * repeated calls — all part of a node's local check) and no node is suspect.
 */
function endToEndOnly(report: Report, failingGrads: GradientReport[]): string {
  const names = failingGrads.map((g) => g.name).join(", ");
  const suspect = report.nodes.filter((n) => n.suspect).map((n) => n.id);
  if (suspect.length)
    return `every node passes its local check, but ${suspect.join(", ")} ${suspect.length === 1 ? "is" : "are"} suspect: small errors that pass locally can add up end to end (${names}) — fix ${suspect.length === 1 ? "it" : "them"} first.`;
  const kinks = report.nodes.filter((n) => n.status === "kink").map((n) => n.id);
  const sampled = report.nodes.filter((n) => n.jacobians.some((j) => j.sampled)).map((n) => n.id);
  const unchecked = report.nodes.filter((n) => n.status === "skipped" && n.jacobians.length > 0).map((n) => n.id);
  if (report.mode === "fast")
    return `every node passes its local check in fast mode (one random direction each), and ${names} ${failingGrads.length === 1 ? "fails" : "fail"} end to end: check with --mode exhaustive to find the node.`;
  if (sampled.length)
    return `every node passes its local check, but ${sampled.join(", ")} ${sampled.length === 1 ? "was" : "were"} sampled, not checked entry by entry: the error may be in an entry not sampled (a larger --jacobian-limit checks them all) (${names}).`;
  if (kinks.length || unchecked.length)
    return `every node passes its local check or sits at a kink (${[...kinks, ...unchecked].join(", ")}), where finite differences cannot judge it: the end-to-end failure (${names}) may come from the kink itself.`;
  return `every node passes its local check — its Jacobian entry by entry, its backward linear in the upstream gradient, no writes into its inputs, the same output on repeated calls — so the error is in how gradients are combined between nodes (${names}): a value used by two nodes whose gradients are not summed, or the graph's wiring.`;
}

function nodeWhere(n: NodeReport): string {
  if (n.status === "skipped") return n.message ?? "";
  if (n.status === "pass") return `${n.jacobians.some((j) => j.sampled) ? "(sampled)" : ""}${n.suspect ? `${n.jacobians.some((j) => j.sampled) ? " " : ""}suspect: passes, far above its finite-difference error` : ""}`;
  const j = n.jacobians.find((x) => x.status === n.status) ?? n.jacobians[0];
  const w = j?.worst[0];
  const kind = n.diagnosis ? `${n.diagnosis.kind}${n.diagnosis.factor !== undefined ? ` ×${fmtFactor(n.diagnosis.factor)}` : ""}${n.diagnosis.region ? ` (${n.diagnosis.region})` : ""}` : n.status === "kink" ? "kink" : "";
  if (!j || !w) return kind || (n.message ?? "");
  const at = w.index.length === 2 && j.rowIndices.length + j.colIndices.length > 0 ? ` at ∂out[${flat(w.index[0], j.outputShape)}]/∂${j.wrt}[${flat(w.index[1], j.wrtShape)}]` : ` (∂/∂${j.wrt})`;
  return `${kind}${at}: analytic ${fmt(w.analytic)}, numeric ${fmt(w.numeric)}`;
}

function gradientWhere(g: GradientReport): string {
  const w = g.worst[0];
  if (g.status === "pass" && g.suspect) return "suspect: passes, far above its finite-difference error";
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
