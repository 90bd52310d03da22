/**
 * The gradient check (DESIGN.md "The check").
 *
 * Local, per node: the analytic local Jacobian, row by row from backward with
 * one-hot upstream gradients (as torch gradcheck does), against central
 * differences of that node's forward alone, column by column, at the values
 * the forward pass gave it. End to end: dL/dθ from backprop through the whole
 * graph against central differences of the whole loss.
 */
import { backward, feedsOutput, forward, runBackward, runForward, UserOpError, type Graph, type GraphNode } from "./graph.js";
import type { Attrs, OpDef } from "./op.js";
import { Rng, deriveSeed } from "./random.js";
import type { CheckMode, Diagnosis, GradientReport, JacobianReport, NodeReport, Report, Status, WorstEntry } from "./report.js";
import { entryStatus, relError, roundingNoise, withNoise, worstStatus, type Tolerance } from "./compare.js";
import { diagnose } from "./diagnose.js";
import { diagnosisHintsOf } from "./ops/index.js";
import { sizeOf, unravel, type Tensor } from "./tensor.js";
import type { EndToEndEvaluator } from "./evaluate.js";
import { autoEvaluator } from "./evaluate-auto.js";
import { checkJacobianMemory } from "./limits.js";

export const VERSION = "0.1.0";

export interface CheckOptions {
  /** "auto": exhaustive for tensors up to `gradientLimit` entries, sampled above. */
  mode: CheckMode | "auto";
  rtol: number;
  atol: number;
  /** Finite-difference step h. */
  step: number;
  /** Seed for sampling and random directions (default: the network's seed). */
  seed?: number;
  /** A local Jacobian with more entries than this is sampled. */
  jacobianLimit: number;
  /** In auto mode, an end-to-end gradient with more entries than this is sampled. */
  gradientLimit: number;
  /** Entries per tensor in sampled mode (rows and columns of a sampled Jacobian). */
  samples: number;
  local: boolean;
  endToEnd: boolean;
  /** Refuse (NetworkError at the node) a check whose tensors and Jacobians need more MiB than this (default 512). */
  maxMemoryMb?: number;
  onProgress?: (fraction: number, message: string) => void;
  /** Replaces the straightforward end-to-end evaluator (faster ones, worker pools). */
  evaluator?: (graph: Graph) => EndToEndEvaluator;
}

export const DEFAULT_OPTIONS: CheckOptions = {
  mode: "auto", rtol: 1e-3, atol: 1e-5, step: 1e-6,
  jacobianLimit: 65536, gradientLimit: 4096, samples: 64, local: true, endToEnd: true,
};

/** Largest number of entries a report keeps per Jacobian matrix (for the heatmaps). */
const DISPLAY_LIMIT = 65536;
const WORST = 5;

interface Wrt {
  name: string;
  kind: "input" | "param";
  /** Input position or parameter name. */
  key: number | string;
  tensor: Tensor;
}

/** The local check of one op, outside any graph (the op tests use this). */
export function checkOpLocal(
  op: OpDef,
  ctx: { inputs: Tensor[]; params?: Record<string, Tensor>; attrs?: Attrs; labelInputs?: number[] },
  options: Partial<CheckOptions> = {},
): JacobianReport[] {
  const opts = { ...DEFAULT_OPTIONS, ...options };
  const node = {
    id: op.name, op, attrs: ctx.attrs ?? {}, params: ctx.params ?? {},
    inputs: ctx.inputs.map((_, k) => `input${k + 1}`),
    labelInputs: new Set([...(ctx.labelInputs ?? []), ...(op.labelInputs ?? [])]),
  };
  const values = new Map(ctx.inputs.map((t, k) => [`input${k + 1}`, t]));
  const output = runForward(node as GraphNode, values);
  return localJacobians(node, ctx.inputs, output, opts, new Rng(opts.seed ?? 0)).jacobians;
}

type LocalNode = Pick<GraphNode, "id" | "op" | "attrs" | "params" | "inputs" | "labelInputs">;

