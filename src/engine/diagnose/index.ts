/**
 * Saying how a gradient is wrong (DESIGN.md): one small module per pattern,
 * tried in order so that the most specific true statement wins —
 *
 *   non-finite → zero → sign / scale → transpose → missing off-diagonal
 *   (the whole matrix, as GradLens always named them) → sparsity (every wrong
 *   entry a zero-pattern failure) → the diagonal and off-diagonal apart →
 *   one branch of the input wrong (x ≤ 0 …) → the zero pattern wrong on a
 *   branch → a few wrong entries among many → a factor per column → mismatch,
 *   with the best detail there is.
 *
 * Each diagnosis is one sentence in the lecture's notation (rows = outputs,
 * columns = inputs, ∂pⱼ/∂lₖ). combine.ts makes a node's one diagnosis from
 * those of its Jacobians.
 */
import type { Diagnosis } from "../../shared/report.js";
import type { Tolerance } from "../compare.js";
import { branchWrong } from "./branches.js";
import { classify, howText } from "./classify.js";
import { fewEntries } from "./entries.js";
import { mismatch } from "./mismatch.js";
import { diagonalApart } from "./parts.js";
import { sparsityOnBranch, sparsityWhole } from "./sparsity.js";
import { evidence, viewOf, type DiagnoseInput, type View } from "./view.js";
import { nonFiniteEntry, offDiagonalMissing, signOrScale, transposed, zeroGradient } from "./whole.js";

export type { DiagnoseInput } from "./view.js";
export { combineDiagnoses } from "./combine.js";
export { nameFactor } from "./factor.js";

const PATTERNS: ((v: View) => Diagnosis | undefined)[] = [
  nonFiniteEntry, zeroGradient, signOrScale, transposed, offDiagonalMissing,
  sparsityWhole, diagonalApart, branchWrong, sparsityOnBranch, fewEntries, columnScale,
];

export function diagnose(input: DiagnoseInput, tol: Tolerance): Diagnosis {
  const v = viewOf(input, tol);
  // One number (fast mode) shows no structure: only the whole-matrix patterns apply.
  const patterns = v.count === 1 ? PATTERNS.slice(0, 3) : PATTERNS;
  for (const p of patterns) {
    const d = p(v);
    if (d) return d;
  }
  return mismatch(v);
}

/** A factor per column tied to a parameter (a gain applied twice) across the whole matrix: a scale without one factor. */
function columnScale(v: View): Diagnosis | undefined {
  const how = classify(v, evidence(v));
  if (how.kind !== "columns" || !how.tensor) return undefined;
  return { kind: "scale", detail: `the analytic ${v.input.what} ${howText(v, how)}: every column j is off by the factor ${how.tensor}ⱼ.` };
}
