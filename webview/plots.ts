/**
 * The Descent tab (both loss curves of gradient descent, analytic and numeric)
 * and the Step size plot (a node's worst-entry error against h, log-log), each a
 * chart with its sentence.
 */
import type { DescentResult, SweepResult } from "../src/shared/teach.js";
import { h } from "./dom.js";
import { fmt } from "./format.js";
import { lineChart } from "./chart.js";

export function renderDescent(d: DescentResult): HTMLElement {
  const curve = (losses: number[], what: string) => losses.map((y, x) => ({ x, y, note: `step ${x}: loss ${fmt(y)} (${what} gradient)` }));
  const chart = lineChart({
    title: `Gradient descent, Δθ = −α·∂L/∂θ with α = ${d.lr}`,
    x: { label: "step", integer: true }, y: { label: "loss L" },
    series: [
      { name: "analytic gradient (backprop)", className: "series-analytic", points: curve(d.analytic, "analytic") },
      { name: "numeric gradient (finite differences)", className: "series-numeric", points: curve(d.numeric, "numeric") },
    ],
    markers: d.partsAt !== null ? [{ x: d.partsAt, label: `the curves part (step ${d.partsAt})`, className: "marker-part" }] : [],
  });
  return h("section", { class: "plot descent", "data-agree": String(d.agree) },
    chart,
    h("p", { class: `sentence ${d.agree ? "status-pass" : "status-fail"}` }, h("strong", {}, d.agree ? "Agree. " : "They part. "), d.sentence),
    h("p", { class: "muted" }, `${d.steps} steps on ${d.parameters.join(", ") || "no parameters"} (${d.entries} entries; the inputs stay fixed); largest difference ${fmt(d.maxDifference)}, tolerance ${fmt(d.tolerance)}.`));
}

export function renderSweep(s: SweepResult): HTMLElement {
  const chart = lineChart({
    title: `Step size: ${s.node} (${s.op}), worst entry's |a − n(h)|`,
    // Down to what rounding allows (ε·|J|): a floor shows how far above the attainable it sits.
    x: { label: "step h", log: true }, y: { label: "error |a − n(h)|", log: true, include: [Math.max(s.scale, 1e-300) * 1e-16] },
    series: [{ name: "worst-entry error", className: "series-error", points: s.points.map((p) => ({ x: p.h, y: p.error, note: `h = ${p.h.toExponential(1)}: ${fmt(p.error)} at ${p.worst}` })) }],
    markers: [
      // A floor has no best step worth the name.
      ...(s.verdict === "floor" ? [] : [{ x: s.best.h, label: `best h ≈ ${s.best.h.toExponential(0)} (error ${fmt(s.best.error)})`, className: "marker-best" }]),
      { x: s.step, label: `the h GradLens checks with, ${s.step.toExponential(0)}`, className: "marker-step" },
    ],
  });
  return h("section", { class: `plot sweep verdict-${s.verdict}`, "data-node": s.node, "data-verdict": s.verdict },
    chart,
    h("p", { class: `sentence ${s.verdict === "floor" ? "status-fail" : "status-pass"}` }, s.sentence),
    h("p", { class: "muted" }, `Fitted slopes of log error against log h: right ${fmt(s.slopes.right, 2)}, middle ${fmt(s.slopes.middle, 2)}, left ${fmt(s.slopes.left, 2)}; ${s.entries} Jacobian entries compared at each h.`));
}