function localJacobians(node: LocalNode, inputs: Tensor[], output: Tensor, opts: CheckOptions, rng: Rng): { jacobians: JacobianReport[]; reentrancy?: string } {
  const tol: Tolerance = { rtol: opts.rtol, atol: opts.atol };
  const h = opts.step;
  const wrts: Wrt[] = [];
  inputs.forEach((t, k) => { if (!node.labelInputs.has(k)) wrts.push({ name: node.inputs[k], kind: "input", key: k, tensor: t }); });
  for (const [p, t] of Object.entries(node.params)) wrts.push({ name: p, kind: "param", key: p, tensor: t });
  const R = output.data.length;
  const call = (gradOutput: Tensor) => runBackward(node, inputs, node.params, output, gradOutput);
  const gradOf = (res: ReturnType<typeof call>, w: Wrt) => (w.kind === "input" ? res.inputs[w.key as number] : res.params[w.key as string]);
  const forwardWith = (w: Wrt, replaced: Tensor): Tensor => {
    const ins = w.kind === "input" ? inputs.map((t, k) => (k === w.key ? replaced : t)) : inputs;
    const params = w.kind === "param" ? { ...node.params, [w.key as string]: replaced } : node.params;
    // Positions, not names: a value may feed a node twice (x * x), and only this position is perturbed.
    return runForward({ ...node, params, inputs: ins.map((_, k) => `#${k}`) } as GraphNode, new Map(ins.map((t, k) => [`#${k}`, t])));
  };

  // Reentrancy (as PyTorch's gradcheck): the same backward twice must give the same numbers.
  let reentrancy: string | undefined;
  // A random upstream gradient u; fast mode reuses backward(u) for every input and parameter.
  const u = { shape: output.shape, data: new Float64Array(R) };
  const r0 = new Rng(deriveSeed(opts.seed ?? 0, `reentrancy:${node.id}`));
  for (let i = 0; i < R; i++) u.data[i] = r0.normal();
  let first: ReturnType<typeof call> | undefined;
  if (R > 0) {
    first = call(u);
    const second = call(u);
    for (const w of wrts) {
      const g1 = gradOf(first, w), g2 = gradOf(second, w);
      if (!g1 || !g2) continue;
      for (let i = 0; i < g1.data.length; i++) {
        if (g1.data[i] !== g2.data[i] && !(Number.isNaN(g1.data[i]) && Number.isNaN(g2.data[i]))) {
          reentrancy = `backward gave different results on two calls with the same inputs (for ${w.name}, entry ${i}: ${g1.data[i]} then ${g2.data[i]}): it keeps hidden state between calls`;
          break;
        }
      }
      if (reentrancy) break;
    }
  }

  if (opts.mode === "fast") return { jacobians: wrts.map((w) => fastLocal(node, w, output, u, first ? gradOf(first, w) : null, forwardWith, opts, rng)), reentrancy };

  // Which rows and columns each Jacobian needs.
  const plan = wrts.map((w) => {
    const C = w.tensor.data.length;
    if (R * C <= opts.jacobianLimit && opts.mode !== "sampled") return { w, rows: range(R), cols: range(C), sampled: false };
    const k = opts.samples;
    let cols = rng.sample(C, k);
    let rows = R * cols.length <= opts.jacobianLimit ? range(R) : rng.sample(R, k);
    // Same-shaped in and out (softmax, elementwise): keep the diagonal in the sample.
    if (rows.length < R && R === C) {
      rows = [...new Set([...rows, ...cols])].sort((a, b) => a - b);
      cols = [...new Set([...cols, ...rows])].sort((a, b) => a - b);
    }
    return { w, rows, cols, sampled: rows.length < R || cols.length < C };
  }).map((p) => ({ ...p, rowSet: new Set(p.rows) }));

  // Analytic: rows from backward with one-hot upstream gradients, shared by all wrts.
  const neededRows = [...new Set(plan.flatMap((p) => p.rows))].sort((a, b) => a - b);
  const analyticRows = new Map<string, Map<number, Float64Array>>(); // wrt → row → row values
  for (const w of wrts) analyticRows.set(w.name + "|" + w.kind, new Map());
  const e = { shape: output.shape, data: new Float64Array(R) };
  for (const r of neededRows) {
    e.data.fill(0);
    e.data[r] = 1;
    const res = call(e);
    for (const p of plan) {
      if (!p.rowSet.has(r)) continue;
      const g = gradOf(res, p.w);
      const row = new Float64Array(p.cols.length);
      if (g) p.cols.forEach((c, j) => (row[j] = g.data[c]));
      analyticRows.get(p.w.name + "|" + p.w.kind)!.set(r, row);
    }
  }

  return {
    reentrancy,
    jacobians: plan.map(({ w, rows, cols, sampled }) => {
      const C = w.tensor.data.length;
      const nr = rows.length, nc = cols.length;
      const A = new Float64Array(nr * nc), N = new Float64Array(nr * nc), ahead = new Float64Array(nr * nc), behind = new Float64Array(nr * nc);
      const noise = new Float64Array(nr * nc);
      const arows = analyticRows.get(w.name + "|" + w.kind)!;
      rows.forEach((r, i) => A.set(arows.get(r)!, i * nc));
      // Numeric: columns by central differences of this node's forward alone.
      const x = { shape: w.tensor.shape, data: new Float64Array(w.tensor.data) };
      cols.forEach((c, j) => {
        const orig = x.data[c];
        x.data[c] = orig + h;
        const plus = forwardWith(w, x).data;
        x.data[c] = orig - h;
        const minus = forwardWith(w, x).data;
        x.data[c] = orig;
        rows.forEach((r, i) => {
          N[i * nc + j] = (plus[r] - minus[r]) / (2 * h);
          noise[i * nc + j] = roundingNoise(Math.max(Math.abs(plus[r]), Math.abs(minus[r])), Math.abs(orig), N[i * nc + j], h);
          ahead[i * nc + j] = (plus[r] - output.data[r]) / h;
          behind[i * nc + j] = (output.data[r] - minus[r]) / h;
        });
      });
      const rowOf = new Float64Array(nr * nc), colOf = new Float64Array(nr * nc);
      for (let i = 0; i < nr; i++) for (let j = 0; j < nc; j++) { rowOf[i * nc + j] = rows[i]; colOf[i * nc + j] = cols[j]; }
      const summary = summarise(A, N, ahead, behind, tol, (k) => [rowOf[k], colOf[k]], entryStatus, noise);
      const report: JacobianReport = {
        wrt: w.name, kind: w.kind, rows: R, cols: C, outputShape: output.shape, wrtShape: w.tensor.shape, sampled,
        rowIndices: rows, colIndices: cols,
        analytic: nr * nc <= DISPLAY_LIMIT ? Array.from(A) : [], numeric: nr * nc <= DISPLAY_LIMIT ? Array.from(N) : [],
        checked: nr * nc, status: summary.status, maxRelError: summary.maxRelError, worst: summary.worst,
      };
      if (summary.status === "fail") {
        report.diagnosis = diagnose({
          analytic: A, numeric: N, rows: rowOf, cols: colOf, outputShape: output.shape, wrtShape: w.tensor.shape,
          what: `∂${node.id}/∂${w.name}`, hints: diagnosisHintsOf(node.op), batch: batchOf(inputs),
        }, tol);
      }
      return report;
    }),
  };
}

