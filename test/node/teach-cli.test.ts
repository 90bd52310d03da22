/**
 * `gradlens explain | descent | sweep` as real processes: DESIGN's JSON shapes
 * exactly, the exit codes, the readable text, and every way an entry, a node or
 * an option can be wrong (FILE:LINE:COL on stderr, the error document with --json).
 */
import { test, describe } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { join } from "node:path";

const root = join(__dirname, "..", "..");
const cli = join(root, "bin", "gradlens.js");
const run = (...args: string[]) => spawnSync(process.execPath, [cli, ...args], { cwd: root, encoding: "utf8", timeout: 120_000 });
const json = (...args: string[]) => {
  const r = run(...args, "--json");
  return { status: r.status, stderr: r.stderr, out: JSON.parse(r.stdout) };
};
const LECTURE = "examples/seed-mlp.gradnet.json";
const BUGGY = "examples/buggy/softmax-diagonal.gradnet.ts";

describe("gradlens explain FILE ENTRY", () => {
  test("--json: { entry, analytic, numeric, terms, path: [{ node, upstreamAnalytic, upstreamNumeric, local }], firstDeparture }; exit 0 when they agree", () => {
    const { status, stderr, out } = json("explain", LECTURE, "fc.W[1,0]");
    assert.equal(status, 0, stderr);
    for (const k of ["entry", "analytic", "numeric", "terms", "path", "firstDeparture"]) assert.ok(k in out, k);
    assert.equal(out.entry, "fc.W[1, 0]");
    assert.equal(out.firstDeparture, null);
    assert.ok(Array.isArray(out.terms) && out.terms.length === 4);
    assert.deepEqual(out.path.map((s: { node: string }) => s.node), ["loss", "p", "fc"]);
    for (const s of out.path) for (const k of ["node", "upstreamAnalytic", "upstreamNumeric", "local"]) assert.ok(k in s, `path[].${k}`);
    // The total is what `gradlens grads` gives, to 1e-9.
    const grads = JSON.parse(run("grads", LECTURE, "--json").stdout).grads["fc.W"];
    assert.ok(Math.abs(out.analytic - grads[1][0]) <= 1e-9);
    assert.ok(Math.abs(out.identity.value - out.numeric) <= 1e-7);
  });

  test("every fc.W[j,i] of the lecture's network: the gradient of `grads` to 1e-9", () => {
    const grads = JSON.parse(run("grads", LECTURE, "--json").stdout).grads["fc.W"] as number[][];
    for (let j = 0; j < 3; j++) for (let i = 0; i < 3; i++) {
      const { status, out } = json("explain", LECTURE, `fc.W[${j},${i}]`);
      assert.equal(status, 0);
      assert.ok(Math.abs(out.analytic - grads[j][i]) <= 1e-9, `fc.W[${j},${i}]`);
    }
  });

  test("text: the chain in the lecture's notation, the factors with numbers, the identity; the buggy softmax departs at p, exit 1", () => {
    const ok = run("explain", LECTURE, "fc.W[1,0]");
    assert.equal(ok.status, 0, ok.stderr);
    assert.match(ok.stdout, /dL\/dfc\.W\[1, 0\] = ∂L\/∂p · ∂p\/∂fc · ∂fc\/∂fc\.W\[1, 0\]/);
    assert.match(ok.stdout, /1\. loss \(cross_entropy\).*\n   upstream  dL\/dL = 1/);
    assert.match(ok.stdout, /2\. p \(softmax\)   ∂pⱼ\/∂lₖ = pⱼ\(δⱼₖ − pₖ\)/);
    assert.match(ok.stdout, /3\. fc \(linear\)   ∂lⱼ\/∂wⱼ,ᵢ = xᵢ/);
    assert.match(ok.stdout, /total: dL\/dfc\.W\[1, 0\] analytic (-?[\d.]+), numeric \1 — they agree/);
    assert.match(ok.stdout, /the lecture: \(1\/B\) Σ_b \(p\[b,1\] − y\[b,1\]\)·x\[b,0\] = \(1\/4\)·\(.*\) = -?[\d.]+ ✓/);
    const bad = run("explain", BUGGY, "fc.W[1,0]");
    assert.equal(bad.status, 1, bad.stderr);
    assert.match(bad.stdout, /2\. p \(mySoftmax\)[\s\S]*✗ departs   ← first departure/);
    assert.match(bad.stdout, /they DISAGREE/);
    assert.match(bad.stdout, /first departure: p — /);
    assert.equal(json("explain", BUGGY, "fc.b[0]").out.firstDeparture, "p");
  });

  const badEntries: [string, string, RegExp][] = [
    ["fc.W[9,9]", "10:5", /index 9 is out of range for dimension 0 of fc\.W \[3, 3\]/],
    ["fc.W[1]", "10:5", /needs 2 integer indices, got 1/],
    ["zz.W[0,0]", "1:1", /no node 'zz'/],
    ["fc.Q[0,0]", "10:5", /has no parameter 'Q'/],
    ["y[0]", "7:37", /class labels/],
    ["fc.W[1;0]", "10:5", /whole numbers/],
    ["fc.W", "10:5", /is the whole tensor fc\.W/],
  ];
  for (const [entry, at, message] of badEntries) {
    test(`a bad entry ${entry}: FILE:${at}: error, exit 2; --json gives the error document`, () => {
      const r = run("explain", LECTURE, entry);
      assert.equal(r.status, 2);
      assert.equal(r.stdout, "");
      assert.match(r.stderr, new RegExp(`^examples/seed-mlp\\.gradnet\\.json:${at}: error: `));
      assert.match(r.stderr, message);
      assert.doesNotMatch(r.stderr, /\n\s+at /, "no stack trace");
      const j = json("explain", LECTURE, entry);
      assert.equal(j.status, 2);
      assert.equal(j.out.ok, false);
      assert.equal(j.out.errors.length, 1);
      const [line, column] = at.split(":").map(Number);
      assert.deepEqual(Object.keys(j.out.errors[0]).sort(), ["column", "file", "line", "message"]);
      assert.deepEqual([j.out.errors[0].file, j.out.errors[0].line, j.out.errors[0].column], ["examples/seed-mlp.gradnet.json", line, column]);
      assert.match(j.out.errors[0].message, message);
    });
  }

  test("a bad file, a missing ENTRY, an option of another verb: exit 2", () => {
    const missing = json("explain", "examples/nope.gradnet.json", "fc.W[0,0]");
    assert.equal(missing.status, 2);
    assert.equal(missing.out.ok, false);
    assert.match(missing.out.errors[0].message, /cannot read/);
    assert.equal(run("explain", LECTURE).status, 2);
    const wrong = run("explain", LECTURE, "fc.W[0,0]", "--lr", "0.1");
    assert.equal(wrong.status, 2);
    assert.match(wrong.stderr, /--lr is not an option of 'explain'/);
    const usage = json("explain", LECTURE);
    assert.equal(usage.status, 2);
    assert.equal(usage.out.ok, false);
  });
});

