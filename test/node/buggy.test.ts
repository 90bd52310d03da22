// The buggy examples each fail at the right node with the right diagnosis (and
// factor), over several seeds; the same layers written correctly pass with no
// false alarm. In-process (the network rebuilt with other seeds, so other
// input and parameter values) and through the real CLI (`--seed`).
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { describe, test } from "node:test";
import "../../src/config/typescript-support.js";
import { loadNetworkFile } from "../../src/config/load.js";
import { checkGraph } from "../../src/engine/check.js";
import { buildGraph } from "../../src/engine/graph.js";
import type { Report } from "../../src/shared/report.js";

const root = join(import.meta.dirname, "..", "..");
const SEEDS = [0, 1, 2, 3, 7, 42];

interface Expected {
  file: string;
  node: string;
  kind: string;
  factor?: number;
  /** Words the sentence for a student must contain. */
  says: RegExp;
  /** The kind in fast mode, when one directional derivative cannot show it (default: as below, by kind). */
  fast?: string;
}

const buggy: Expected[] = [
  { file: "softmax-diagonal", node: "p", kind: "missing-off-diagonal", says: /off-diagonal.*−pⱼpₖ/ },
  { file: "cross-entropy-sign", node: "loss", kind: "sign", says: /wrong sign.*−1\/pₐ/ },
  { file: "linear-transpose", node: "fc", kind: "transpose", says: /transpose is missing.*g·W/ },
  { file: "squared-error-no-2", node: "loss", kind: "scale", factor: 1 / 2, says: /factor 2 .*missing.*2e/ },
  { file: "mean-no-1-over-n", node: "loss", kind: "scale", factor: 12, says: /12 times.*1\/N missing/ },
  { file: "backward-zeros", node: "h", kind: "zero", says: /zero everywhere.*returns zeros/ },
  // √d = √8 has no name among the factors a single number is trusted for (2, 1/2, B, …): fast mode says mismatch.
  { file: "attention-no-sqrt-d", node: "att", kind: "scale", factor: Math.sqrt(8), says: /∂att\/∂q is 2\.828 times/, fast: "mismatch" },
  // A multi-output cell: the diagnosis names the output (c) and the input (c0) whose path is forgotten.
  { file: "lstm-forgets-c", node: "cell", kind: "zero", says: /∂c\/∂x, ∂c\/∂h0, ∂c\/∂W and ∂c\/∂b are right, ∂c\/∂c0 is zero — the backward leaves out the path through output c: the gradient it returns for c0 has no gradOutputs\.c · ∂c\/∂c0 term/ },
];

const correctFiles = readdirSync(join(root, "examples/custom")).filter((f) => /\.gradnet\.(ts|json)$/.test(f));

function assertDiagnosed(report: Report, e: Expected, label: string): void {
  assert.equal(report.ok, false, `${label}: should fail`);
  const failing = report.nodes.filter((n) => n.status === "fail").map((n) => n.id);
  assert.deepEqual(failing, [e.node], `${label}: failing nodes ${failing.join(", ")}`);
  const d = report.nodes.find((n) => n.id === e.node)!.diagnosis;
  assert.ok(d, `${label}: no diagnosis`);
  assert.equal(d.kind, e.kind, `${label}: ${d.detail}`);
  if (e.factor !== undefined) assert.ok(d.factor !== undefined && Math.abs(d.factor - e.factor) < 1e-9, `${label}: factor ${d.factor}, want ${e.factor}`);
  assert.match(d.detail, e.says, label);
  for (const n of report.nodes) if (n.id !== e.node) assert.notEqual(n.status, "fail", `${label}: false alarm at ${n.id}`);
}

describe("buggy examples: the right node, the right diagnosis (in-process, several seeds)", () => {
  test("every file in examples/buggy has an expectation", () => {
    const files = readdirSync(join(root, "examples/buggy")).filter((f) => f.endsWith(".gradnet.ts")).map((f) => f.replace(".gradnet.ts", ""));
    assert.deepEqual(files.sort(), buggy.map((b) => b.file).sort());
  });
  for (const e of buggy) {
    test(`${e.file}: ${e.node} fails with ${e.kind}${e.factor !== undefined ? ` (factor ${e.factor})` : ""}`, async () => {
      const loaded = await loadNetworkFile(join(root, "examples/buggy", `${e.file}.gradnet.ts`));
      for (const seed of SEEDS) {
        const graph = buildGraph({ ...loaded.spec, seed }, { file: loaded.file });
        assertDiagnosed(checkGraph(graph), e, `${e.file} seed ${seed}`);
      }
    });
  }
});

