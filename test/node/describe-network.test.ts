// describeNetwork, the shapes-only build for the editor: the same GraphView as
// describeGraph(buildGraph(...)) and the same errors at the same paths, on every
// example, every bad fixture and a few thousand fuzzed files, without making the
// input and parameter values (a custom op without outputShape excepted: it runs
// forward to learn its shape).
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { describe, test } from "node:test";
import "../../src/config/typescript-support.js";
import { loadNetworkFile, parseNetworkText } from "../../src/config/load.js";
import { describeNetworkText } from "../../src/config/describe.js";
import { PythonLayers } from "../../src/worker/python/layers.js";
import { buildGraph, describeGraph, describeNetwork, type BuildOptions } from "../../src/engine/graph.js";
import type { NetworkSpec } from "../../src/engine/network.js";
import { defineOp } from "../../src/engine/op.js";
import { builtinOps } from "../../src/engine/ops/index.js";
import { tensor } from "../../src/engine/tensor.js";
import { generateCase } from "../fuzz/generate.js";
import { loadSeeds } from "../fuzz/run.js";

const root = join(import.meta.dirname, "..", "..");
const PY = process.env.GRADLENS_TEST_PYTHON ?? "/usr/bin/python3";
const hasPythonLayers = existsSync(PY) && spawnSync(PY, ["-c", "import numpy, torch"], { stdio: "ignore" }).status === 0;

