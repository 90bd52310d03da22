// Same file, same seed: the same report, byte for byte except timings, through
// the real CLI (`check --json`, two separate processes). And a backward that
// keeps hidden state between calls is caught by the reentrancy check (backward
// run twice per node) and flagged `non-deterministic`.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { before, describe, test } from "node:test";
import { buildGraph } from "../../src/engine/graph.js";
import { checkGraph } from "../../src/engine/check.js";
import { defineOp } from "../../src/engine/op.js";
import { map } from "../../src/engine/tensor.js";
import type { Report } from "../../src/shared/report.js";

const root = join(import.meta.dirname, "..", "..");

function cli(...args: string[]) {
  const run = spawnSync(process.execPath, [join(root, "bin", "gradlens.js"), ...args], { cwd: root, encoding: "utf8", maxBuffer: 1 << 30 });
  return { code: run.status, stdout: run.stdout, stderr: run.stderr };
}

/** The CLI's JSON text, byte for byte, with the timings object emptied (the only part allowed to differ between runs). */
function withoutTimings(json: string): string {
  assert.equal(json.match(/"timings": \{[^{}]*\}/g)?.length, 1, "one timings object");
  return json.replace(/"timings": \{[^{}]*\}/, '"timings": {}');
}

const runs: { file: string; args: string[] }[] = [
  { file: "examples/seed-mlp.gradnet.json", args: [] },
  { file: "examples/cnn.gradnet.json", args: [] },
  { file: "examples/residual.gradnet.json", args: ["--seed", "11"] },
  { file: "examples/residual.gradnet.json", args: ["--mode", "fast"] },
  { file: "examples/bench/mnist-small.gradnet.json", args: ["--mode", "sampled", "--samples", "16"] },
  { file: "examples/bench/mnist-small.gradnet.json", args: [] },
  { file: "examples/custom/softmax.gradnet.ts", args: [] },
  { file: "examples/buggy/linear-transpose.gradnet.ts", args: [] },
  { file: "test/fuzz/fixtures/log-zero.gradnet.json", args: [] },
];

describe("determinism: the same file and seed give the same report", () => {
  before(() => {
    if (!existsSync(join(root, "dist", "cli.js"))) {
      const build = spawnSync(process.execPath, [join(root, "scripts", "build.mjs")], { cwd: root, encoding: "utf8" });
      assert.equal(build.status, 0, build.stderr);
    }
  });

  for (const { file, args } of runs) {
    test(`gradlens check ${file} ${args.join(" ")} --json, twice: identical except timings`, (t) => {
      if (!existsSync(join(root, file))) return t.skip(`${file} is not in this checkout`);
      const first = cli("check", file, ...args, "--json");
      const second = cli("check", file, ...args, "--json");
      assert.ok(first.code === 0 || first.code === 1, `exit ${first.code}: ${first.stderr}`);
      assert.equal(second.code, first.code);
      assert.equal(first.stderr, second.stderr);
      const a = withoutTimings(first.stdout), b = withoutTimings(second.stdout);
      assert.ok(a.length > 200, "a real report");
      assert.equal(a, b);
      const report = JSON.parse(first.stdout) as Report;
      assert.ok(report.timings && typeof report.timings.totalMs === "number");
    });
  }

  test("a different --seed gives a different report (the seed is really used)", () => {
    const a = withoutTimings(cli("check", "examples/residual.gradnet.json", "--mode", "fast", "--seed", "1", "--json").stdout);
    const b = withoutTimings(cli("check", "examples/residual.gradnet.json", "--mode", "fast", "--seed", "2", "--json").stdout);
    assert.notEqual(a, b);
  });

  test("in process too: two checks of one graph give the same report", () => {
    const spec = { seed: 9, inputs: { x: { shape: [3, 4] }, y: { shape: [3], classes: 2 } }, nodes: [
      { id: "fc", op: "linear", units: 2 }, { id: "loss", op: "softmax_cross_entropy", inputs: ["fc", "y"] },
    ] };
    for (const mode of ["exhaustive", "sampled", "fast"] as const) {
      const strip = (r: Report) => JSON.stringify({ ...r, timings: undefined });
      assert.equal(strip(checkGraph(buildGraph(spec), { mode, samples: 3 })), strip(checkGraph(buildGraph(spec), { mode, samples: 3 })), mode);
    }
  });
});

describe("reentrancy: a backward with hidden state is non-deterministic", () => {
  test("a defineOp passed to buildGraph directly, whose backward drifts with its call count, is flagged on that node only", () => {
    let calls = 0;
    // y = 3x; the n-th backward returns (3 + n/1000)·g: the first call is right, the second differs.
    const drifting = defineOp({
      name: "drifting",
      forward: ({ inputs: [x] }) => map(x, (v) => 3 * v),
      backward: ({ gradOutput: g }) => {
        const k = 3 + calls++ / 1000;
        return { inputs: [map(g, (v) => k * v)] };
      },
    });
    const graph = buildGraph({ seed: 1, inputs: { x: { shape: [2, 3] } }, nodes: [
      { id: "fc", op: "linear", units: 3 }, { id: "d", op: drifting }, { id: "loss", op: "sum" },
    ] });
    const report = checkGraph(graph);
    assert.equal(report.ok, false);
    const d = report.nodes.find((n) => n.id === "d")!;
    assert.equal(d.status, "fail");
    assert.equal(d.diagnosis?.kind, "non-deterministic");
    assert.match(d.diagnosis!.detail, /backward gave different results on two calls with the same inputs \(for fc, entry \d+: .* then .*\): it keeps hidden state/);
    for (const other of report.nodes.filter((n) => n.id !== "d")) assert.notEqual(other.diagnosis?.kind, "non-deterministic", other.id);
    assert.ok(calls >= 2, "backward ran at least twice");
  });

  test("the same op without hidden state passes (the reentrancy check does not flag a pure op)", () => {
    const pure = defineOp({
      name: "pure",
      forward: ({ inputs: [x] }) => map(x, (v) => 3 * v),
      backward: ({ gradOutput: g }) => ({ inputs: [map(g, (v) => 3 * v)] }),
    });
    const report = checkGraph(buildGraph({ inputs: { x: { shape: [2, 3] } }, nodes: [{ id: "p", op: pure }, { id: "loss", op: "sum" }] }));
    assert.equal(report.ok, true, JSON.stringify(report.nodes.map((n) => [n.id, n.status, n.diagnosis])));
  });

  test("through the CLI: test/fuzz/fixtures/hidden-state.gradnet.ts exits 1 with node 's' non-deterministic", () => {
    const run = cli("check", "test/fuzz/fixtures/hidden-state.gradnet.ts", "--json");
    assert.equal(run.code, 1, run.stderr);
    const report = JSON.parse(run.stdout) as Report;
    const s = report.nodes.find((n) => n.id === "s")!;
    assert.equal(s.status, "fail");
    assert.equal(s.diagnosis?.kind, "non-deterministic");
    assert.equal(report.nodes.find((n) => n.id === "loss")?.status, "pass");
  });
});
