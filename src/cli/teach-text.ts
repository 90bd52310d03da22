/**
 * The teaching verbs as a person reads them in a terminal: explain writes the
 * chain rule out in the lecture's notation with numbers, descent the two loss
 * curves side by side with a verdict, sweep a small table with a log bar per
 * step and the one sentence that says what it shows.
 */
import type { ChainStep, DescentResult, Explanation, SweepResult } from "../shared/teach.js";
import { fmt, table } from "./table.js";
import { DEFAULTS } from "../shared/defaults.js";

const idx = (index: number[]) => `[${index.join(", ")}]`;
/** 1e-6, not 0.000001. */
const stepText = (h: number) => h.toExponential().replace(/\.?0*e\+?/, "e");
/** a + b − c, with the signs as the lecture writes them. */
const sumText = (xs: number[]) => xs.map((x, k) => (k === 0 ? fmt(x) : x < 0 ? `− ${fmt(-x)}` : `+ ${fmt(x)}`)).join(" ");
/** The value a step is about: the node's output, or one of a multi-output node's ("cell:c"). */
const valueOf = (s: ChainStep) => s.value ?? s.node;
/** dL/d of a value: the loss itself is L. */
const valueName = (node: string, output: boolean) => (output ? "L" : node);

/** The factors as the lecture writes them (dL/dw = dL/dp · dp/dl · dl/dw), when the path is one chain. */
export function chainFormula(e: Explanation, output: string): string {
  const steps = e.path;
  const chain = steps.every((s, k) => (k + 1 < steps.length ? valueOf(steps[k + 1]) === s.local.wrt : true)) && new Set(steps.map(valueOf)).size === steps.length;
  if (!steps.length) return `dL/d${e.entry} = 0`;
  if (!chain) return `dL/d${e.entry} = Σ over the ${steps.length} factors below (a value used twice: the paths add up)`;
  const factors = steps.map((s, k) => `∂${valueName(valueOf(s), s.node === output)}/∂${k === steps.length - 1 ? e.entry : s.local.wrt}`);
  return `dL/d${e.entry} = ${factors.join(" · ")}`;
}

export function formatExplanation(e: Explanation, network: { name: string; output: string }): string {
  const lines = [
    `GradLens explain: ${e.entry} in ${network.name}, the chain rule from the loss down`,
    `(at each node: the upstream gradient dL/d(node) × the local gradient = what the node sends down;`,
    ` analytic = backprop through your backwards, numeric = central differences of the loss, h = ${stepText(e.step)})`,
    "",
    `  ${chainFormula(e, network.output)}`,
    "",
  ];
  e.path.forEach((s, k) => lines.push(...stepLines(s, k + 1, network.output, e.firstDeparture === s.node && firstOf(e, s))));
  lines.push(...termLines(e));
  lines.push(`total: dL/d${e.entry} analytic ${fmt(e.analytic)}, numeric ${fmt(e.numeric)} — ${e.agree ? "they agree" : "they DISAGREE"}`);
  if (e.identity) {
    const i = e.identity;
    const ok = Math.abs(i.value - e.numeric) <= DEFAULTS.atol + DEFAULTS.rtol * Math.abs(e.numeric);
    lines.push(`the lecture: ${i.formula} = (1/${i.batch})·(${sumText(i.terms.map((t) => t.product))}) = ${fmt(i.value)} ${ok ? "✓ (the numeric value)" : "✗ (not the numeric value)"}`);
    const [t] = i.terms;
    const why = t.x !== undefined ? "(pⱼ − yⱼ)·xᵢ is (−1/pₐ)·pₐ(yⱼ − pⱼ)·xᵢ: dL/dp · dp/dl · dl/dw"
      : t.w !== undefined ? "(pⱼ − yⱼ)·wⱼ,ᵢ is dL/dp · dp/dl · dl/dx" : "pⱼ − yⱼ is (−1/pₐ)·pₐ(yⱼ − pⱼ)·1: dL/dp · dp/dl · dl/db";
    lines.push(`  each term ${why} for one example, averaged over the batch (the lecture's Δw = −α·(pⱼ − yⱼ)·xᵢ)`);
  }
  if (e.firstDeparture) lines.push(`first departure: ${e.firstDeparture} — its backward sends down a gradient the numeric one does not match, while what it received agreed: the bug is there.`);
  else if (!e.agree) lines.push("no single node departs: the factors agree but their sum does not (gradients of a value used twice not added?).");
  for (const n of e.notes) lines.push(`note: ${n}`);
  return lines.join("\n");
}

function firstOf(e: Explanation, s: ChainStep): boolean {
  return e.path.find((x) => x.product.departs) === s;
}

