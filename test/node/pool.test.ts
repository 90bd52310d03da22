/**
 * PooledEvaluator: perturbations split across worker threads give exactly the
 * numbers of one thread, whoever runs which chunk; workers that fail, never
 * start or hang cost time but never a result; custom ops never go to a worker.
 */
import { test, describe } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { buildGraph, type Graph } from "../../src/engine/graph.js";
import { IncrementalEvaluator } from "../../src/engine/incremental.js";
import { PooledEvaluator, graphData, graphFromData, poolable } from "../../src/worker/pool.js";
import { StraightEvaluator, tensorByName } from "../../src/engine/evaluate.js";
import { checkGraph } from "../../src/engine/check.js";
import { defineOp } from "../../src/engine/op.js";
import type { NetworkSpec } from "../../src/engine/network.js";

const root = join(import.meta.dirname, "..", "..");
const load = (file: string): Graph => buildGraph(JSON.parse(readFileSync(join(root, file), "utf8")) as NetworkSpec, { file });
const range = (n: number, from = 0) => Array.from({ length: n }, (_, i) => from + i);

function assertSame(a: { plus: Float64Array; minus: Float64Array }, b: { plus: Float64Array; minus: Float64Array }, what: string) {
  assert.equal(a.plus.length, b.plus.length);
  for (let k = 0; k < a.plus.length; k++) {
    assert.equal(a.plus[k], b.plus[k], `${what}: plus[${k}]`);
    assert.equal(a.minus[k], b.minus[k], `${what}: minus[${k}]`);
  }
}

describe("pool: identical to one thread", () => {
  test("the graph sent to a worker rebuilds to the same losses", () => {
    const graph = load("examples/bench/residual.gradnet.json");
    const copy = graphFromData(structuredClone(graphData(graph)));
    const a = new IncrementalEvaluator(graph), b = new IncrementalEvaluator(copy);
    assert.equal(a.loss, b.loss);
    for (const name of ["fc1.W", "norm.gamma", "x"]) assertSame(a.entries(name, range(32), 1e-6), b.entries(name, range(32), 1e-6), name);
  });

  test("split (several outputs) and dropout (the node's seeded rng, the mask saved) in workers: bit-identical", () => {
    const spec: NetworkSpec = {
      seed: 9,
      inputs: { x: { shape: [6, 8] }, m: { shape: [6, 4], constant: true } },
      nodes: [
        { id: "fc", op: "linear", units: 8 },
        { id: "drop", op: "dropout", p: 0.4 },
        { id: "parts", op: "split", sizes: [4, 4], names: ["a", "b"] },
        { id: "gate", op: "mul", inputs: ["parts:a", "m"] },
        { id: "sum", op: "add", inputs: ["gate", "parts:b"] },
        { id: "loss", op: "mean" },
      ],
    };
    const graph = buildGraph(spec);
    assert.ok(poolable(graph));
    const copy = graphFromData(structuredClone(graphData(graph)));
    assert.deepEqual(copy.nodes.map((n) => [n.outputValues, n.rngSeed]), graph.nodes.map((n) => [n.outputValues, n.rngSeed]));
    assert.equal(copy.inputs[1].constant, true);
    const single = new IncrementalEvaluator(graph), straight = new StraightEvaluator(graph);
    const pool = new PooledEvaluator(graph, { threads: 2, minSeconds: 0, chunk: 8, callerWorks: false, stallMs: 60_000 });
    try {
      for (const name of ["fc.W", "x"]) {
        const indices = range(tensorByName(graph, name).data.length);
        assertSame(pool.entries(name, indices, 1e-6), single.entries(name, indices, 1e-6), name);
        // Against whole forward passes (the same mask every time): equal to rounding, as the incremental evaluator promises.
        const a = single.entries(name, indices, 1e-6), b = straight.entries(name, indices, 1e-6);
        for (let k = 0; k < indices.length; k++) {
          assert.ok(Math.abs(a.plus[k] - b.plus[k]) <= 1e-13 * Math.max(1, Math.abs(b.plus[k])), `${name} plus[${k}]: ${a.plus[k]} vs ${b.plus[k]}`);
          assert.ok(Math.abs(a.minus[k] - b.minus[k]) <= 1e-13 * Math.max(1, Math.abs(b.minus[k])), `${name} minus[${k}]`);
        }
      }
    } finally {
      pool.dispose();
    }
    assert.equal(checkGraph(graph, { mode: "exhaustive" }).ok, true);
  });

  test("workers alone (the caller claims nothing) give bit-identical results, in several jobs", () => {
    const graph = load("examples/bench/mnist-small.gradnet.json");
    const single = new IncrementalEvaluator(graph);
    const pool = new PooledEvaluator(graph, { threads: 3, minSeconds: 0, chunk: 50, callerWorks: false, stallMs: 60_000 });
    try {
      for (const name of ["fc1.W", "x", "fc2.W"]) {
        const indices = range(Math.min(1500, tensorByName(graph, name).data.length));
        assertSame(pool.entries(name, indices, 1e-6), single.entries(name, indices, 1e-6), name);
      }
      assert.equal(pool.stats.pooledJobs, 3);
      assert.ok(pool.stats.chunks > 0);
      assert.equal(pool.stats.callerChunks, 0, "every chunk after the first was a worker's");
    } finally {
      pool.dispose();
    }
  });

  test("caller and workers sharing the chunks give bit-identical results", () => {
    const graph = load("examples/bench/mnist-mlp.gradnet.json");
    const single = new IncrementalEvaluator(graph);
    const pool = new PooledEvaluator(graph, { threads: 2, minSeconds: 0, chunk: 20 });
    try {
      const indices = range(3000, 40000);
      assertSame(pool.entries("fc1.W", indices, 1e-6), single.entries("fc1.W", indices, 1e-6), "fc1.W");
    } finally {
      pool.dispose();
    }
  });

  test("checkGraph with the pool: the same report as with whole forward passes", () => {
    const straight = checkGraph(load("examples/bench/mnist-small.gradnet.json"), { mode: "sampled", samples: 200, local: false, evaluator: (g) => new StraightEvaluator(g) });
    const pooled = checkGraph(load("examples/bench/mnist-small.gradnet.json"), { mode: "sampled", samples: 200, local: false, evaluator: (g) => new PooledEvaluator(g, { threads: 2, minSeconds: 0, chunk: 16 }) });
    assert.deepEqual(pooled.gradients.map((g) => [g.name, g.status, g.checked]), straight.gradients.map((g) => [g.name, g.status, g.checked]));
    assert.equal(pooled.ok, true);
  });
});