function networkFiles(dir: string): string[] {
  return readdirSync(join(root, dir), { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && /\.gradnet\.(json|ts)$/.test(e.name))
    .map((e) => relative(root, join(e.parentPath, e.name)))
    .sort();
}

type Outcome = { view: unknown } | { error: { name: string; message: string; path?: unknown; target?: unknown } };

function outcome(f: () => unknown): Outcome {
  try {
    return { view: f() };
  } catch (e) {
    const err = e as Error & { path?: unknown; target?: unknown };
    return { error: { name: err.name, message: err.message, path: err.path, target: err.target } };
  }
}

/** Both builds of one spec, side by side. */
function both(spec: NetworkSpec, options: BuildOptions): { full: Outcome; shapes: Outcome } {
  return { full: outcome(() => describeGraph(buildGraph(spec, options))), shapes: outcome(() => describeNetwork(spec, options)) };
}

describe("describeNetwork: the GraphView of a full build, without its values", () => {
  // First, before the other tests leave garbage that a collection could free meanwhile.
  test("built-in ops: no input or parameter values are made (64 MiB of them in a full build)", () => {
    const spec: NetworkSpec = { inputs: { x: { shape: [2048, 4096] } }, nodes: [{ id: "fc", op: "linear", units: 2 }, { id: "loss", op: "sum" }] };
    const before = process.memoryUsage().arrayBuffers;
    const view = describeNetwork(spec);
    const shapesOnly = process.memoryUsage().arrayBuffers - before;
    const graph = buildGraph(spec);
    const full = process.memoryUsage().arrayBuffers - before;
    assert.deepEqual(view, describeGraph(graph));
    assert.ok(shapesOnly < 2 ** 20, `describeNetwork made ${shapesOnly} bytes of arrays`);
    assert.ok(full >= 48 * 2 ** 20, `buildGraph made ${full} bytes of arrays`); // 64 MiB, less any garbage collected meanwhile
  });

  test("every example (JSON, TypeScript, custom ops, Python layers): the same view as describeGraph(buildGraph(...))", async (t) => {
    const files = networkFiles("examples");
    assert.ok(files.length >= 20, `examples found: ${files.join(", ")}`);
    // Python layers run in one interpreter (Debian's, with NumPy and PyTorch): without it, those examples are skipped, and said so.
    const python = hasPythonLayers ? new PythonLayers({ python: PY }) : undefined;
    t.after(() => python?.close());
    for (const file of files) {
      if (/"\.\/[^"]*\.py#/.test(readFileSync(join(root, file), "utf8")) && !python) {
        t.diagnostic(`${file}: skipped (${PY} with NumPy and PyTorch is not installed here)`);
        continue;
      }
      const loaded = await loadNetworkFile(join(root, file), { resolvePythonOps: python?.resolve });
      // A JSON network's "ops" names: the op each node got when it was loaded.
      const customOps = Object.fromEntries(loaded.spec.nodes.flatMap((n) =>
        typeof n.op === "string" && !builtinOps.has(n.op) ? [[n.op, loaded.graph.nodes.find((g) => g.id === n.id)!.op]] : []));
      const { full, shapes } = both(loaded.spec, { customOps, file: loaded.file });
      assert.ok("view" in full, `${file}: ${JSON.stringify(full)}`);
      assert.deepEqual(shapes, full, file);
      assert.deepEqual(shapes, { view: describeGraph(loaded.graph) }, file);
    }
  });

  test("every bad fixture: the same error, message and path, as a full build", () => {
    const files = ["test/fixtures/bad", "test/fixtures/ts", "test/fixtures/cli", "test/editor/fixtures"].flatMap(networkFiles).filter((f) => f.endsWith(".json"));
    let failedInBuild = 0;
    for (const file of files) {
      let spec: NetworkSpec;
      try {
        spec = parseNetworkText(readFileSync(join(root, file), "utf8"), file).spec;
      } catch {
        continue; // syntax or schema: stopped before either build
      }
      const { full, shapes } = both(spec, { file });
      assert.deepEqual(shapes, full, file);
      if ("error" in full) failedInBuild++;
    }
    assert.ok(failedInBuild >= 8, `bad fixtures that reach the build and fail there: ${failedInBuild}`);
  });

  test("800 fuzzed network files (the fuzz generator's mutations): the same view or the same error", () => {
    const seeds = loadSeeds();
    let built = 0, failed = 0;
    for (let i = 0; i < 800; i++) {
      const c = generateCase(seeds, i, 20261128);
      let spec: NetworkSpec;
      try {
        spec = parseNetworkText(new TextDecoder().decode(c.bytes), "case.gradnet.json").spec;
      } catch {
        continue;
      }
      const { full, shapes } = both(spec, { file: "case.gradnet.json", maxMemoryMb: 64 });
      assert.deepEqual(shapes, full, `case ${i}: ${c.mutations.join("; ")}`);
      if ("error" in full) failed++;
      else built++;
    }
    assert.ok(built >= 40 && failed >= 40, `built ${built}, failed in the build ${failed}`);
  });

  test("a custom op with outputShape: neither its forward nor its parameters' init runs", () => {
    const calls = { forward: 0, init: 0 };
    const scaled = defineOp({
      name: "scaled",
      params: { s: { shape: ({ inputShapes }) => [inputShapes[0][1]], init: (shape) => { calls.init++; return tensor(shape); } } },
      outputShape: ({ inputShapes }) => inputShapes[0],
      forward: ({ inputs: [x], params: { s } }) => {
        calls.forward++;
        return { shape: x.shape, data: x.data.map((v, i) => v * s.data[i % s.data.length]) };
      },
      backward: ({ gradOutput: g }) => ({ inputs: [g] }),
    });
    const spec: NetworkSpec = { inputs: { x: { shape: [4, 3] } }, nodes: [{ id: "a", op: scaled }, { id: "loss", op: "sum" }] };
    const view = describeNetwork(spec);
    assert.deepEqual(calls, { forward: 0, init: 0 });
    assert.deepEqual(view, describeGraph(buildGraph(spec)));
    assert.deepEqual(calls, { forward: 0, init: 1 });
  });

  test("a custom op without outputShape runs forward (with the values that pass needs) to learn its shape", () => {
    let forwards = 0;
    const flatten = defineOp({
      name: "flatten",
      forward: ({ inputs: [x] }) => {
        forwards++;
        return { shape: [x.shape[0], x.data.length / x.shape[0]], data: x.data };
      },
      backward: ({ inputs: [x], gradOutput: g }) => ({ inputs: [{ shape: x.shape, data: g.data }] }),
    });
    const spec: NetworkSpec = {
      inputs: { x: { shape: [2, 3, 4] }, y: { shape: [2], classes: 5 } },
      nodes: [{ id: "f", op: flatten }, { id: "fc", op: "linear", units: 5 }, { id: "p", op: "softmax" }, { id: "loss", op: "cross_entropy", inputs: ["p", "y"] }],
    };
    const view = describeNetwork(spec);
    assert.equal(forwards, 1);
    assert.deepEqual(view.nodes.find((n) => n.id === "f")!.outputShape, [2, 12]);
    assert.deepEqual(view, describeGraph(buildGraph(spec)));
  });

  test("describeNetworkText of a JSON network whose \"ops\" are not loaded (TypeScript or Python): no view, no false error, an undeclared op still named", () => {
    const text = (op: string) => JSON.stringify({ ops: { affine: "./layers.py#affine", double: "./layers.ts#double" }, inputs: { x: { shape: [2, 3] } }, nodes: [{ id: "fc", op, params: { w: { shape: [3, 3] } } }, { id: "loss", op: "sum" }] });
    assert.deepEqual(describeNetworkText(text("affine"), "net.gradnet.json"), { errors: [] });
    const { view, errors } = describeNetworkText(text("afine"), "net.gradnet.json");
    assert.equal(view, undefined);
    assert.deepEqual(errors.map((e) => e.message), ["unknown op 'afine'; did you mean 'affine'?"]);
  });
});
