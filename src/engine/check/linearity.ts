/**
 * Linearity in the upstream gradient. A backward is a vector–Jacobian
 * product, g ↦ g·J: linear in g. The local Jacobian is built from one-hot
 * upstream gradients, and as the network's last node an op only ever sees
 * g = 1, so a backward that returns its local gradient without multiplying
 * by gradOutput passes both; this check does not let it:
 *
 * - every row at hand (exhaustive): backward(u) against Σᵣ uᵣ·rowᵣ for the
 *   random u of the reentrancy probe — no extra call;
 * - otherwise (fast, sampled): backward(α·u + β·v) against α·backward(u) +
 *   β·backward(v) for a second random v, with α + β ≠ 1, so an offset
 *   (backward(0) ≠ 0) shows too — two extra calls.
 *
 * On a failure, two more calls (backward(0), backward(2u)) say how.
 * Tolerances are relative to the size of the terms compared, far above
 * rounding (1e-6), far below what ignoring g does (order 1).
 */
import type { CheckedBackward } from "../graph.js";
import { Rng, deriveSeed } from "../random.js";
import type { Tensor } from "../tensor.js";
import { backwardsOf, gradOf, type LocalCheck, type Wrt } from "./local-node.js";

/** Relative tolerance of a linearity comparison (of the summed magnitudes of its terms). */
const LINEAR_RTOL = 1e-6;
const ALPHA = 2, BETA = -3;

export interface LinearityFailure {
  /** The inputs and parameters whose gradient is not linear in gradOutput. */
  wrts: string[];
  detail: string;
}

/** Full analytic rows of one wrt at some of its columns: row r → entries at `cols`. */
export interface RowsOf {
  w: Wrt;
  cols: number[];
  rows: Map<number, Float64Array>;
}

/**
 * `rowsOf`: for each wrt whose every row was computed, those rows (the rest
 * are probed). `u`, `uJ`: the reentrancy probe's upstream gradient and
 * backward(u).
 */
export function checkLinearity(check: LocalCheck, wrts: Wrt[], u: Tensor, uJ: CheckedBackward | undefined, rowsOf: RowsOf[] = []): LinearityFailure | undefined {
  if (!uJ || wrts.length === 0 || (check.node.op.jacobian && !check.node.op.backward)) return undefined; // a jacobian's products are linear by construction
  const R = check.output.data.length;
  const failing: string[] = [];
  const probed: Wrt[] = [];
  for (const w of wrts) {
    const full = rowsOf.find((x) => x.w === w && x.rows.size === R);
    if (!full) {
      probed.push(w);
      continue;
    }
    const g = gradOf(uJ, w);
    if (!g || !finite(g.data)) continue;
    const expected = new Float64Array(full.cols.length), scale = new Float64Array(full.cols.length);
    for (const [r, row] of full.rows) {
      const ur = u.data[r];
      if (ur === 0) continue;
      for (let j = 0; j < row.length; j++) {
        expected[j] += ur * row[j];
        scale[j] += Math.abs(ur * row[j]);
      }
    }
    const got = Float64Array.from(full.cols, (c) => g.data[c]);
    if (!finite(expected)) continue;
    if (departs(got, expected, scale)) failing.push(w.name);
  }
  if (probed.length) failing.push(...probeFailures(check, probed, u, uJ));
  if (failing.length === 0) return undefined;
  return { wrts: failing, detail: describe(check, wrts.filter((w) => failing.includes(w.name)), u, uJ) };
}

/** backward(αu + βv) against α·backward(u) + β·backward(v). */
function probeFailures(check: LocalCheck, wrts: Wrt[], u: Tensor, uJ: CheckedBackward): string[] {
  const R = u.data.length;
  const rng = new Rng(deriveSeed(check.opts.seed ?? 0, `linearity:${check.node.id}`));
  const v = { shape: u.shape, data: new Float64Array(R) };
  for (let i = 0; i < R; i++) v.data[i] = rng.normal();
  const mixed = { shape: u.shape, data: new Float64Array(R) };
  for (let i = 0; i < R; i++) mixed.data[i] = ALPHA * u.data[i] + BETA * v.data[i];
  const [vJ, mixedJ] = backwardsOf(check, [v, mixed]);
  const failing: string[] = [];
  for (const w of wrts) {
    const gu = gradOf(uJ, w), gv = gradOf(vJ, w), gm = gradOf(mixedJ, w);
    if (!gu && !gv && !gm) continue;
    const n = (gu ?? gv ?? gm)!.data.length;
    const at = (t: Tensor | null, i: number) => (t ? t.data[i] : 0);
    const expected = new Float64Array(n), scale = new Float64Array(n), got = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      expected[i] = ALPHA * at(gu, i) + BETA * at(gv, i);
      scale[i] = Math.abs(ALPHA * at(gu, i)) + Math.abs(BETA * at(gv, i)) + Math.abs(at(gm, i));
      got[i] = at(gm, i);
    }
    if (!finite(expected) || !finite(got)) continue;
    if (departs(got, expected, scale)) failing.push(w.name);
  }
  return failing;
}