function stepLines(s: ChainStep, n: number, output: string, departs: boolean): string[] {
  const L = valueName(valueOf(s), s.node === output);
  const up = s.upstreamAnalytic.length === 1
    ? `${fmt(s.upstreamAnalytic[0])} (numeric ${fmt(s.upstreamNumeric[0])})`
    : `${s.reached} entries, max |·| ${fmt(Math.max(...s.upstreamAnalytic.map(Math.abs)))}${s.upstreamDeparts ? " — departs from the numeric one" : ", agrees with the numeric one"}`;
  const lines = [
    `${n}. ${valueOf(s)} (${s.op})${s.local.formula ? `   ${s.local.formula}` : ""}`,
    `   upstream  dL/d${L} = ${up}`,
    `   local     ∂${L}/∂${s.local.wrt} on the way: ${s.reached} × ${s.product.reached} entries, ${s.local.analytic.filter((x) => x !== 0).length} of the ${s.local.analytic.length} shown non-zero`,
    `   sends     dL/d${s.local.wrt} = Σ upstream × local${s.product.departs ? "   ✗ departs" : ""}${departs ? "   ← first departure: the bug is in this node's backward" : ""}`,
  ];
  const rows = s.product.analytic.map((a, j) => ({ at: `${s.local.wrt}${idx(s.product.entries[j])}`, a, n: s.product.numeric[j] }));
  const shown = rows.sort((x, y) => Math.abs(y.n) + Math.abs(y.a) - Math.abs(x.n) - Math.abs(x.a)).slice(0, 6);
  lines.push(...table(["  entry", "analytic", "numeric"], shown.map((r) => [`  ${r.at}`, fmt(r.a), `${fmt(r.n)}${passesText(r.a, r.n)}`])).map((l) => "   " + l));
  if (s.product.reached > shown.length) lines.push(`      … and ${s.product.reached - shown.length} more`);
  lines.push("");
  return lines;
}

/** A mark beside a numeric value its analytic one misses (the check's default tolerances). */
const passesText = (a: number, n: number) => (Math.abs(a - n) <= DEFAULTS.atol + DEFAULTS.rtol * Math.abs(n) ? "" : "  ✗");

function termLines(e: Explanation): string[] {
  if (!e.terms.length) return [];
  // The entry may feed several values (a value used twice, or a cell's outputs h and c): a sum over each.
  const values = [...new Set(e.terms.map((t) => t.node))];
  const sum = values.length === 1 ? `Σ dL/d${values[0]}[·] · ∂${values[0]}[·]/∂${e.entry}` : `Σ over v in ${values.join(", ")} of Σ dL/dv[·] · ∂v[·]/∂${e.entry}`;
  const lines = [`the last sum, dL/d${e.entry} = ${sum} (largest terms first):`];
  lines.push(...table(["  term", "upstream (analytic | numeric)", "local", "product"],
    e.terms.map((t) => [`  ${t.node}${idx(t.index)}`, `${fmt(t.upstreamAnalytic)} | ${fmt(t.upstreamNumeric)}`, fmt(t.local), fmt(t.product)])));
  if (e.omittedTerms) lines.push(`    … and ${e.omittedTerms} more term${e.omittedTerms === 1 ? "" : "s"}, summing to ${fmt(e.omittedSum)}`);
  lines.push("");
  return lines;
}

export function formatDescent(d: DescentResult, network: string): string {
  const lines = [
    `GradLens descent: ${network}, ${d.steps} steps of Δθ = −α·∂L/∂θ with α = ${d.lr} on ${d.parameters.join(", ") || "no parameters"} (${d.entries} entries; the inputs stay fixed)`,
    "",
  ];
  const every = Math.max(1, Math.ceil(d.steps / 20));
  const rows = d.analytic.map((a, t) => ({ t, a, n: d.numeric[t] })).filter((r) => r.t % every === 0 || r.t === d.steps);
  lines.push(...table(["step", "loss, analytic gradient", "loss, numeric gradient", "difference"],
    rows.map((r) => [String(r.t), fmt(r.a), fmt(r.n), `${fmt(Math.abs(r.a - r.n))}${d.partsAt === r.t ? "  ← the curves part" : ""}`])));
  lines.push("");
  lines.push(`${d.agree ? "AGREE" : "PART"}: ${d.sentence} (largest difference ${fmt(d.maxDifference)}, tolerance ${fmt(d.tolerance)})`);
  return lines.join("\n");
}

const slope = (x: number) => (Number.isFinite(x) ? (Math.abs(x) < 0.005 ? 0 : x).toFixed(2) : "—");

export function formatSweep(s: SweepResult): string {
  const logs = s.points.map((p) => Math.log10(Math.max(p.error, 1e-18)));
  const lo = Math.min(...logs), hi = Math.max(...logs);
  const bar = (v: number) => "█".repeat(1 + Math.round(((v - lo) / Math.max(hi - lo, 1e-9)) * 40));
  const lines = [
    `GradLens sweep: ${s.node} (${s.op}), the worst entry's |a − n(h)| of its local Jacobian (${s.entries} entries) against the step h`,
    "",
    ...table(["h", "error", ""], s.points.map((p, k) => [p.h.toExponential(1).replace("e+", "e"), fmt(p.error), `${bar(logs[k])}${p.h === s.best.h ? "  ← best" : ""}`])),
    "",
    `slopes of log error against log h: right (h ≥ 1e-3) ${slope(s.slopes.right)}, middle ${slope(s.slopes.middle)}, left (h ≤ 1e-9) ${slope(s.slopes.left)}`,
    s.sentence,
  ];
  return lines.join("\n");
}