describe("buggy examples in fast mode (one directional derivative per tensor)", () => {
  // One number cannot show a transpose or a missing off-diagonal: those stay "mismatch",
  // never a made-up scale factor; sign, named factors and zeros still show.
  const fastKind: Record<string, string> = { transpose: "mismatch", "missing-off-diagonal": "mismatch" };
  for (const e of buggy) {
    test(`${e.file}: ${e.node} fails, ${e.fast ?? fastKind[e.kind] ?? e.kind}`, async () => {
      const loaded = await loadNetworkFile(join(root, "examples/buggy", `${e.file}.gradnet.ts`));
      for (const seed of SEEDS) {
        const report = checkGraph(buildGraph({ ...loaded.spec, seed }, { file: loaded.file }), { mode: "fast", seed });
        const failing = report.nodes.filter((n) => n.status === "fail");
        assert.deepEqual(failing.map((n) => n.id), [e.node], `seed ${seed}`);
        const d = failing[0].diagnosis!;
        const kind = e.fast ?? fastKind[e.kind] ?? e.kind;
        assert.equal(d.kind, kind, `seed ${seed}: ${d.detail}`);
        if (e.factor !== undefined && kind === e.kind) assert.ok(Math.abs(d.factor! - e.factor) < 1e-9, `seed ${seed}: factor ${d.factor}`);
        if (d.kind === "mismatch") assert.match(d.detail, /--mode exhaustive/);
      }
    });
  }
});

describe("correct custom layers: no false alarm (in-process, several seeds)", () => {
  for (const f of correctFiles) {
    test(`${f} passes`, async () => {
      const loaded = await loadNetworkFile(join(root, "examples/custom", f));
      for (const seed of SEEDS) {
        const graph = f.endsWith(".json") && seed !== loaded.spec.seed ? undefined : buildGraph({ ...loaded.spec, seed }, { file: loaded.file });
        const report = checkGraph(graph ?? loaded.graph, { seed });
        const bad = [...report.nodes, ...report.gradients].filter((x) => x.status !== "pass").map((x) => ("id" in x ? x.id : x.name) + ":" + x.status);
        assert.deepEqual(bad, [], `${f} seed ${seed}`);
        assert.equal(report.ok, true);
      }
    });
  }
});

const cli = join(root, "dist", "cli.js");
function check(file: string, ...args: string[]): { status: number | null; report?: Report; stderr: string } {
  const run = spawnSync(process.execPath, ["bin/gradlens.js", "check", file, "--json", ...args], { cwd: root, encoding: "utf8", timeout: 120_000, maxBuffer: 64 * 1024 * 1024 }); // a report with its Jacobians can pass 1 MB
  return { status: run.status, stderr: run.stderr, report: run.stdout.trim() ? (JSON.parse(run.stdout) as Report) : undefined };
}

describe("through the real CLI (gradlens check --json --seed N)", { skip: existsSync(cli) ? false : "dist/cli.js is not built (npm run build)" }, () => {
  for (const e of buggy) {
    test(`${e.file}: exit 1, ${e.node} → ${e.kind}`, () => {
      for (const seed of [0, 5]) {
        const run = check(`examples/buggy/${e.file}.gradnet.ts`, "--seed", String(seed));
        assert.equal(run.status, 1, run.stderr);
        assertDiagnosed(run.report!, e, `${e.file} --seed ${seed}`);
        const node = run.report!.nodes.find((n) => n.id === e.node)!;
        assert.match(node.location?.file ?? "", new RegExp(`${e.file}\\.gradnet\\.ts$`), "the failing node is located in the user's file");
      }
    });
  }
  for (const f of correctFiles) {
    test(`examples/custom/${f}: exit 0`, () => {
      for (const seed of [0, 5]) {
        const run = check(`examples/custom/${f}`, "--seed", String(seed));
        assert.equal(run.status, 0, run.stderr + JSON.stringify(run.report?.nodes.map((n) => [n.id, n.status])));
        assert.equal(run.report!.ok, true);
      }
    });
  }
});