/** Some entry differs by more than LINEAR_RTOL of its terms' size (and of the largest such size, against cancellation). */
function departs(got: Float64Array, expected: Float64Array, scale: Float64Array): boolean {
  let maxScale = 0;
  for (let i = 0; i < scale.length; i++) maxScale = Math.max(maxScale, scale[i], Math.abs(got[i]));
  if (maxScale === 0) return false;
  for (let i = 0; i < got.length; i++) {
    const tol = LINEAR_RTOL * (scale[i] + Math.abs(got[i])) + 1e-9 * maxScale;
    if (Math.abs(got[i] - expected[i]) > tol) return true;
  }
  return false;
}

function finite(a: ArrayLike<number>): boolean {
  for (let i = 0; i < a.length; i++) if (!Number.isFinite(a[i])) return false;
  return true;
}

/** What the failing gradients do with gradOutput, in one sentence (two more backward calls). */
function describe(check: LocalCheck, wrts: Wrt[], u: Tensor, uJ: CheckedBackward): string {
  const R = u.data.length;
  const zero = { shape: u.shape, data: new Float64Array(R) };
  const twice = { shape: u.shape, data: Float64Array.from(u.data, (x) => 2 * x) };
  const [zJ, tJ] = backwardsOf(check, [zero, twice]);
  const names = wrts.map((w) => w.name);
  const plural = names.length > 1;
  const of = `${plural ? "gradients" : "gradient"} for ${names.join(", ")}`;
  const norm = (pick: CheckedBackward) => Math.sqrt(wrts.reduce((s, w) => s + sumSq(gradOf(pick, w)), 0));
  const distance = (a: CheckedBackward, b: CheckedBackward, c = 1) => Math.sqrt(wrts.reduce((s, w) => s + diffSq(gradOf(a, w), gradOf(b, w), c), 0));
  const nu = norm(uJ), nz = norm(zJ), size = Math.max(nu, norm(tJ), 1e-300);
  const close = (d: number) => d <= 1e-6 * size;
  const prefix = `the backward must multiply its local gradient by gradOutput (the upstream gradient); here`;
  if (close(distance(uJ, tJ)) && close(distance(uJ, zJ)))
    return `${prefix} it returns the same ${of} whatever gradOutput is (even for gradOutput = 0): gradOutput is never read.`;
  if (nz > 1e-6 * size)
    return `${prefix} the ${of} ${plural ? "are" : "is"} not zero for gradOutput = 0 (|backward(0)| = ${fmt(nz)} against |backward(g)| = ${fmt(nu)}): a term that does not carry gradOutput is added.`;
  const ratio = norm(tJ) / Math.max(nu, 1e-300);
  if (Math.abs(ratio - 4) < 1e-3 * 4)
    return `${prefix} the ${of} ${plural ? "quadruple" : "quadruples"} when gradOutput doubles: it is used squared (g² where g belongs).`;
  if (!close(distance(tJ, uJ, 2)))
    return `${prefix} the ${of} ${plural ? "are" : "is"} not proportional to it: backward(2·g) = ${fmt(ratio)} × backward(g), not 2 ×.`;
  return `${prefix} the ${of} ${plural ? "do" : "does"} not add up: backward(u + v) ≠ backward(u) + backward(v) (each output's gradient is not weighted by its own gradOutput entry).`;
}

function sumSq(t: Tensor | null): number {
  let s = 0;
  if (t) for (let i = 0; i < t.data.length; i++) s += t.data[i] * t.data[i];
  return s;
}

/** |a − c·b|² (c·b: backward(2g) against 2·backward(g) when c = 2). */
function diffSq(a: Tensor | null, b: Tensor | null, c = 1): number {
  const n = a?.data.length ?? b?.data.length ?? 0;
  let s = 0;
  for (let i = 0; i < n; i++) {
    const d = (a ? a.data[i] : 0) - c * (b ? b.data[i] : 0);
    s += d * d;
  }
  return s;
}

function fmt(v: number): string {
  return Number.isFinite(v) ? Number(v.toPrecision(3)).toString() : String(v);
}