function fastLocal(
  node: LocalNode, w: Wrt, output: Tensor,
  /** A random upstream gradient and backward(u) for this input or parameter: uᵀJ. */
  u: Tensor, uJ: Tensor | null,
  forwardWith: (w: Wrt, replaced: Tensor) => Tensor, opts: CheckOptions, rng: Rng,
): JacobianReport {
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
  const plus = forwardWith(w, x).data;
  for (let i = 0; i < C; i++) x.data[i] = w.tensor.data[i] - h * v[i];
  const minus = forwardWith(w, x).data;
  let n = 0, up = 0, down = 0;
  for (let r = 0; r < R; r++) {
    n += u.data[r] * (plus[r] - minus[r]) / (2 * h);
    up += u.data[r] * (plus[r] - output.data[r]) / h;
    down += u.data[r] * (output.data[r] - minus[r]) / h;
  }
  let fMax = 0;
  for (let r = 0; r < R; r++) fMax += Math.abs(u.data[r]) * Math.max(Math.abs(plus[r]), Math.abs(minus[r]));
  const status = directionalStatus(a, n, withNoise(tol, roundingNoise(fMax, maxAbs(w.tensor.data), n, h)), up, down);
  const rel = relError(a, n, tol);
  const report: JacobianReport = {
    wrt: w.name, kind: w.kind, rows: R, cols: C, outputShape: output.shape, wrtShape: w.tensor.shape, sampled: true,
    rowIndices: [], colIndices: [], analytic: [], numeric: [], checked: 1, status, maxRelError: finite(rel),
    worst: [{ index: [], analytic: a, numeric: n, relError: finite(rel), status }],
  };
  if (status === "fail") report.diagnosis = diagnose({ analytic: [a], numeric: [n], wrtShape: w.tensor.shape, what: `uᵀ(∂${node.id}/∂${w.name})v`, hints: diagnosisHintsOf(node.op) }, tol);
  return report;
}

