/**
 * `npm run bench` (mode "python"): the local check of a Python layer of 1,000 input entries against
 * the same layer written in TypeScript, the interpreter's start aside (issue 12: no more than 5×).
 *
 * The layer is examples/python/layers.py#affine, the course's out = x·w + b, with x [10, 100]
 * (1,000 entries), w [100, 10], b [10]; the TypeScript twin is the same formula in plain loops, as
 * a defineOp custom op would be written. Both in the same one-node network (affine, then a sum),
 * loaded the way the CLI loads it (the Python one through a real interpreter, started once before
 * the timed runs), then `checkGraph(graph, { local: true, endToEnd: false, jacobianLimit: 1e6 })`:
 * every entry of the node's Jacobians against x, w and b (100 × 1,000, 100 × 1,000 and 100 × 10:
 * 4,020 perturbed forwards and 100 one-hot backwards), none sampled. One JSON line with both
 * medians and their ratio.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join, relative } from "node:path";
import { spawnSync } from "node:child_process";
import { loadNetworkFile } from "../src/config/load.js";
import { checkGraph } from "../src/engine/check.js";
import { buildGraph, type Graph } from "../src/engine/graph.js";
import type { NetworkSpec } from "../src/engine/network.js";
import { defineOp } from "../src/engine/op.js";
import type { Tensor } from "../src/engine/tensor.js";
import { PythonLayers } from "../src/worker/python/layers.js";

const B = 10, D = 100, M = 10;

/** out = x·w + b (x [B, D], w [D, M], b [M]); dx = g·wᵀ, dw = xᵀ·g, db = Σ_n g: the TypeScript twin of layers.py#affine. */
const tsAffine = defineOp({
  name: "affine",
  params: { w: { shape: () => [D, M] }, b: { shape: () => [M] } },
  forward: ({ inputs: [x], params: { w, b } }): Tensor => {
    const out = new Float64Array(B * M);
    for (let i = 0; i < B; i++) for (let j = 0; j < M; j++) {
      let s = b.data[j];
      for (let k = 0; k < D; k++) s += x.data[i * D + k] * w.data[k * M + j];
      out[i * M + j] = s;
    }
    return { shape: [B, M], data: out };
  },
  backward: ({ inputs: [x], params: { w }, gradOutput: g }) => {
    const dx = new Float64Array(B * D), dw = new Float64Array(D * M), db = new Float64Array(M);
    for (let i = 0; i < B; i++) for (let j = 0; j < M; j++) {
      const gij = g.data[i * M + j];
      db[j] += gij;
      for (let k = 0; k < D; k++) {
        dx[i * D + k] += gij * w.data[k * M + j];
        dw[k * M + j] += x.data[i * D + k] * gij;
      }
    }
    return { inputs: [{ shape: [B, D], data: dx }], params: { w: { shape: [D, M], data: dw }, b: { shape: [M], data: db } } };
  },
});

function spec(op: NetworkSpec["nodes"][number]["op"], ops?: Record<string, string>): NetworkSpec {
  return {
    name: "python-affine", seed: 1, ...(ops ? { ops } : {}),
    inputs: { x: { shape: [B, D] } },
    nodes: [{ id: "fc", op, params: { w: { shape: [D, M] }, b: { shape: [M] } } }, { id: "loss", op: "sum" }],
  };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

function timed(graph: Graph, runs: number, warmup: number): { seconds: number; min: number; ok: boolean; entries: number } {
  const times: number[] = [];
  let ok = false, entries = 0;
  for (let r = -warmup; r < runs; r++) {
    const t0 = performance.now();
    const report = checkGraph(graph, { local: true, endToEnd: false, jacobianLimit: 1e6 });
    if (r >= 0) times.push((performance.now() - t0) / 1000);
    ok = report.ok;
    entries = report.nodes.find((n) => n.id === "fc")!.jacobians.reduce((s, j) => s + j.checked, 0);
  }
  return { seconds: median(times), min: Math.min(...times), ok, entries };
}

export async function benchPythonLayer(options: { python: string; runs: number; warmup: number }): Promise<void> {
  const { python, runs, warmup } = options;
  if (spawnSync(python, ["-c", "import numpy"], { stdio: "ignore" }).status !== 0) {
    console.log(JSON.stringify({ network: "python-affine", mode: "local", engine: "gradlens (Python layer)", skipped: `${python} with NumPy is not installed here (--python PATH)` }));
    return;
  }
  const root = join(import.meta.dirname, "..");
  const dir = mkdtempSync(join(tmpdir(), "gradlens-bench-python-"));
  const layers = new PythonLayers({ python });
  try {
    const file = join(dir, "python-affine.gradnet.json");
    writeFileSync(file, JSON.stringify(spec("affine", { affine: relative(dir, join(root, "examples", "python", "layers.py")) + "#affine" })));
    // The interpreter's start and the layer file's import: once, before the timed runs.
    const t0 = performance.now();
    const loaded = await loadNetworkFile(file, { resolvePythonOps: layers.resolve });
    const startSeconds = (performance.now() - t0) / 1000;
    const py = timed(loaded.graph, runs, warmup);
    const ts = timed(buildGraph(spec(tsAffine)), runs, warmup);
    console.log(JSON.stringify({
      network: "python-affine", mode: "local", engine: "gradlens (Python layer vs TypeScript)", entries: B * D,
      seconds: +py.seconds.toFixed(4), typescriptSeconds: +ts.seconds.toFixed(4), ratio: +(py.seconds / ts.seconds).toFixed(2),
      min: +py.min.toFixed(4), typescriptMin: +ts.min.toFixed(4), startSeconds: +startSeconds.toFixed(3),
      checkedEntries: py.entries, ok: py.ok && ts.ok, runs, python: layers.interpreter?.executable, numpy: layers.interpreter?.numpy, load1: +loadavg()[0].toFixed(2),
    }));
  } finally {
    layers.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
