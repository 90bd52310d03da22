// Errors in the user's own code: an exception in a forward, a backward, a
// helper called from an imported file or the module's top level is reported
// at the user's FILE:LINE:COL (source maps), exit 2; a bad value returned by
// a backward names the op, the input and both shapes, at the op's defineOp;
// an endless loop ends at the time limit with exit 2, never a frozen process.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { describe, test } from "node:test";
import "../../src/config/typescript-support.js";
import { runTask } from "../../src/worker/run-task.js";
import type { WorkerResult } from "../../src/worker/protocol.js";

const root = join(import.meta.dirname, "..", "..");
const fixture = (name: string) => `test/fixtures/ts/${name}`;

interface Case {
  name: string;
  /** FILE:LINE:COL the message must start with (relative to the repository). */
  at: string;
  message: RegExp;
}

const thrown: Case[] = [
  { name: "throw-in-backward.gradnet.ts", at: `${fixture("throw-in-backward.gradnet.ts")}:10:13`, message: /^in the backward of op 'broken': backward not written yet$/ },
  { name: "throw-in-helper.gradnet.ts", at: `${fixture("helper-layers.ts")}:8:12`, message: /^in the forward of op 'badMatmul': matmul: shapes \[3, 2\] and \[3, 2\] do not chain$/ },
  { name: "throw-at-top-level.gradnet.ts", at: `${fixture("throw-at-top-level.gradnet.ts")}:5:31`, message: /^RangeError: no sizes configured$/ },
  {
    name: "wrong-grad-shape.gradnet.ts", at: `${fixture("wrong-grad-shape.gradnet.ts")}:5:17`,
    message: /^r \(rowSums\): backward returned a gradient of shape \[2\] for input 1, which has shape \[2, 3\]$/,
  },
  {
    name: "wrong-grad-type.gradnet.ts", at: `${fixture("wrong-grad-type.gradnet.ts")}:4:16`,
    message: /^d \(double\): backward returned \{ shape: \[2,3\], data: Array \} for input 1; expected a tensor of shape \[2, 3\]$/,
  },
  {
    name: "wrong-jacobian-shape.gradnet.ts", at: `${fixture("wrong-jacobian-shape.gradnet.ts")}:4:16`,
    message: /^d \(doubleByJacobian\): jacobian for input 1 must have shape \[6, 6\] \(output size × input 1 size\), got \{ shape: \[3,3\]/,
  },
  { name: "throw-string.gradnet.ts", at: `${fixture("throw-string.gradnet.ts")}:4:13`, message: /^in the forward of op 'odd': threw "forward is not ready", not an Error$/ },
];

function where(result: WorkerResult): string {
  assert.equal(result.kind, "user-error", JSON.stringify(result));
  if (result.kind !== "user-error") return "";
  assert.ok(result.location, `no location: ${result.message}`);
  return `${result.location.file}:${result.location.line}:${result.location.column}`;
}

describe("user-code errors in-process (runTask): at the user's line", () => {
  const cwd = process.cwd();
  for (const c of thrown) {
    test(`${c.name} → ${c.at}`, async () => {
      process.chdir(root);
      try {
        const result = await runTask({ task: "check", file: fixture(c.name) });
        assert.equal(where(result), c.at);
        assert.match((result as { message: string }).message, c.message);
      } finally {
        process.chdir(cwd);
      }
    });
  }

  test("grads and graph report the same error the same way", async () => {
    process.chdir(root);
    try {
      for (const task of ["grads", "graph"] as const) {
        const result = await runTask({ task, file: fixture("throw-in-helper.gradnet.ts") });
        assert.equal(where(result), `${fixture("helper-layers.ts")}:8:12`, task);
      }
    } finally {
      process.chdir(cwd);
    }
  });

  test("a TS network with allowUserCode: false is refused before any of it runs", async () => {
    const result = await runTask({ task: "check", file: join(root, fixture("throw-at-top-level.gradnet.ts")), allowUserCode: false });
    assert.equal(result.kind, "config-error");
    assert.match(JSON.stringify(result), /not trusted/);
  });
});

const cli = join(root, "dist", "cli.js");
function gradlens(...args: string[]) {
  return spawnSync(process.execPath, ["bin/gradlens.js", ...args], { cwd: root, encoding: "utf8", timeout: 120_000 });
}

describe("user-code errors through the real CLI", { skip: existsSync(cli) ? false : "dist/cli.js is not built (npm run build)" }, () => {
  for (const c of thrown) {
    test(`${c.name}: exit 2, "${c.at}: error: …", no stack trace`, () => {
      const run = gradlens("check", fixture(c.name));
      assert.equal(run.status, 2, run.stderr + run.stdout);
      const line = run.stderr.trimEnd();
      assert.ok(line.startsWith(`${c.at}: error: `), line);
      assert.match(line.slice(`${c.at}: error: `.length), c.message);
      assert.ok(!run.stderr.includes("    at "), run.stderr);
      assert.equal(line.split("\n").length, 1, line);
    });
  }

  for (const name of ["hang-in-forward", "hang-at-top-level", "hang-in-backward"]) {
    test(`${name}: ends at the time limit (--timeout 2) with exit 2`, () => {
      const run = gradlens("check", fixture(`${name}.gradnet.ts`), "--timeout", "2");
      assert.equal(run.signal, null, "the CLI stopped by itself (not killed by the test)");
      assert.equal(run.status, 2, run.stderr);
      assert.match(run.stderr, new RegExp(`^${fixture(`${name}.gradnet.ts`).replace(/\./g, "\\.")}: error: user code did not finish within 2 s`));
    });
  }

  test("grads --json on a hanging forward: exit 2 at the time limit too", () => {
    const run = gradlens("grads", fixture("hang-in-forward.gradnet.ts"), "--json", "--timeout", "2");
    assert.equal(run.status, 2, run.stderr);
    assert.match(run.stderr, /did not finish within 2 s/);
  });

  test("ReLU exactly at 0: kink, exit 0 (the custom op and the built-in alike)", () => {
    const run = gradlens("check", fixture("relu-kink.gradnet.ts"), "--json");
    assert.equal(run.status, 0, run.stderr);
    const report = JSON.parse(run.stdout) as { ok: boolean; nodes: { id: string; status: string }[]; gradients: { name: string; status: string }[] };
    assert.equal(report.ok, true);
    assert.deepEqual(Object.fromEntries(report.nodes.map((n) => [n.id, n.status])), { mine: "kink", builtin: "kink", both: "pass", loss: "pass" });
    assert.equal(report.gradients.find((g) => g.name === "x")?.status, "kink");
  });
});
