/** Fast mode's local check of one input or parameter: uᵀJv for a random direction v, one number. */
import { directionalStatus, relError, roundingNoise, withNoise, type Tolerance } from "../compare.js";
import { diagnose } from "../diagnose.js";
import type { JacobianReport } from "../../shared/report.js";
import type { Tensor } from "../tensor.js";
import { forwardWith, ofWhat, type LocalCheck, type Wrt } from "./local-node.js";
import { finite, maxAbs } from "./summary.js";
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
  const g = uJ;
  let a = 0;
  if (g) for (let i = 0; i < C; i++) a += g.data[i] * v[i];
  const x = { shape: w.tensor.shape, data: new Float64Array(C) };
  for (let i = 0; i < C; i++) x.data[i] = w.tensor.data[i] + h * v[i];
  const plus = forwardWith(check, w, x).data;
  for (let i = 0; i < C; i++) x.data[i] = w.tensor.data[i] - h * v[i];
  const minus = forwardWith(check, w, x).data;
  let n = 0, up = 0, down = 0;
  for (let r = 0; r < R; r++) {
    n += u.data[r] * (plus[r] - minus[r]) / (2 * h);
    up += u.data[r] * (plus[r] - output.data[r]) / h;
    down += u.data[r] * (output.data[r] - minus[r]) / h;
  }
  let fMax = 0;
  for (let r = 0; r < R; r++) fMax += Math.abs(u.data[r]) * Math.max(Math.abs(plus[r]), Math.abs(minus[r]));
  const status = directionalStatus({ analytic: [a], numeric: [n], ahead: [up], behind: [down] }, 0, withNoise(tol, roundingNoise(fMax, maxAbs(w.tensor.data), n, h)));
  const rel = relError(a, n, tol);
  const report: JacobianReport = {
    wrt: w.name, kind: w.kind, ...(check.of ? { output: check.of.name } : {}), rows: R, cols: C, outputShape: output.shape, wrtShape: w.tensor.shape, sampled: true,
    rowIndices: [], colIndices: [], analytic: [], numeric: [], checked: 1, status, maxRelError: finite(rel),
    worst: [{ index: [], analytic: a, numeric: n, relError: finite(rel), status }],
  };
  if (status === "fail") report.diagnosis = diagnose({ analytic: [a], numeric: [n], wrtShape: w.tensor.shape, what: `uᵀ(∂${ofWhat(check)}/∂${w.name})v`, hints: diagnosisHintsOf(node.op) }, tol);
  return report;
}
