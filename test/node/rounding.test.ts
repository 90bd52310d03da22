/**
 * A central difference cannot resolve a step below the float spacing: with an
 * input of 1e12, x ± 1e-6 rounds, and an output near 1e11 hides a change of
 * 1e-7. Such entries must not be reported as mismatches of a correct backward
 * (they are 'skipped'), while ordinary values keep the user's tolerance.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { roundingNoise } from "../../src/engine/compare.js";

const root = join(__dirname, "..", "..");
const cli = join(root, "bin", "gradlens.js");
const check = (...args: string[]) => spawnSync(process.execPath, [cli, "check", "test/fixtures/cli/huge-values.gradnet.json", "--json", ...args], { cwd: root, encoding: "utf8" });

test("rounding noise is negligible for ordinary values and large where the step is below the float spacing", () => {
  assert.ok(roundingNoise(1, 1, 1, 1e-6) < 1e-8, "values near 1 keep the user's atol (1e-5)");
  assert.ok(roundingNoise(1e11, 1, 0.1, 1e-6) > 1, "an output near 1e11 cannot show a change of 1e-7");
  assert.ok(roundingNoise(1, 1e12, 0.5, 1e-6) > 0.1, "an input of 1e12 cannot be moved by 1e-6");
  assert.equal(roundingNoise(Infinity, 1, 1, 1e-6), 0, "non-finite values are judged elsewhere (non-finite)");
});

for (const mode of ["exhaustive", "fast"]) {
  test(`a correct network fed 1e10 and 1e12 passes in ${mode} mode, unresolvable entries skipped`, () => {
    const r = check("--mode", mode);
    assert.equal(r.status, 0, r.stdout.slice(0, 2000) + r.stderr);
    const report = JSON.parse(r.stdout);
    assert.equal(report.ok, true);
    if (mode === "exhaustive") {
      const fc = report.nodes.find((n: { id: string }) => n.id === "fc");
      const statuses = fc.jacobians.flatMap((j: { worst: { status: string }[] }) => j.worst.map((w) => w.status));
      assert.ok(statuses.includes("skipped"), `some of fc's entries are unresolvable: ${statuses}`);
      assert.ok(fc.maxRelError < 1e-6, `skipped entries do not count in maxRelError (${fc.maxRelError})`);
    }
  });
}
