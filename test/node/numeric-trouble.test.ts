// Numerical trouble is reported, not thrown: exp of 1000 overflows, log of 0 is
// −∞, a user's forward or backward makes NaN. The node where it first appears
// is flagged `non-finite` and named, in the report, the table and --json
// (which stays valid JSON), and the exit code is 1 — never a crash or exit 2.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { before, describe, test } from "node:test";
import { runTask } from "../../src/worker/run-task.js";
import { buildGraph } from "../../src/engine/graph.js";
import { checkGraph } from "../../src/engine/check.js";
import { defineOp } from "../../src/engine/op.js";
import { map } from "../../src/engine/tensor.js";
import type { Report } from "../../src/shared/report.js";
import { nonFiniteInReport } from "../fuzz/run.js";
import "../../src/config/typescript-support.js";

const root = join(import.meta.dirname, "..", "..");
const fixture = (name: string) => join("test", "fuzz", "fixtures", name);

function cli(...args: string[]) {
  const run = spawnSync(process.execPath, [join(root, "bin", "gradlens.js"), ...args], { cwd: root, encoding: "utf8", maxBuffer: 1 << 30, env: { ...process.env, NO_COLOR: "1" } });
  return { code: run.status, stdout: run.stdout, stderr: run.stderr };
}

interface Case {
  file: string;
  /** The node where non-finite values first appear, and what the detail must say. */
  node: string;
  detail: RegExp;
}

const cases: Case[] = [
  { file: "exp-overflow.gradnet.json", node: "e", detail: /output of e \(exp\) is Infinity at \[0, 0\] although its inputs are finite/ },
  { file: "log-zero.gradnet.json", node: "l", detail: /output of l \(log\) is -Infinity at \[0, 1\] although its inputs are finite/ },
  { file: "nan-forward.gradnet.ts", node: "r", detail: /output of r \(ratio\) is NaN at \[0, 1\] although its inputs are finite/ },
  { file: "nan-backward.gradnet.ts", node: "d", detail: /analytic ∂d\/∂x holds NaN at output \[0, 0\], input \[0, 0\]: the backward produced a non-finite value/ },
];

describe("numerical trouble: flagged non-finite where it first appears, exit 1, valid JSON", () => {
  before(() => {
    if (!existsSync(join(root, "dist", "cli.js"))) {
      const build = spawnSync(process.execPath, [join(root, "scripts", "build.mjs")], { cwd: root, encoding: "utf8" });
      assert.equal(build.status, 0, build.stderr);
    }
  });

  for (const c of cases) {
    test(`${c.file}: node '${c.node}' is non-finite in the report (in process)`, async () => {
      const result = await runTask({ task: "check", file: join(root, fixture(c.file)), allowUserCode: true });
      assert.equal(result.kind, "report", JSON.stringify(result).slice(0, 400));
      if (result.kind !== "report") return;
      const r = result.report;
      assert.equal(r.ok, false);
      const node = r.nodes.find((n) => n.id === c.node)!;
      assert.equal(node.status, "fail");
      assert.equal(node.diagnosis?.kind, "non-finite");
      assert.match(node.diagnosis!.detail, c.detail);
      // Nodes before it are fine.
      const at = r.nodes.indexOf(node);
      for (const before of r.nodes.slice(0, at)) assert.notEqual(before.diagnosis?.kind, "non-finite", `${before.id} precedes ${c.node}`);
      // Nodes fed its non-finite values cannot be checked, and are not blamed.
      for (const after of r.nodes.slice(at + 1).filter((n) => n.inputs.includes(c.node) && c.node !== "d")) {
        assert.equal(after.status, "skipped", after.id);
        assert.match(after.message ?? "", new RegExp(`not checked: its input '${c.node}' holds non-finite values \\(they first appear at ${c.node}\\)`));
      }
      assert.equal(r.nodes.filter((n) => n.status === "fail").length, 1, "one node to blame");
      assert.equal(nonFiniteInReport({ ...r, timings: undefined }), undefined);
    });

    test(`${c.file}: the CLI exits 1, the table names '${c.node}', --json is valid JSON without NaN or Infinity`, () => {
      const table = cli("check", fixture(c.file));
      assert.equal(table.code, 1, table.stderr);
      assert.equal(table.stderr, "");
      assert.match(table.stdout, new RegExp(`^\\s+${c.node}\\s+\\S+\\s+FAIL\\s.*non-finite`, "m"));
      assert.match(table.stdout, new RegExp(`${c.node} \\(\\S+\\) at ${fixture(c.file).replace(/[.\\/]/g, "\\$&")}:\\d+:\\d+: non-finite`));

      const json = cli("check", fixture(c.file), "--json");
      assert.equal(json.code, 1, json.stderr);
      // Outside strings (details may say "is NaN at"), no NaN or Infinity token.
      assert.doesNotMatch(json.stdout.replace(/"(?:[^"\\]|\\.)*"/g, '""'), /NaN|Infinity/, "JSON has no NaN or Infinity literals");
      const r = JSON.parse(json.stdout) as Report;
      assert.equal(r.ok, false);
      const node = r.nodes.find((n) => n.id === c.node)!;
      assert.equal(node.diagnosis?.kind, "non-finite");
      assert.ok(Number.isFinite(node.maxRelError));
      for (const g of r.gradients) for (const w of g.worst) assert.ok(typeof w.relError === "number" && Number.isFinite(w.relError), `${g.name}: relError ${w.relError}`);
    });
  }

  test("the loss keeps its sign in JSON: log of 0 gives −MAX_VALUE, not +MAX_VALUE", async () => {
    const result = await runTask({ task: "check", file: join(root, fixture("log-zero.gradnet.json")) });
    assert.equal(result.kind, "report");
    if (result.kind === "report") assert.equal(result.report.loss, -Number.MAX_VALUE);
  });

  test("fast and sampled modes report the same non-finite node (exp of 1000)", async () => {
    for (const mode of ["fast", "sampled"] as const) {
      const result = await runTask({ task: "check", file: join(root, fixture("exp-overflow.gradnet.json")), options: { mode } });
      assert.equal(result.kind, "report");
      if (result.kind !== "report") return;
      assert.equal(result.report.ok, false, mode);
      assert.equal(result.report.nodes.find((n) => n.id === "e")?.diagnosis?.kind, "non-finite", mode);
      assert.equal(nonFiniteInReport({ ...result.report, timings: undefined }), undefined, mode);
    }
  });

  test("a defineOp passed to buildGraph directly whose backward overflows: flagged, no throw", () => {
    // y = x (correct forward); backward returns exp(1000)·g for every entry: Infinity.
    const overflow = defineOp({
      name: "overflow",
      forward: ({ inputs: [x] }) => map(x, (v) => v),
      backward: ({ gradOutput: g }) => ({ inputs: [map(g, (v) => v * Math.exp(1000))] }),
    });
    const graph = buildGraph({ inputs: { x: { shape: [2, 2] } }, nodes: [{ id: "o", op: overflow }, { id: "loss", op: "sum" }] });
    const report = checkGraph(graph);
    assert.equal(report.ok, false);
    const o = report.nodes.find((n) => n.id === "o")!;
    assert.equal(o.status, "fail");
    assert.equal(o.diagnosis?.kind, "non-finite");
    assert.equal(nonFiniteInReport({ ...report, timings: undefined }), undefined);
    JSON.parse(JSON.stringify(report));
  });
});
