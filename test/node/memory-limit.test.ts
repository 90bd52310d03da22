// Too big to check: a network whose tensors (with their gradients) or local
// Jacobians would exceed the memory limit (default 512 MiB, `maxMemoryMb`,
// `--max-memory MB`) is refused up front with its size named, located at the
// offending node or input — not attempted.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { runTask } from "../../src/worker/run-task.js";
import { checkGraph } from "../../src/engine/check.js";
import { NetworkError } from "../../src/engine/network.js";
import { DEFAULT_MAX_MEMORY_MB, MemoryBudget, formatBytes, plannedJacobian } from "../../src/engine/limits.js";
import { loadNetworkFile } from "../../src/config/load.js";

const root = join(import.meta.dirname, "..", "..");
const dir = mkdtempSync(join(tmpdir(), "gradlens-memory-"));
after(() => rmSync(dir, { recursive: true, force: true }));

function write(name: string, text: string): string {
  const file = join(dir, name);
  writeFileSync(file, text);
  return file;
}

function cli(...args: string[]) {
  const run = spawnSync(process.execPath, [join(root, "bin", "gradlens.js"), ...args], { cwd: root, encoding: "utf8", maxBuffer: 1 << 30 });
  return { code: run.status, stdout: run.stdout, stderr: run.stderr };
}

// Two 16384×1024 weight matrices: 128 MiB each, 256 MiB with its gradient; the second goes over 512 MiB.
const twoBigLayers = `{
  "inputs": { "x": { "shape": [2, 1024] } },
  "nodes": [
    { "id": "a", "op": "linear", "units": 16384, "inputs": ["x"] },
    { "id": "b", "op": "linear", "units": 16384, "inputs": ["x"] },
    { "id": "s", "op": "add", "inputs": ["a", "b"] },
    { "id": "loss", "op": "sum" }
  ]
}
`;

describe("memory limit: refused up front, size named, located", () => {
  before(() => {
    if (!existsSync(join(root, "dist", "cli.js"))) {
      const build = spawnSync(process.execPath, [join(root, "scripts", "build.mjs")], { cwd: root, encoding: "utf8" });
      assert.equal(build.status, 0, build.stderr);
    }
  });

  test("default 512 MiB: the second 16384×1024 weight is refused before it is allocated, at its node", async () => {
    assert.equal(DEFAULT_MAX_MEMORY_MB, 512);
    const file = write("two-big.gradnet.json", twoBigLayers);
    const result = await runTask({ task: "check", file });
    assert.equal(result.kind, "config-error", JSON.stringify(result).slice(0, 300));
    if (result.kind !== "config-error") return;
    const e = result.errors[0];
    // Located at the largest tensor so far: W of node "a" (line 4), and the sizes are named.
    assert.deepEqual([e.line, e.column], [4, 5]);
    assert.match(e.message, /needs at least \d+ MiB for its tensors and their gradients, over the memory limit of 512 MiB; the largest is a\.W \[16384, 1024\]: 256 MiB with its gradient/);
    assert.match(e.message, /--max-memory MB/);
  });

  test("maxMemoryMb on load: a 300×300 input is over 1 MiB, at the input's place", async () => {
    const file = write("input.gradnet.json", `{
  "inputs": {
    "x": { "shape": [300, 300] }
  },
  "nodes": [{ "id": "loss", "op": "sum" }]
}
`);
    await assert.rejects(loadNetworkFile(file, { maxMemoryMb: 1 }), (e: Error & { line?: number; column?: number }) => {
      assert.equal(e.name, "ConfigError");
      assert.deepEqual([e.line, e.column], [3, 10]);
      assert.match(e.message, /input 'x' \[300, 300\]: 1\.4 MiB with its gradient/);
      return true;
    });
    // The same file loads under the default limit.
    await loadNetworkFile(file);
  });

  test("the budget: a label input counts once (no gradient), any other tensor twice", () => {
    // 131072 values × 8 bytes = exactly 1 MiB.
    const labels = new MemoryBudget(1);
    labels.add("input 'y'", [131072], ["inputs", "y"], false);
    assert.equal(labels.bytes, 2 ** 20);
    const data = new MemoryBudget(1);
    assert.throws(() => data.add("input 'x'", [131072], ["inputs", "x"]), (e: unknown) => {
      assert.ok(e instanceof NetworkError);
      assert.deepEqual(e.path, ["inputs", "x"]);
      assert.match(e.message, /needs at least 2\.0 MiB .* over the memory limit of 1\.0 MiB; the largest is input 'x' \[131072\]: 2\.0 MiB with its gradient/);
      return true;
    });
  });

  test("local Jacobians: --jacobian-limit 1e9 would materialise ∂fc1/∂W entry by entry — refused at fc1, size named", () => {
    const run = cli("check", "examples/mnist-mlp.gradnet.json", "--jacobian-limit", "1000000000");
    assert.equal(run.code, 2, run.stdout);
    const line = run.stderr.trim();
    const m = /^examples\/mnist-mlp\.gradnet\.json:(\d+):(\d+): error: fc1: checking its local Jacobian ∂fc1\/∂W \(1024×100352\) needs about ([\d.]+) (MiB|GiB), and the whole check at least [\d.]+ (MiB|GiB), over the memory limit of 512 MiB\. Check fewer entries/.exec(line);
    assert.ok(m, line);
    const text = readFileSync(join(root, "examples/mnist-mlp.gradnet.json"), "utf8").split("\n");
    assert.match(text[Number(m[1]) - 1].slice(Number(m[2]) - 1), /^\{ "id": "fc1"/);
    // 1024 × 100352 entries × 8 bytes × 7 working copies.
    assert.equal(`${m[3]} ${m[4]}`, formatBytes(1024 * 100352 * 8 * 7));
    // Under the default limit of 65536 entries the same Jacobian is sampled, and not refused (the estimate follows the plan).
    assert.deepEqual(plannedJacobian(1024, 100352, { mode: "auto", jacobianLimit: 65536, samples: 64 }), { rows: 1024, cols: 64 });
  });

  test("--max-memory MB on the CLI for check, grads and graph; a bad value is a usage error", () => {
    const file = write("small.gradnet.json", `{ "inputs": { "x": { "shape": [200, 200] } }, "nodes": [{ "id": "t", "op": "tanh" }, { "id": "loss", "op": "sum" }] }\n`);
    for (const args of [["check", file], ["grads", file, "--json"], ["graph", file]]) {
      const refused = cli(...args, "--max-memory", "1");
      assert.equal(refused.code, 2, `${args[0]}: ${refused.stdout.slice(0, 200)}`);
      assert.match(refused.stderr, /^.*small\.gradnet\.json:1:\d+: error: the network needs at least 1\.\d MiB .* over the memory limit of 1\.0 MiB/);
      assert.equal(cli(...args, "--max-memory", "64").code, 0, args[0]);
    }
    const bad = cli("check", file, "--max-memory", "lots");
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /--max-memory must be a positive number of MiB, got 'lots'/);
  });

  test("every example and bench network fits the default limit (local checks in auto mode)", async () => {
    for (const d of ["examples", "examples/bench"]) {
      for (const f of readdirSync(join(root, d)).filter((x) => x.endsWith(".gradnet.json"))) {
        const loaded = await loadNetworkFile(join(root, d, f));
        const report = checkGraph(loaded.graph, { endToEnd: false });
        assert.ok(report.nodes.length > 0, f);
      }
    }
  });
});
