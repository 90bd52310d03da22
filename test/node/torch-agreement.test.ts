/**
 * `gradlens grads` agrees with PyTorch to 1e-9 on networks with fixed values.
 * The expected numbers were computed once with Debian's PyTorch
 * (scripts/torch-reference.py) and are stored in test/data/torch; torch is not
 * needed to run this test. The CLI runs as a real process.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";

const root = join(__dirname, "..", "..");
const dataDir = join(root, "test", "data", "torch");
const cli = join(root, "bin", "gradlens.js");

type Nested = number | Nested[];
const flatten = (v: Nested): number[] => (Array.isArray(v) ? v.flatMap(flatten) : [v]);
const shapeOf = (v: Nested): number[] => (Array.isArray(v) ? [v.length, ...shapeOf(v[0])] : []);

const networks = readdirSync(dataDir).filter((f) => f.endsWith(".gradnet.json"));

test("there are reference networks for several op families", () => {
  assert.ok(networks.length >= 6, `found ${networks.join(", ")}`);
});

for (const file of networks) {
  const name = file.replace(".gradnet.json", "");
  test(`grads of ${name} equal PyTorch's to 1e-9`, () => {
    const expected = JSON.parse(readFileSync(join(dataDir, `${name}.expected.json`), "utf8")) as { loss: number; grads: Record<string, Nested> };
    const out = execFileSync(process.execPath, [cli, "grads", join(dataDir, file), "--json"], { encoding: "utf8" });
    const actual = JSON.parse(out) as { loss: number; grads: Record<string, Nested> };
    assert.ok(Math.abs(actual.loss - expected.loss) <= 1e-9 * Math.max(1, Math.abs(expected.loss)), `loss ${actual.loss} vs torch ${expected.loss}`);
    assert.deepEqual(Object.keys(actual.grads).sort(), Object.keys(expected.grads).sort(), "the same gradients are reported");
    for (const [key, want] of Object.entries(expected.grads)) {
      const got = actual.grads[key];
      assert.deepEqual(shapeOf(got), shapeOf(want), `shape of ${key}`);
      const a = flatten(got), b = flatten(want);
      a.forEach((x, i) => {
        assert.ok(Math.abs(x - b[i]) <= 1e-9 * Math.max(1, Math.abs(b[i])), `${key}[${i}]: gradlens ${x}, torch ${b[i]}`);
      });
    }
  });
}
