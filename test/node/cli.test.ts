/**
 * The `gradlens` command as a real process: exit codes, usage errors, the
 * outputs of check / grads / graph, --seed, --html, and user output kept off
 * the JSON on stdout.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const root = join(__dirname, "..", "..");
const cli = join(root, "bin", "gradlens.js");
const run = (...args: string[]) => spawnSync(process.execPath, [cli, ...args], { cwd: root, encoding: "utf8", timeout: 60_000 });

test("check of the lecture's network: the table, exit 0", () => {
  const r = run("check", "examples/seed-mlp.gradnet.json");
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /^GradLens: seed-mlp/);
  assert.match(r.stdout, /fc\s+linear\s+pass/);
  assert.match(r.stdout, /p\s+softmax\s+pass/);
  assert.match(r.stdout, /fc\.W\s+\[3, 3\]\s+9\/9\s+pass/);
  assert.match(r.stdout, /PASS: every gradient matches/);
});

test("check of a buggy network: exit 1, the node and its diagnosis in the table", () => {
  const r = run("check", "examples/buggy/cross-entropy-sign.gradnet.ts");
  assert.equal(r.status, 1, r.stderr);
  assert.match(r.stdout, /FAIL: 1 node with a wrong local gradient/);
  assert.match(r.stdout, /loss \(.*\) at examples\/buggy\/cross-entropy-sign\.gradnet\.ts:\d+:\d+: sign/);
});

test("--json prints the report object with the contract's fields", () => {
  const r = run("check", "examples/seed-mlp.gradnet.json", "--json");
  assert.equal(r.status, 0, r.stderr);
  const report = JSON.parse(r.stdout);
  assert.equal(report.ok, true);
  for (const n of report.nodes) for (const k of ["id", "op", "status", "maxRelError"]) assert.ok(k in n, `nodes[].${k}`);
  for (const g of report.gradients) for (const k of ["name", "status", "maxRelError", "worst"]) assert.ok(k in g, `gradients[].${k}`);
  assert.deepEqual(report.gradients.map((g: { name: string }) => g.name), ["fc.W", "fc.b", "x"]);
});

test("--seed overrides the network's seed: other inputs and parameters, same seed same numbers", () => {
  const ownSeedLoss = () => JSON.parse(run("grads", "examples/seed-mlp.gradnet.json", "--json").stdout).loss;
  const checked = (seed: string) => JSON.parse(run("check", "examples/seed-mlp.gradnet.json", "--json", "--seed", seed).stdout);
  const a = checked("3"), b = checked("3"), c = checked("4");
  assert.equal(a.network.seed, 3);
  assert.equal(a.loss, b.loss);
  assert.notEqual(a.loss, c.loss);
  assert.notEqual(a.loss, ownSeedLoss());
});

test("a user's console output goes to stderr, so --json on stdout stays valid", () => {
  const r = run("check", "test/fixtures/cli/chatty.gradnet.ts", "--json");
  assert.equal(r.status, 0, r.stderr);
  const report = JSON.parse(r.stdout);
  assert.equal(report.ok, true);
  assert.match(r.stderr, /forward of chattyDouble/);
  assert.match(r.stderr, /backward of chattyDouble/);
});

test("grads --json: the loss and a gradient per parameter and non-label input", () => {
  const r = run("grads", "examples/seed-mlp.gradnet.json", "--json");
  assert.equal(r.status, 0, r.stderr);
  const out = JSON.parse(r.stdout);
  assert.equal(typeof out.loss, "number");
  assert.deepEqual(Object.keys(out.grads).sort(), ["fc.W", "fc.b", "x"]);
  assert.equal(out.grads.x.length, 4);
  assert.equal(out.grads.x[0].length, 3);
});

test("graph prints a Mermaid flowchart with shapes on the edges", () => {
  const r = run("graph", "examples/seed-mlp.gradnet.json");
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /^flowchart /);
  assert.match(r.stdout, /n0 -->\|"\[4, 3\]"\| n2/);
});

test("--html writes a standalone page holding the report", () => {
  const out = join(mkdtempSync(join(tmpdir(), "gradlens-")), "report.html");
  const r = run("check", "examples/seed-mlp.gradnet.json", "--html", out);
  assert.equal(r.status, 0, r.stderr);
  const html = readFileSync(out, "utf8");
  assert.match(html, /Content-Security-Policy/);
  assert.match(html, /id="gradlens-report"/);
  assert.match(html, /seed-mlp/);
});

for (const [args, message] of [
  [[], /no command given/],
  [["frobnicate", "x"], /unknown command 'frobnicate'/],
  [["check"], /check needs a network FILE/],
  [["check", "examples/seed-mlp.gradnet.json", "--mode", "slow"], /--mode must be exhaustive, sampled or fast/],
  [["check", "examples/seed-mlp.gradnet.json", "--rtol", "abc"], /--rtol must be a number/],
  [["check", "examples/seed-mlp.gradnet.json", "--bogus"], /Unknown option '--bogus'/],
  [["grads", "examples/seed-mlp.gradnet.json"], /grads prints JSON/],
  [["graph", "examples/seed-mlp.gradnet.json", "--mode", "fast"], /--mode is an option of 'check'/],
] as [string[], RegExp][]) {
  test(`bad usage exits 2 with a message: gradlens ${args.join(" ")}`, () => {
    const r = run(...args);
    assert.equal(r.status, 2);
    assert.match(r.stderr, message);
    assert.match(r.stderr, /usage:/);
    assert.doesNotMatch(r.stderr, /\n\s+at /);
  });
}

test("a missing file is a located error, exit 2", () => {
  const r = run("check", "examples/nope.gradnet.json");
  assert.equal(r.status, 2);
  assert.match(r.stderr, /^examples\/nope\.gradnet\.json:1:1: error: cannot read the network file: no such file/);
});