function maxAbs(data: Float64Array): number {
  let m = 0;
  for (let i = 0; i < data.length; i++) m = Math.max(m, Math.abs(data[i]));
  return m;
}

function range(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i);
}

function batchOf(inputs: Tensor[]): number | undefined {
  return inputs[0]?.shape.length ? inputs[0].shape[0] : undefined;
}

interface Summary {
  status: Status;
  maxRelError: number;
  worst: WorstEntry[];
  failing: number;
}

/**
 * Status of a directional derivative uᵀJv or ⟨∇L, v⟩ (fast mode). A direction
 * crosses every kink along it at once: with two or more (ReLU zeros tied in a
 * max-pool window, several ReLUs at 0), the analytic value is a sum of
 * subgradient choices with mixed signs and need not lie between the one-sided
 * slopes, as entryStatus asks of a single entry. So here one-sided slopes that
 * disagree mean the finite difference cannot judge: a kink. (A correct CNN,
 * examples/cnn with seed 0, failed fast mode on its max-pool this way.)
 */
function directionalStatus(a: number, n: number, tol: Tolerance, ahead: number, behind: number): Status {
  const status = entryStatus(a, n, tol, ahead, behind);
  if (status !== "fail" || ![a, n, ahead, behind].every(Number.isFinite)) return status;
  const slack = tol.atol + tol.rtol * Math.max(Math.abs(ahead), Math.abs(behind));
  return Math.abs(ahead - behind) > slack ? "kink" : status;
}

function summarise(
  A: ArrayLike<number>, N: ArrayLike<number>, ahead: ArrayLike<number> | undefined, behind: ArrayLike<number> | undefined, tol: Tolerance, indexOf: (k: number) => number[],
  statusOf: (a: number, n: number, tol: Tolerance, ahead?: number, behind?: number) => Status = entryStatus,
  /** Per entry: the finite difference's own rounding noise (roundingNoise), added to atol. */
  noise?: ArrayLike<number>,
): Summary {
  const statuses: Status[] = new Array(A.length);
  let maxRel = 0, failing = 0;
  const rels = new Float64Array(A.length);
  for (let k = 0; k < A.length; k++) {
    statuses[k] = statusOf(A[k], N[k], noise ? withNoise(tol, noise[k]) : tol, ahead?.[k], behind?.[k]);
    // An entry that passes only within the rounding noise was not resolved by the step: skipped, not passed.
    if (noise && statuses[k] === "pass" && noise[k] > 0 && statusOf(A[k], N[k], tol, ahead?.[k], behind?.[k]) !== "pass") statuses[k] = "skipped";
    rels[k] = relError(A[k], N[k], tol);
    if (statuses[k] === "fail") failing++;
    if (statuses[k] !== "kink" && statuses[k] !== "skipped" && rels[k] > maxRel) maxRel = rels[k];
  }
  // Worst first: failures, then kinks, then the rest, each by relative error.
  const rank = (s: Status) => (s === "fail" ? 2 : s === "kink" ? 1 : s === "skipped" ? -1 : 0);
  const order = range(A.length).sort((i, j) => rank(statuses[j]) - rank(statuses[i]) || rels[j] - rels[i]).slice(0, WORST);
  const worst = order.map((k) => ({ index: indexOf(k), analytic: A[k], numeric: N[k], relError: finite(rels[k]), status: statuses[k] }));
  return { status: worstStatus(statuses), maxRelError: finite(maxRel), worst, failing };
}

