/**
 * `gradlens sweep FILE --node ID`: why a finite difference can be trusted, and
 * when it cannot. The node's local Jacobians (every differentiable input and
 * parameter) from its backward, against central differences of its forward with
 * step h from 1e-1 down to 1e-12 (half decades); at each h the worst entry's
 * |a − n(h)|. A correct backward draws a V on log-log axes — truncation, which
 * falls as h² (the error of (f(x+h) − f(x−h))/2h is f‴h²/6), on the right;
 * rounding, which rises as ε/h, on the left. A wrong one draws a flat floor: no
 * step brings the finite difference to a wrong analytic value.
 */
import { forward, type Graph } from "../graph.js";
import { DEFAULT_OPTIONS } from "../check.js";
import { deriveSeed, Rng } from "../random.js";
import { unravel } from "../tensor.js";
import type { SweepResult } from "../../shared/teach.js";
import { backwardOf, forwardWith, gradOf, ofWhat, wrtsOf, type LocalCheck, type Wrt } from "../check/local-node.js";
import { NetworkError } from "../network.js";
import { slopes, verdictOf } from "./sweep-verdict.js";

/** h = 10^-1, 10^-1.5, …, 10^-12. */
export const SWEEP_STEPS: readonly number[] = Array.from({ length: 23 }, (_, k) => Number((10 ** (-1 - k / 2)).toPrecision(6)));

/** Columns (and rows) of a local Jacobian compared at most; larger ones are sampled (seeded). */
const MAX_COLS = 64, MAX_ENTRIES = 16384;

interface Plan {
  w: Wrt;
  rows: number[];
  cols: number[];
  /** Analytic entries [rows][cols], from the backward with one-hot upstream gradients. */
  analytic: Float64Array[];
}

export function sweep(graph: Graph, nodeId: string): SweepResult {
  const node = graph.nodes.find((n) => n.id === nodeId);
  if (!node) {
    const input = graph.inputs.find((i) => i.id === nodeId);
    throw new NetworkError(input ? `'${nodeId}' is an input, not a node: sweep looks at a node's local Jacobian; nodes: ${graph.nodes.map((n) => n.id).join(", ")}`
      : `no node '${nodeId}' in the network; nodes: ${graph.nodes.map((n) => n.id).join(", ")}`, input ? ["inputs", nodeId] : []);
  }
  const { values, saved } = forward(graph);
  const inputs = node.inputs.map((n) => values.get(n)!);
  const outputs = node.outputValues.map((v) => values.get(v)!);
  const base = { node, inputs, opts: DEFAULT_OPTIONS, rng: new Rng(deriveSeed(graph.seed, `sweep:${node.id}`)), saved: saved.get(node.id) };
  // A node with several outputs: each output's Jacobians (its rows), the worst over all of them at each h.
  const checks: LocalCheck[] = node.outputNames
    ? node.outputNames.map((name, index) => ({ ...base, output: outputs[index], of: { index, name, outputs } }))
    : [{ ...base, output: outputs[0] }];
  const planned = checks.map((check) => ({ check, plans: planOf(check) }));
  const plans = planned.flatMap((p) => p.plans);
  const points = SWEEP_STEPS.map((h) => planned.map(({ check, plans }) => worstAt(check, plans, h))
    .reduce((a, b) => ({ ...(b.error > a.error || (Number.isNaN(b.error) && !Number.isNaN(a.error)) ? b : a), numericMax: Math.max(a.numericMax, b.numericMax) })));
  const best = points.reduce((b, p) => (p.error < b.error ? p : b), points[0]);
  // What the errors are measured against: the Jacobians' size (the numeric one too: an analytic zero can be wrong).
  const analyticMax = plans.reduce((m, p) => p.analytic.reduce((m2, row) => row.reduce((m3, a) => Math.max(m3, Math.abs(a)), m2), m), 0);
  const scale = Math.max(analyticMax, best.numericMax);
  const fitted = slopes(points, scale);
  const { verdict, sentence } = verdictOf({ best, slopes: fitted, scale, step: DEFAULT_OPTIONS.step });
  return {
    node: node.id, op: node.op.name, points: points.map(({ h, error, worst }) => ({ h, error, worst })), best: { h: best.h, error: best.error },
    slopes: fitted, scale, verdict, sentence,
    entries: plans.reduce((s, p) => s + p.rows.length * p.cols.length, 0), step: DEFAULT_OPTIONS.step,
  };
}

function planOf(check: LocalCheck): Plan[] {
  const R = check.output.data.length;
  const all = (n: number) => Array.from({ length: n }, (_, i) => i);
  const plans = wrtsOf(check).map((w) => {
    const C = w.tensor.data.length;
    const cols = C <= MAX_COLS ? all(C) : check.rng.sample(C, MAX_COLS);
    const rows = R * cols.length <= MAX_ENTRIES ? all(R) : check.rng.sample(R, Math.floor(MAX_ENTRIES / cols.length));
    return { w, rows, cols, analytic: [] as Float64Array[] };
  });
  const e = { shape: check.output.shape, data: new Float64Array(R) };
  const needed = [...new Set(plans.flatMap((p) => p.rows))];
  const rowOf = new Map<number, ReturnType<typeof backwardOf>>();
  for (const r of needed) {
    e.data.fill(0);
    e.data[r] = 1;
    rowOf.set(r, backwardOf(check, e));
  }
  for (const p of plans) p.analytic = p.rows.map((r) => {
    const g = gradOf(rowOf.get(r)!, p.w);
    return Float64Array.from(p.cols, (c) => (g ? g.data[c] : 0));
  });
  return plans;
}

/** The worst |a − n(h)| over every planned entry, and where it is. */
function worstAt(check: LocalCheck, plans: Plan[], h: number): { h: number; error: number; worst: string; numericMax: number } {
  let error = 0, worst = "", numericMax = 0;
  for (const p of plans) {
    const x = { shape: p.w.tensor.shape, data: new Float64Array(p.w.tensor.data) };
    p.cols.forEach((c, j) => {
      const orig = x.data[c];
      x.data[c] = orig + h;
      const plus = forwardWith(check, p.w, x).data;
      x.data[c] = orig - h;
      const minus = forwardWith(check, p.w, x).data;
      x.data[c] = orig;
      p.rows.forEach((r, i) => {
        const n = (plus[r] - minus[r]) / (2 * h);
        const d = Math.abs(p.analytic[i][j] - n);
        if (Math.abs(n) > numericMax) numericMax = Math.abs(n);
        if (d > error || (Number.isNaN(d) && !Number.isNaN(error))) {
          error = d;
          worst = `∂${ofWhat(check)}[${unravel(r, check.output.shape).join(", ")}]/∂${p.w.name}[${unravel(c, p.w.tensor.shape).join(", ")}]`;
        }
      });
    });
  }
  return { h, error, worst, numericMax };
}
