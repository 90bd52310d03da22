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