/** JSON has no Infinity or NaN: report the largest number of the same sign instead (NaN: the worst error, +MAX_VALUE). */
function finite(x: number): number {
  return Number.isFinite(x) ? x : x === -Infinity ? -Number.MAX_VALUE : Number.MAX_VALUE;
}

/** Run the whole check of a built graph. */
export function checkGraph(graph: Graph, options: Partial<CheckOptions> = {}): Report {
  const opts: CheckOptions = { ...DEFAULT_OPTIONS, ...options };
  const tol: Tolerance = { rtol: opts.rtol, atol: opts.atol };
  const seed = opts.seed ?? graph.seed;
  const t0 = performance.now();
  const notes: string[] = [];
  const progress = throttle(opts.onProgress);

  if (opts.local) refuseOversizedJacobians(graph, opts);
  const { values, loss } = forward(graph);
  const grads = backward(graph, values);
  const nonFinite = firstNonFinite(graph, values);

  // Local checks.
  const nodes: NodeReport[] = [];
  const tLocal = performance.now();
  graph.nodes.forEach((node, i) => {
    progress(opts.endToEnd ? (0.3 * i) / graph.nodes.length : i / graph.nodes.length, `local check of ${node.id}`);
    const base: NodeReport = {
      id: node.id, op: node.op.name, status: "skipped", maxRelError: 0, inputs: node.inputs, inputShapes: node.inputShapes,
      outputShape: node.outputShape, params: Object.entries(node.params).map(([name, t]) => ({ name, shape: t.shape, size: t.data.length })),
      jacobians: [],
    };
    if (!opts.local) {
      base.message = "local checks were turned off";
      nodes.push(base);
      return;
    }
    const inputs = node.inputs.map((n) => values.get(n)!);
    // Downstream of the first non-finite value, finite differences only give NaN
    // (Infinity − Infinity): such a node cannot be checked, and is not to blame.
    const fed = nonFinite && nonFinite.node !== node.id ? node.inputs.find((n) => values.get(n)!.data.some((v) => !Number.isFinite(v))) : undefined;
    if (fed !== undefined) {
      base.message = `not checked: its input '${fed}' holds non-finite values (they first appear at ${nonFinite!.node})`;
      nodes.push(base);
      return;
    }
    const { jacobians, reentrancy } = localJacobians(node, inputs, values.get(node.id)!, opts, new Rng(deriveSeed(seed, `local:${node.id}`)));
    base.jacobians = jacobians;
    base.status = worstStatus(jacobians.map((j) => j.status));
    base.maxRelError = Math.max(0, ...jacobians.map((j) => j.maxRelError));
    const failing = jacobians.find((j) => j.status === "fail");
    if (failing?.diagnosis) base.diagnosis = failing.diagnosis;
    if (nonFinite?.node === node.id) {
      base.status = "fail";
      base.diagnosis = { kind: "non-finite", detail: nonFinite.detail };
    }
    if (reentrancy) {
      base.status = "fail";
      base.diagnosis = { kind: "non-deterministic", detail: reentrancy };
    }
    if (jacobians.length === 0) base.message = "nothing to differentiate (label inputs only, no parameters)";
    if (jacobians.some((j) => j.sampled) && opts.mode !== "fast") notes.push(`${node.id}: local Jacobian sampled (${jacobians.filter((j) => j.sampled).map((j) => `${j.wrt}: ${j.rowIndices.length}×${j.colIndices.length} of ${j.rows}×${j.cols}`).join(", ")})`);
    nodes.push(base);
  });
  const localMs = performance.now() - tLocal;

  // End to end.
  const tE2E = performance.now();
  const gradients: GradientReport[] = [];
  if (opts.endToEnd) {
    const feeds = feedsOutput(graph);
    const targets: { name: string; node?: string; param?: string; tensor: Tensor; analytic?: Tensor }[] = [];
    for (const node of graph.nodes)
      for (const [p, t] of Object.entries(node.params)) targets.push({ name: `${node.id}.${p}`, node: node.id, param: p, tensor: t, analytic: grads.params.get(`${node.id}.${p}`) });
    for (const inp of graph.inputs) if (inp.classes === undefined) targets.push({ name: inp.id, tensor: inp.value, analytic: grads.values.get(inp.id) });
    // Default: incremental (recompute only downstream of each perturbation), threads when the work pays (evaluate-auto.ts).
    const evaluator: EndToEndEvaluator = (opts.evaluator ?? ((g: Graph) => autoEvaluator(g)))(graph);
    const totalEntries = targets.reduce((s, t) => s + t.tensor.data.length, 0);
    let done = 0;
    try {
      for (const t of targets) {
        const size = t.tensor.data.length;
        const owner = t.node ?? t.name;
        const report: GradientReport = { name: t.name, node: t.node, param: t.param, shape: t.tensor.shape, status: "skipped", maxRelError: 0, worst: [], checked: 0, total: size, sampled: false };
        gradients.push(report);
        if (!feeds.has(owner)) continue; // does not reach the loss: nothing to compare
        const analytic = t.analytic?.data ?? new Float64Array(size);
        const rng = new Rng(deriveSeed(seed, `e2e:${t.name}`));
        if (opts.mode === "fast") {
          const v = new Float64Array(size);
          for (let i = 0; i < size; i++) v[i] = rng.normal();
          const { plus, minus } = evaluator.directional(t.name, v, opts.step);
          let a = 0;
          for (let i = 0; i < size; i++) a += analytic[i] * v[i];
          const n = (plus - minus) / (2 * opts.step);
          const noise = roundingNoise(Math.max(Math.abs(plus), Math.abs(minus)), maxAbs(t.tensor.data), n, opts.step);
          const s = summarise([a], [n], [(plus - loss) / opts.step], [(loss - minus) / opts.step], tol, () => [], (a, n, tol, up, down) => directionalStatus(a, n, tol, up!, down!), [noise]);
          Object.assign(report, { status: s.status, maxRelError: s.maxRelError, worst: s.worst, checked: 1, sampled: true });
          if (s.status === "fail") report.diagnosis = diagnose({ analytic: [a], numeric: [n], wrtShape: t.tensor.shape, what: `⟨dL/d${t.name}, v⟩` }, tol);
        } else {
          const exhaustive = opts.mode === "exhaustive" || (opts.mode === "auto" && size <= opts.gradientLimit);
          const indices = exhaustive ? range(size) : rng.sample(size, opts.samples);
          const { plus, minus } = evaluator.entries(t.name, indices, opts.step, (k) => progress(0.3 + (0.7 * (done + k)) / totalEntries, `end-to-end dL/d${t.name}`));
          done += size;
          const A = new Float64Array(indices.length), N = new Float64Array(indices.length), up = new Float64Array(indices.length), down = new Float64Array(indices.length);
          const noise = new Float64Array(indices.length);
          indices.forEach((flat, k) => {
            A[k] = analytic[flat];
            N[k] = (plus[k] - minus[k]) / (2 * opts.step);
            up[k] = (plus[k] - loss) / opts.step;
            down[k] = (loss - minus[k]) / opts.step;
            noise[k] = roundingNoise(Math.max(Math.abs(plus[k]), Math.abs(minus[k])), Math.abs(t.tensor.data[flat]), N[k], opts.step);
          });
          const s = summarise(A, N, up, down, tol, (k) => unravel(indices[k], t.tensor.shape), entryStatus, noise);
          Object.assign(report, { status: s.status, maxRelError: s.maxRelError, worst: s.worst, checked: indices.length, sampled: !exhaustive });
          if (s.status === "fail") report.diagnosis = diagnose({ analytic: A, numeric: N, index: indices, wrtShape: t.tensor.shape, what: `dL/d${t.name}`, batch: batchOf(graph.inputs.map((i) => i.value)) }, tol);
          if (!exhaustive) notes.push(`dL/d${t.name}: ${indices.length} of ${size} entries sampled`);
        }
      }
    } finally {
      evaluator.dispose?.();
    }
  }
  const endToEndMs = performance.now() - tE2E;
  progress(1, "done");

  const counts: Record<Status, number> = { pass: 0, fail: 0, kink: 0, skipped: 0 };
  for (const n of nodes) counts[n.status]++;
  if (graph.projection) notes.unshift(`the output '${graph.output}' is not a scalar: the loss is Σ rᵢ·outᵢ with a fixed seeded random projection r`);
  if (nonFinite) notes.push(nonFinite.detail);
  const ok = nodes.every((n) => n.status !== "fail") && gradients.every((g) => g.status !== "fail");
  return {
    ok, version: VERSION,
    network: { name: graph.name, ...(graph.file ? { file: graph.file } : {}), seed: graph.seed },
    mode: opts.mode === "auto" ? (gradients.some((g) => g.sampled) ? "sampled" : "exhaustive") : opts.mode,
    rtol: opts.rtol, atol: opts.atol, step: opts.step, loss: finite(loss), output: graph.output,
    ...(graph.projection ? { reduction: "seeded random projection" } : {}),
    inputs: graph.inputs.map((i) => ({ id: i.id, shape: i.shape, ...(i.classes !== undefined ? { classes: i.classes } : {}) })),
    nodes, gradients, counts, notes,
    timings: { totalMs: performance.now() - t0, localMs, endToEndMs },
  };
}