describe("gradlens descent FILE", () => {
  test("--json: { analytic, numeric, lr, steps }; both curves fall and agree, exit 0", () => {
    const { status, stderr, out } = json("descent", LECTURE, "--steps", "10", "--lr", "0.5");
    assert.equal(status, 0, stderr);
    for (const k of ["analytic", "numeric", "lr", "steps"]) assert.ok(k in out, k);
    assert.deepEqual([out.lr, out.steps, out.analytic.length, out.numeric.length], [0.5, 10, 11, 11]);
    out.analytic.forEach((a: number, t: number) => assert.ok(Math.abs(a - out.numeric[t]) <= 1e-6));
    assert.ok(out.analytic[10] < out.analytic[0] && out.numeric[10] < out.numeric[0]);
  });

  test("text: two columns and a verdict; a buggy backward parts, exit 1; defaults 20 steps, α = 0.1", () => {
    const ok = run("descent", LECTURE);
    assert.equal(ok.status, 0, ok.stderr);
    assert.match(ok.stdout, /20 steps of Δθ = −α·∂L\/∂θ with α = 0\.1 on fc\.W, fc\.b \(12 entries; the inputs stay fixed\)/);
    assert.match(ok.stdout, /step\s+loss, analytic gradient\s+loss, numeric gradient\s+difference/);
    assert.match(ok.stdout, /\nAGREE: The two curves agree/);
    const bad = run("descent", BUGGY);
    assert.equal(bad.status, 1, bad.stderr);
    assert.match(bad.stdout, /← the curves part/);
    assert.match(bad.stdout, /\nPART: The curves part at step 1/);
  });

  test("bad options: exit 2", () => {
    for (const args of [["--steps", "-1"], ["--lr", "0"], ["--lr", "x"], ["--node", "p"]]) {
      const r = run("descent", LECTURE, ...args);
      assert.equal(r.status, 2, args.join(" "));
    }
  });
});

describe("gradlens sweep FILE --node ID", () => {
  test("--json: { node, points: [{ h, error }] } for h from 1e-1 to 1e-12; exit 0", () => {
    const { status, stderr, out } = json("sweep", LECTURE, "--node", "p");
    assert.equal(status, 0, stderr);
    assert.equal(out.node, "p");
    assert.equal(out.points[0].h, 0.1);
    assert.equal(out.points.at(-1).h, 1e-12);
    for (const p of out.points) assert.ok(typeof p.h === "number" && typeof p.error === "number");
    assert.equal(out.verdict, "v");
  });

  test("text: a table and the one sentence; a wrong backward's floor still exits 0", () => {
    const ok = run("sweep", LECTURE, "--node", "p");
    assert.equal(ok.status, 0);
    assert.match(ok.stdout, /h\s+error/);
    assert.match(ok.stdout, /← best/);
    assert.match(ok.stdout, /\nThe V of a correct gradient/);
    const bad = run("sweep", BUGGY, "--node", "p");
    assert.equal(bad.status, 0);
    assert.match(bad.stdout, /\nA flat floor/);
  });

  test("no --node, an unknown node, an input: exit 2 with the nodes there are", () => {
    assert.equal(run("sweep", LECTURE).status, 2);
    const unknown = json("sweep", LECTURE, "--node", "zz");
    assert.equal(unknown.status, 2);
    assert.match(unknown.out.errors[0].message, /no node 'zz' in the network; nodes: fc, p, loss/);
    const input = run("sweep", LECTURE, "--node", "x");
    assert.equal(input.status, 2);
    assert.match(input.stderr, /^examples\/seed-mlp\.gradnet\.json:6:10: error: 'x' is an input, not a node/);
  });
});

test("--help lists the three verbs", () => {
  const r = run("--help");
  assert.equal(r.status, 0);
  for (const verb of ["explain FILE ENTRY", "descent FILE", "sweep FILE --node ID"]) assert.ok(r.stdout.includes(`gradlens ${verb}`), verb);
});