describe("pool: workers that misbehave", () => {
  const dir = mkdtempSync(join(tmpdir(), "gradlens-pool-"));
  const script = (name: string, body: string) => {
    const path = join(dir, name);
    writeFileSync(path, `const { parentPort } = require("node:worker_threads");\n${body}\n`);
    return path;
  };

  test("a worker that fails every chunk: the caller redoes them, same numbers", () => {
    const path = script("failing.cjs", `parentPort.on("message", (m) => { if (m.type !== "job") return;
      const chunks = Math.ceil(m.indices.length / m.chunk);
      for (;;) { const c = Atomics.add(m.control, 0, 1); if (c >= chunks) return; Atomics.store(m.control, 4 + c, 3); Atomics.add(m.control, 1, 1); Atomics.notify(m.control, 1); } });`);
    const graph = load("examples/bench/residual.gradnet.json");
    const pool = new PooledEvaluator(graph, { threads: 2, minSeconds: 0, chunk: 8, workerPath: path, callerWorks: false, stallMs: 60_000 });
    try {
      assertSame(pool.entries("fc1.W", range(256), 1e-6), new IncrementalEvaluator(graph).entries("fc1.W", range(256), 1e-6), "fc1.W");
    } finally {
      pool.dispose();
    }
  });

  test("a worker that claims a chunk and hangs: after the stall the caller does it", () => {
    const path = script("hanging.cjs", `parentPort.on("message", (m) => { if (m.type !== "job") return;
      const c = Atomics.add(m.control, 0, 1); Atomics.store(m.control, 4 + c, 1); Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0); });`);
    const graph = load("examples/bench/residual.gradnet.json");
    const pool = new PooledEvaluator(graph, { threads: 2, minSeconds: 0, chunk: 8, workerPath: path, callerWorks: false, stallMs: 200 });
    try {
      assertSame(pool.entries("fc2.W", range(256), 1e-6), new IncrementalEvaluator(graph).entries("fc2.W", range(256), 1e-6), "fc2.W");
    } finally {
      pool.dispose();
    }
  });

  test("a worker script that cannot load: the caller does everything", () => {
    const path = script("broken.cjs", `throw new Error("cannot start");`);
    const graph = load("examples/bench/residual.gradnet.json");
    const pool = new PooledEvaluator(graph, { threads: 2, minSeconds: 0, chunk: 8, workerPath: path });
    try {
      assertSame(pool.entries("x", range(64), 1e-6), new IncrementalEvaluator(graph).entries("x", range(64), 1e-6), "x");
    } finally {
      pool.dispose();
    }
  });

  test("an error in the network surfaces on the calling thread, as without workers", () => {
    const graph = load("examples/bench/residual.gradnet.json");
    const pool = new PooledEvaluator(graph, { threads: 2, minSeconds: 0, chunk: 8 });
    try {
      assert.throws(() => pool.entries("no-such-tensor", range(64), 1e-6), /no tensor named 'no-such-tensor'/);
    } finally {
      pool.dispose();
    }
  });

  test("a custom op keeps the check in one thread", () => {
    const same = defineOp({ name: "same", forward: ({ inputs: [x] }) => ({ shape: [...x.shape], data: new Float64Array(x.data) }), backward: ({ gradOutput: g }) => ({ inputs: [g] }) });
    const graph = buildGraph({ inputs: { x: { shape: [2, 3] } }, nodes: [{ id: "fc", op: "linear", units: 2 }, { id: "s", op: same }, { id: "loss", op: "sum" }] });
    assert.equal(poolable(graph), false);
    assert.equal(poolable(load("examples/bench/residual.gradnet.json")), true);
    const pool = new PooledEvaluator(graph, { threads: 2, minSeconds: 0, chunk: 1 });
    pool.entries("fc.W", range(6), 1e-6);
    assert.equal(pool.stats.pooledJobs, 0);
  });
});