/** Throws NetworkError (located at the node) when the local Jacobians would not fit in memory (limits.ts). */
function refuseOversizedJacobians(graph: Graph, opts: CheckOptions): void {
  const size = (shape: number[]) => shape.reduce((a, b) => a * b, 1);
  let tensorBytes = 0;
  for (const inp of graph.inputs) tensorBytes += 8 * size(inp.shape) * (inp.classes === undefined ? 2 : 1);
  const nodes = graph.nodes.map((node) => {
    const outputSize = size(node.outputShape);
    tensorBytes += 16 * outputSize;
    const wrts = node.inputs.flatMap((name, k) => (node.labelInputs.has(k) ? [] : [{ name, size: size(node.inputShapes[k]) }]));
    for (const [name, t] of Object.entries(node.params)) {
      tensorBytes += 16 * t.data.length;
      wrts.push({ name, size: t.data.length });
    }
    return { id: node.id, specIndex: node.specIndex, outputSize, wrts };
  });
  checkJacobianMemory(nodes, tensorBytes, opts);
}


/** The first node whose output is not finite while its inputs are: where NaN/Inf first appears. */
function firstNonFinite(graph: Graph, values: Map<string, Tensor>): { node: string; detail: string } | undefined {
  const bad = (t: Tensor) => t.data.findIndex((v) => !Number.isFinite(v));
  for (const inp of graph.inputs) if (bad(inp.value) >= 0) return { node: inp.id, detail: `input '${inp.id}' holds a non-finite value` };
  for (const node of graph.nodes) {
    const out = values.get(node.id)!;
    const k = bad(out);
    if (k < 0) continue;
    if (node.inputs.some((n) => bad(values.get(n)!) >= 0)) continue;
    return { node: node.id, detail: `the output of ${node.id} (${node.op.name}) is ${out.data[k]} at [${unravel(k, out.shape).join(", ")}] although its inputs are finite: non-finite values first appear here` };
  }
  return undefined;
}

function throttle(f?: (fraction: number, message: string) => void): (fraction: number, message: string) => void {
  if (!f) return () => {};
  let last = 0;
  return (fraction, message) => {
    const now = performance.now();
    if (now - last < 50 && fraction < 1) return;
    last = now;
    f(fraction, message);
  };
}

export { sizeOf, UserOpError };
export type { Diagnosis };
