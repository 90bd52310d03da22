/** Fast mode's local check of one input or parameter: uᵀJv for a random direction v, one number. */
import { directionalStatus, relError, roundingNoise, withNoise, type Tolerance } from "../compare.js";
import { diagnose } from "../diagnose.js";
import type { JacobianReport } from "../../shared/report.js";
import type { Tensor } from "../tensor.js";
import { perturbedForwards, type LocalCheck, type Wrt } from "./local-node.js";
import { judgeSuspects, suspectCandidates } from "./suspect.js";
import { finite, maxAbs, range } from "./summary.js";
import { diagnosisHintsOf } from "../ops/index.js";

/** `u`: the random upstream gradient; `uJ`: backward(u) for this input or parameter, uᵀJ. */
export function fastLocal(check: LocalCheck, w: Wrt, u: Tensor, uJ: Tensor | null): JacobianReport {
  const { node, output, opts, rng } = check;
  const tol: Tolerance = { rtol: opts.rtol, atol: opts.atol };
  const h = opts.step;
  const R = output.data.length, C = w.tensor.data.length;
  // uᵀ J v: analytic ⟨backward(u), v⟩ against ⟨u, (f(x + hv) − f(x − hv)) / 2h⟩.
  const v = new Float64Array(C);
  for (let i = 0; i < C; i++) v[i] = rng.normal();
  let a = 0;
  if (uJ) for (let i = 0; i < C; i++) a += uJ.data[i] * v[i];
  const all = range(C);
  const along = (t: number) => ({ indices: all, values: Float64Array.from(w.tensor.data, (x, i) => x + t * v[i]) });
  const [plus, minus] = perturbedForwards(check, w, [along(h), along(-h)]);
  const uDot = (f: (r: number) => number) => {
    let s = 0;
    for (let r = 0; r < R; r++) s += u.data[r] * f(r);
    return s;
  };
  const n = uDot((r) => (plus[r] - minus[r]) / (2 * h));
  const up = uDot((r) => (plus[r] - output.data[r]) / h);
  const down = uDot((r) => (output.data[r] - minus[r]) / h);
  let fMax = 0;
  for (let r = 0; r < R; r++) fMax += Math.abs(u.data[r]) * Math.max(Math.abs(plus[r]), Math.abs(minus[r]));
  const noise = roundingNoise(fMax, maxAbs(w.tensor.data), n, h);
  const status = directionalStatus({ analytic: [a], numeric: [n], ahead: [up], behind: [down] }, 0, withNoise(tol, noise));
  const rel = relError(a, n, tol);
  // A directional derivative that passes suspiciously: its own error estimated with the step 2h.
  const candidates = suspectCandidates([a], [n], [noise], [status], tol);
  const marks = candidates.length
    ? judgeSuspects([a], [n], [noise], candidates, () => {
        const [p2, m2] = perturbedForwards(check, w, [along(2 * h), along(-2 * h)]);
        return uDot((r) => (p2[r] - m2[r]) / (4 * h));
      })
    : undefined;
  const suspect = marks?.count ? true : undefined;
  const report: JacobianReport = {
    wrt: w.name, kind: w.kind, rows: R, cols: C, outputShape: output.shape, wrtShape: w.tensor.shape, sampled: true,
    rowIndices: [], colIndices: [], analytic: [], numeric: [], checked: 1, status, maxRelError: finite(rel),
    worst: [{ index: [], analytic: a, numeric: n, relError: finite(rel), status, ...(suspect ? { suspect, estimatedError: marks!.estimated[0] } : {}) }],
    ...(suspect ? { suspect, suspectEntries: 1 } : {}),
  };
  if (status === "fail") report.diagnosis = diagnose({ analytic: [a], numeric: [n], wrtShape: w.tensor.shape, what: `uᵀ(∂${node.id}/∂${w.name})v`, hints: diagnosisHintsOf(node.op) }, tol);
  return report;
}
