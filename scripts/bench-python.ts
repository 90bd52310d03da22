/**
 * `npm run bench:python`: what a round trip to the Python runner costs, and what batching saves.
 *
 *   npm run bench:python [-- --python /usr/bin/python3] [--runs N] [--batch B] [--in D] [--units M]
 *
 * The op is test/fixtures/python/layers.py#affine (out = x·w + b) with x [B, D] = 1,000 entries by
 * default. A local check of its input x needs the forward at x ± h·eᵢ for every entry i (2,000
 * forwards), and its analytic Jacobian needs backward with every one-hot upstream gradient (one per
 * output entry). Timed, each the median of N runs:
 * - singles: those 2,000 forwards as 2,000 requests, the backward as one request per output entry;
 * - batched: one forward_batch request, one backward_batch request;
 * - typescript: the same affine written in TypeScript (plain loops, as a defineOp would), in process.
 * The interpreter's start (with NumPy's import) is timed apart. Prints a table and one JSON line.
 */
import { join } from "node:path";
import { loadavg } from "node:os";
import { PythonSession } from "../src/worker/python/session.js";
import type { Tensor } from "../src/engine/tensor.js";

const args = process.argv.slice(2);
const flag = (name: string, fallback: string) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : fallback;
};
const python = flag("python", process.env.GRADLENS_PYTHON ?? "/usr/bin/python3");
const runs = Number(flag("runs", "5"));
const B = Number(flag("batch", "10")), D = Number(flag("in", "100")), M = Number(flag("units", "10"));
const h = 1e-6;
const layers = join(__dirname, "..", "test", "fixtures", "python", "layers.py");

const filled = (shape: number[], f: (i: number) => number): Tensor => {
  const n = shape.reduce((a, b) => a * b, 1);
  return { shape, data: Float64Array.from({ length: n }, (_, i) => f(i)) };
};
const x = filled([B, D], (i) => Math.sin(i)), w = filled([D, M], (i) => Math.cos(i) / 10), b = filled([M], (i) => i / M);
const entries = x.data.length, outputs = B * M;

function median(f: () => void): number {
  const times: number[] = [];
  for (let r = 0; r < runs; r++) {
    const t0 = performance.now();
    f();
    times.push((performance.now() - t0) / 1000);
  }
  return times.sort((p, q) => p - q)[Math.floor(times.length / 2)];
}

// The same op in TypeScript: out = x·w + b; dx = g·wᵀ, dw = xᵀ·g, db = Σ g.
function tsForward(xd: Float64Array): Float64Array {
  const out = new Float64Array(B * M);
  for (let i = 0; i < B; i++) for (let j = 0; j < M; j++) {
    let s = b.data[j];
    for (let k = 0; k < D; k++) s += xd[i * D + k] * w.data[k * M + j];
    out[i * M + j] = s;
  }
  return out;
}
function tsBackward(g: Float64Array): Float64Array[] {
  const dx = new Float64Array(B * D), dw = new Float64Array(D * M), db = new Float64Array(M);
  for (let i = 0; i < B; i++) for (let j = 0; j < M; j++) {
    const gij = g[i * M + j];
    db[j] += gij;
    for (let k = 0; k < D; k++) {
      dx[i * D + k] += gij * w.data[k * M + j];
      dw[k * M + j] += x.data[i * D + k] * gij;
    }
  }
  return [dx, dw, db];
}

const t0 = performance.now();
const session = PythonSession.start({ python });
const op = session.load(layers, "affine", { params: ["w", "b"] });
const startSeconds = (performance.now() - t0) / 1000;
const indices = Array.from({ length: entries }, (_, i) => i);
const oneHot = filled([outputs, B, M], (i) => (i % (outputs + 1) === 0 ? 1 : 0));
const { handle } = session.forward(op, [x], { w, b });

// The batch must give what the singles give.
const batch = session.forwardBatch(op, [x], { w, b }, { input: 0, indices: [7], h });
const moved = { shape: x.shape, data: Float64Array.from(x.data) };
moved.data[7] += h;
if (session.evaluate(op, [moved], { w, b }).data.some((v, i) => v !== batch.plus.data[i])) throw new Error("forward_batch differs from a single forward");

const singleForwards = median(() => {
  for (const i of indices) for (const sign of [1, -1]) {
    const xi = { shape: x.shape, data: Float64Array.from(x.data) };
    xi.data[i] = sign > 0 ? xi.data[i] + h : xi.data[i] - h;
    session.evaluate(op, [xi], { w, b });
  }
});
const batchForwards = median(() => session.forwardBatch(op, [x], { w, b }, { input: 0, indices, h }));
const singleBackwards = median(() => {
  for (let k = 0; k < outputs; k++) session.backward(op, handle, { shape: [B, M], data: oneHot.data.subarray(k * outputs, (k + 1) * outputs) });
});
const batchBackwards = median(() => session.backwardBatch(op, handle, oneHot));
const emptyRoundTrip = median(() => {
  for (let k = 0; k < 100; k++) session.release([]);
}) / 100;
session.close();

const tsForwards = median(() => {
  for (const i of indices) for (const sign of [1, -1]) {
    const xi = Float64Array.from(x.data);
    xi[i] = sign > 0 ? xi[i] + h : xi[i] - h;
    tsForward(xi);
  }
});
const tsBackwards = median(() => {
  for (let k = 0; k < outputs; k++) tsBackward(oneHot.data.subarray(k * outputs, (k + 1) * outputs));
});

const ms = (s: number) => `${(s * 1000).toFixed(1)} ms`.padStart(10);
console.log(`affine x [${B}, ${D}] (${entries} entries) · w [${D}, ${M}] + b: ${2 * entries} perturbed forwards, ${outputs} one-hot backwards; ${python}, median of ${runs}`);
console.log(`  start (interpreter + NumPy + load)      ${ms(startSeconds)}`);
console.log(`  empty round trip                        ${`${(emptyRoundTrip * 1e6).toFixed(0)} µs`.padStart(10)}`);
console.log(`  forwards:  ${2 * entries} requests ${ms(singleForwards)}   one forward_batch  ${ms(batchForwards)}   TypeScript ${ms(tsForwards)}`);
console.log(`  backwards: ${outputs} requests ${ms(singleBackwards)}   one backward_batch ${ms(batchBackwards)}   TypeScript ${ms(tsBackwards)}`);
const pythonLocal = batchForwards + batchBackwards, tsLocal = tsForwards + tsBackwards;
console.log(`  local check of x, batched: ${ms(pythonLocal)} vs TypeScript ${ms(tsLocal)} (${(pythonLocal / tsLocal).toFixed(1)}×); unbatched ${ms(singleForwards + singleBackwards)}`);
console.log(JSON.stringify({
  bench: "python-runner", python, entries, outputs, runs, loadavg: loadavg()[0],
  startSeconds, emptyRoundTripSeconds: emptyRoundTrip,
  singleForwardsSeconds: singleForwards, batchForwardsSeconds: batchForwards, tsForwardsSeconds: tsForwards,
  singleBackwardsSeconds: singleBackwards, batchBackwardsSeconds: batchBackwards, tsBackwardsSeconds: tsBackwards,
  batchedVsTypeScript: pythonLocal / tsLocal,
}));
