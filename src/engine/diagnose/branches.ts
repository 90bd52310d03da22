/**
 * One branch of a piecewise function wrong: every wrong entry lies where the
 * op's input x is in one range (x ≤ 0, x ≥ 3, …) and the entries outside it
 * are right — the ELU/SELU/hard-swish class, right on one side of 0 and wrong
 * on the other. `partial` with that region; `sparsity` when what is wrong
 * there is the zero pattern (a mask not applied, or applied where none belongs).
 */
import type { Diagnosis } from "../../shared/report.js";
import { classify, howText } from "./classify.js";
import { nameFactor } from "./factor.js";
import { branchRegion } from "./regions.js";
import { evidence, failing, type View } from "./view.js";
import { entries, examples, wrtLabel } from "./words.js";

export function branchWrong(v: View): Diagnosis | undefined {
  const bad = failing(v);
  // Entries within the tolerance but far above the finite difference's error are wrong too (a small
  // error in one branch — x·0.3333 where x/3 belongs — fails only where it is not small): they go with the branch.
  const suspects = evidence(v).filter((k) => v.suspect[k]);
  const region = branchRegion(v, [...bad, ...suspects]);
  if (!region) return undefined;
  const how = classify(v, region.members);
  if (how.kind === "right") return undefined;
  const x = wrtLabel(v);
  const sparsity = how.kind === "zero" || how.kind === "nonzero";
  const what = v.input.what;
  const detail = sparsity
    ? `the analytic ${what} ${howText(v, how)} ${region.text} (x = ${x}; ${entries(bad.length)}: ${examples(v, bad, 2)}) and is right elsewhere: ${how.kind === "nonzero" ? "a mask, gate or clamp that zeroes the gradient there is not applied" : "a branch of the derivative is missing there (a mask applied where none belongs, or a case never written)"}.`
    : `the analytic ${what} is right ${region.complement} but ${howText(v, how, v.input.batch)} ${region.text} (x = ${x}; ${bad.length} of the ${entries(region.members.length)} there beyond the tolerance${suspects.length ? `, ${suspects.length} more within it but far above the finite difference's own error` : ""}: ${examples(v, bad, 2)}): that branch of the derivative is wrong.`;
  return {
    kind: sparsity ? "sparsity" : "partial", region: region.text, detail,
    ...(how.kind === "scale" ? { factor: nameFactor(how.c, v.input.batch).value } : {}),
  };
}
