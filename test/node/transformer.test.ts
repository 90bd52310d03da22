/**
 * The transformer block (examples/transformer-block.gradnet.json) passes `gradlens check`
 * in every mode through the real CLI, every node of it is the op the issue asks for, and
 * the fixed-value copy PyTorch's reference was computed from (test/data/torch) is the
 * example itself: the same nodes, and the values the example's seed gives.
 */
import { test, describe } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { buildGraph } from "../../src/engine/graph.js";
import type { NetworkSpec } from "../../src/engine/network.js";
import type { Report } from "../../src/shared/report.js";

const root = join(import.meta.dirname, "..", "..");
const example = "examples/transformer-block.gradnet.json";
const read = (file: string) => JSON.parse(readFileSync(join(root, file), "utf8")) as NetworkSpec & { $schema?: string };

describe("the transformer block", () => {
  for (const mode of ["exhaustive", "sampled", "fast"]) {
    test(`gradlens check --mode ${mode}: exit 0, every node and gradient passes`, () => {
      const run = spawnSync(process.execPath, ["bin/gradlens.js", "check", example, "--mode", mode, "--json"], {
        cwd: root, encoding: "utf8", timeout: 120_000, maxBuffer: 256 * 1024 * 1024,
      });
      assert.equal(run.status, 0, run.stderr);
      const report = JSON.parse(run.stdout) as Report;
      assert.equal(report.ok, true);
      assert.deepEqual(report.nodes.filter((n) => n.status !== "pass").map((n) => `${n.id}: ${n.status}`), []);
      assert.deepEqual(report.gradients.filter((g) => g.status !== "pass").map((g) => `${g.name}: ${g.status}`), []);
      // The token ids and next-token labels are never differentiated.
      assert.ok(!report.gradients.some((g) => g.name === "tokens" || g.name === "next"));
    });
  }

  test("embedding → layer norm → causal attention → residual → MLP with gelu → residual → logits → softmax cross-entropy, B 2, T 4, width 8", () => {
    const graph = buildGraph(read(example));
    const ops = graph.nodes.map((n) => n.op.name);
    assert.deepEqual(ops, [
      "embedding", "layer_norm", "linear", "linear", "linear", "attention", "linear", "add", "layer_norm", "linear", "gelu", "linear",
      "add", "linear", "reshape", "softmax_cross_entropy",
    ]);
    const node = (id: string) => graph.nodes.find((n) => n.id === id)!;
    assert.deepEqual(node("emb").outputShape, [2, 4, 8]);
    assert.equal(node("att").attrs.causal, true);
    assert.deepEqual(node("att").inputs, ["q", "k", "v"]);
    assert.deepEqual(node("res1").inputs, ["emb", "proj"]);
    assert.deepEqual(node("res2").inputs, ["res1", "down"]);
    assert.deepEqual(node("flat").outputShape, [8, 10]);
  });

  test("the copy with fixed values in test/data/torch is this example at its seed", () => {
    const spec = read(example), fixed = read("test/data/torch/transformer-block.gradnet.json");
    const strip = (nodes: NetworkSpec["nodes"]) => nodes.map(({ params: _p, ...rest }) => rest);
    assert.deepEqual(strip(fixed.nodes), strip(spec.nodes));
    const a = buildGraph(spec), b = buildGraph(fixed);
    for (const inp of a.inputs) assert.deepEqual(b.inputs.find((i) => i.id === inp.id)!.value.data, inp.value.data, inp.id);
    for (const n of a.nodes)
      for (const [p, t] of Object.entries(n.params)) assert.deepEqual(b.nodes.find((m) => m.id === n.id)!.params[p].data, t.data, `${n.id}.${p}`);
  });
});
