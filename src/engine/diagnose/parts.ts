/**
 * The diagonal and the off-diagonal judged apart, for an op whose output has
 * its input's shape and whose output entries depend on other input entries
 * (softmax, the norms, L2-normalise): ∂yⱼ/∂xₖ for j = k and for j ≠ k usually
 * come from different terms of the backward, and a bug lives in one of them —
 * a sign flipped on −pⱼpₖ, a mean divided by the wrong count (a factor on the
 * off-diagonal only), a gain applied twice (a factor per column), the
 * off-diagonal never written.
 */
import type { Diagnosis } from "../../shared/report.js";
import { classify, howText, type How } from "./classify.js";
import { nameFactor } from "./factor.js";
import { evidence, numericZero, type View } from "./view.js";
import { entries } from "./words.js";

interface Parts {
  diagonal: number[];
  off: number[];
}

function partsOf(v: View): Parts | undefined {
  const { input } = v;
  if (!v.isJacobian) return undefined;
  const out = input.outputShape!, w = input.wrtShape;
  if (out.length !== w.length || !out.every((d, k) => d === w[k])) return undefined;
  const diagonal: number[] = [], off: number[] = [];
  for (const k of evidence(v)) (input.rows![k] === input.cols![k] ? diagonal : off).push(k);
  // An elementwise op's off-diagonal is zero on both sides: nothing to judge apart.
  if (diagonal.length === 0 || !off.some((k) => !numericZero(v, k))) return undefined;
  return { diagonal, off };
}

export function diagonalApart(v: View): Diagnosis | undefined {
  const parts = partsOf(v);
  if (!parts) return undefined;
  const diag = classify(v, parts.diagonal), off = classify(v, parts.off);
  const what = v.input.what;
  const batch = v.input.batch;
  if (diag.kind === "right" && off.kind === "right") return undefined;
  if (diag.kind === "right") {
    // missing-off-diagonal (off-diagonal zero) is named before this runs.
    if (off.kind === "sign")
      return { kind: "partial", region: "the off-diagonal", detail: `the analytic ${what} has its diagonal right, but its off-diagonal entries (j ≠ k) have the wrong sign — a ≈ −n there: the sign of a cross term (for softmax, −pⱼpₖ) is flipped.` };
    return { kind: off.kind === "nonzero" ? "sparsity" : "partial", region: "the off-diagonal", ...factorOf(off, batch), detail: `the analytic ${what} has its diagonal right, but its off-diagonal (j ≠ k) ${howText(v, off, batch)}${hint(off, batch)}.` };
  }
  if (off.kind === "right")
    return { kind: diag.kind === "zero" || diag.kind === "nonzero" ? "sparsity" : "partial", region: "the diagonal", ...factorOf(diag, batch), detail: `the analytic ${what} has its off-diagonal (j ≠ k) right, but its diagonal (j = k) ${howText(v, diag, batch)}${hint(diag, batch)}: the term of ∂yₖ/∂xₖ that only the diagonal has is wrong.` };
  // Both wrong: say the one with a clear pattern, and that the other is wrong too.
  const clear = (h: How) => h.kind === "zero" || h.kind === "nonzero" || h.kind === "scale" || h.kind === "columns" || h.kind === "sign";
  for (const [part, how, other, otherHow] of [["the off-diagonal", off, "diagonal", diag], ["the diagonal", diag, "off-diagonal", off]] as const) {
    if (!clear(how) || clear(otherHow)) continue;
    const kind = how.kind === "zero" || how.kind === "nonzero" ? "sparsity" : how.kind === "sign" ? "sign" : "scale";
    const count = part === "the off-diagonal" ? parts.off.length : parts.diagonal.length;
    return {
      kind, region: part, ...factorOf(how, batch),
      detail: `the analytic ${what}'s ${part.replace("the ", "")} (${entries(count)}) ${howText(v, how, batch)}${hint(how, batch)}, and its ${other} ${howText(v, otherHow, batch).replace(/^is /, "is ")} as well.`,
    };
  }
  return undefined;
}

function factorOf(how: How, batch?: number): { factor?: number } {
  return how.kind === "scale" ? { factor: nameFactor(how.c, batch).value } : {};
}

function hint(how: How, batch?: number): string {
  if (how.kind === "scale") {
    const f = nameFactor(how.c, batch);
    return f.named ? ` (${f.hint.replace(/\.$/, "")})` : "";
  }
  if (how.kind === "zero") return " (never written)";
  return "";
}
