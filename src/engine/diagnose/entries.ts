/**
 * A few wrong entries among many: `partial`, region "k of N entries" (N: the
 * entries that are not zero on both sides), with where they are — an
 * overhanging pooling window, the last row of a scan — and how they are wrong.
 */
import type { Diagnosis } from "../../shared/report.js";
import { classify, howText } from "./classify.js";
import { nameFactor } from "./factor.js";
import { outputLabel } from "./sparsity.js";
import { evidence, failing, right, type View } from "./view.js";
import { examples, indexSet, wrtIndex, wrtLabel } from "./words.js";

/** At most this fraction of the evidence may be wrong for "a few among many". */
const FEW = 0.25;

export function fewEntries(v: View): Diagnosis | undefined {
  const all = evidence(v);
  const bad = failing(v);
  if (all.length < 8 || bad.length === 0 || bad.length > Math.max(2, Math.floor(FEW * all.length))) return undefined;
  // "Right except in k entries" holds only if the others are right, not merely within the tolerance.
  const badSet = new Set(bad);
  if (!all.every((k) => badSet.has(k) || right(v, k))) return undefined;
  const how = classify(v, bad);
  const region = `${bad.length} of ${all.length} entries`;
  const { input } = v;
  const inputs = indexSet(wrtLabel(v), bad.map((k) => wrtIndex(v, k)), input.wrtShape);
  const at = v.isJacobian ? `outputs ${indexSet(outputLabel(v), bad.map((k) => input.rows![k]), input.outputShape!)}, inputs ${inputs}` : inputs;
  return {
    kind: "partial", region,
    ...(how.kind === "scale" ? { factor: nameFactor(how.c, input.batch).value } : {}),
    detail: `the analytic ${input.what} is right except in ${region} (${at}), where it ${howText(v, how, input.batch)} (${examples(v, bad, 2)}).`,
  };
}
