/**
 * A node's one diagnosis from those of its Jacobians (one per input and
 * parameter): a quotient rule with one wrong sign is right in ∂q/∂a and has
 * its sign flipped in ∂q/∂b, and says so — "∂q/∂a is right; ∂q/∂b has the
 * wrong sign …". Where several Jacobians fail, the kind is the most specific
 * of theirs and the sentence names each.
 */
import type { Diagnosis, DiagnosisKind, JacobianReport } from "../../shared/report.js";

/** Most specific first: a pattern that names more beats one that names less. */
const SPECIFIC: DiagnosisKind[] = ["non-finite", "zero", "sign", "scale", "transpose", "missing-off-diagonal", "sparsity", "partial", "mismatch"];

export function combineDiagnoses(node: string, jacobians: JacobianReport[]): Diagnosis | undefined {
  const failing = jacobians.filter((j) => j.status === "fail" && j.diagnosis);
  if (failing.length === 0) return undefined;
  const right = jacobians.filter((j) => j.status !== "fail").map((j) => `∂${node}/∂${j.wrt}`);
  const rightText = right.length ? `${right.join(" and ")} ${right.length === 1 ? "is" : "are"} right` : "";
  const wrt = jacobians.length > 1 ? { wrt: failing.map((j) => j.wrt) } : {};
  if (failing.length === 1) {
    const d = failing[0].diagnosis!;
    return { ...d, ...wrt, detail: rightText ? `${rightText}; ${d.detail}` : d.detail };
  }
  const first = failing[0].diagnosis!;
  // Merged only where the sentence is about the kind, not about particular entries.
  const generic = ["sign", "scale", "zero", "transpose", "missing-off-diagonal", "non-finite"].includes(first.kind) && first.region === undefined;
  const same = generic && failing.every((j) => j.diagnosis!.kind === first.kind && j.diagnosis!.factor === first.factor && j.diagnosis!.region === first.region);
  if (same) {
    const others = failing.slice(1).map((j) => `∂${node}/∂${j.wrt}`);
    return { ...first, ...wrt, detail: `${stripStop(first.detail)} (and so ${others.length === 1 ? "is" : "are"} ${others.join(" and ")})${rightText ? `; ${rightText}` : ""}.` };
  }
  const swapped = swappedPair(failing);
  if (swapped) {
    const [a, b] = swapped.map((j) => `∂${node}/∂${j.wrt}`);
    return { kind: "mismatch", ...wrt, detail: `the gradients of ${swapped[0].wrt} and ${swapped[1].wrt} are swapped: the analytic ${a} is the numeric ${b} and the analytic ${b} the numeric ${a} — each input's gradient uses the wrong input (for a·b: dL/da = g·b, dL/db = g·a)${rightText ? `; ${rightText}` : ""}.` };
  }
  if (failing.every((j) => j.diagnosis!.kind === "mismatch")) {
    // One statement of what they share, then what each shows.
    const share = / disagree (in every entry|in \d+ of \d+ entries) with no single factor, sign, zero pattern or region; /;
    const names = failing.map((j) => `∂${node}/∂${j.wrt}`);
    const rest = failing.map((j, i) => `${names[i]}: ${stripStop(j.diagnosis!.detail.replace(/^the analytic and numeric \S+/, "").replace(share, "wrong $1; ").replace(/^ /, ""))}`);
    return { kind: "mismatch", ...wrt, detail: `${names.join(" and ")} are wrong with no single factor, sign, zero pattern or region — ${rest.join("; ")}${rightText ? `; ${rightText}` : ""}.` };
  }
  const rank = (k: DiagnosisKind) => { const i = SPECIFIC.indexOf(k); return i < 0 ? SPECIFIC.length : i; };
  const lead = [...failing].sort((a, b) => rank(a.diagnosis!.kind) - rank(b.diagnosis!.kind))[0].diagnosis!;
  const parts = failing.map((j) => `∂${node}/∂${j.wrt}: ${stripStop(j.diagnosis!.detail)}`);
  return { ...lead, ...wrt, detail: `${parts.join("; ")}${rightText ? `; ${rightText}` : ""}.` };
}

function stripStop(s: string): string {
  return s.replace(/\.\s*$/, "");
}

/** Two failing Jacobians of the same shape whose analytic entries are each other's numeric ones. */
function swappedPair(failing: JacobianReport[]): [JacobianReport, JacobianReport] | undefined {
  const close = (x: number, y: number) => Math.abs(x - y) <= 1e-4 + 1e-3 * Math.abs(y);
  for (let i = 0; i < failing.length; i++)
    for (let k = i + 1; k < failing.length; k++) {
      const a = failing[i], b = failing[k];
      if (a.analytic.length === 0 || a.analytic.length !== b.analytic.length || a.rows !== b.rows || a.cols !== b.cols) continue;
      if (a.rowIndices.join() !== b.rowIndices.join() || a.colIndices.join() !== b.colIndices.join()) continue;
      const ok = a.analytic.every((x, j) => close(x, b.numeric[j])) && b.analytic.every((x, j) => close(x, a.numeric[j]));
      if (ok) return [a, b];
    }
  return undefined;
}
