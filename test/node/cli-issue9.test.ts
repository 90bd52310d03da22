/**
 * The CLI's part of issue 9, as a real process: on exit 2 with --json the error document
 * { "ok": false, "errors": [{ file, line, column, message }] } on stdout with the messages of
 * stderr (config errors, user-code errors at the user's line, time-outs, usage errors);
 * --strict and --points; the table's new lines (suspect, backward locations, the
 * end-to-end verdict decided from the evidence).
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import type { Report } from "../../src/shared/report.js";

const root = join(__dirname, "..", "..");
const cli = join(root, "bin", "gradlens.js");
const run = (...args: string[]) => spawnSync(process.execPath, [cli, ...args], { cwd: root, encoding: "utf8", timeout: 60_000 });

interface ErrorDocument {
  ok: false;
  errors: { file: string; line: number; column: number; message: string }[];
}

/** Exit 2, the JSON error document on stdout, and each of its errors on stderr as FILE:LINE:COL: error: message (or its plain form). */
function errorDocument(args: string[]): { doc: ErrorDocument; stderr: string } {
  const r = run(...args, "--json");
  assert.equal(r.status, 2, r.stderr);
  const doc = JSON.parse(r.stdout) as ErrorDocument;
  assert.equal(doc.ok, false);
  assert.ok(doc.errors.length >= 1);
  for (const e of doc.errors) {
    assert.deepEqual(Object.keys(e).sort(), ["column", "file", "line", "message"]);
    assert.ok(r.stderr.includes(e.message), `stderr has the same message: ${e.message}`);
  }
  return { doc, stderr: r.stderr };
}

describe("--json on exit 2: the error document", () => {
  test("a config error: located, the same as stderr", () => {
    const { doc, stderr } = errorDocument(["check", "test/fixtures/bad/unknown-op.gradnet.json"]);
    const [e] = doc.errors;
    assert.equal(e.file, "test/fixtures/bad/unknown-op.gradnet.json");
    assert.ok(stderr.includes(`${e.file}:${e.line}:${e.column}: error: ${e.message}`));
    assert.match(e.message, /unknown op 'sofmax'; did you mean 'softmax'\?/);
  });

  test("several config errors: all of them", () => {
    const plain = run("check", "test/fixtures/bad/duplicate-id.gradnet.json");
    const { doc } = errorDocument(["check", "test/fixtures/bad/duplicate-id.gradnet.json"]);
    assert.equal(doc.errors.length, plain.stderr.trim().split("\n").length);
  });

  test("a user-code exception: at the user's own line", () => {
    const { doc, stderr } = errorDocument(["check", "test/fixtures/ts/throw-in-backward.gradnet.ts"]);
    const [e] = doc.errors;
    assert.match(e.file, /throw-in-backward\.gradnet\.ts$/);
    assert.ok(e.line > 1);
    assert.ok(stderr.startsWith(`${e.file}:${e.line}:${e.column}: error: `));
  });

  test("a time-out in user code: the file, and the message of stderr", () => {
    const { doc } = errorDocument(["check", "test/fixtures/ts/hang-in-forward.gradnet.ts", "--timeout", "1"]);
    assert.equal(doc.errors[0].file, "test/fixtures/ts/hang-in-forward.gradnet.ts");
    assert.match(doc.errors[0].message, /did not finish within 1 s/);
  });

  test("a usage error: the message, no place in a file (line and column 0)", () => {
    const { doc } = errorDocument(["check", "examples/seed-mlp.gradnet.json", "--mode", "slow"]);
    assert.deepEqual(doc.errors, [{ file: "examples/seed-mlp.gradnet.json", line: 0, column: 0, message: "--mode must be exhaustive, sampled or fast, got 'slow'" }]);
    const unknown = errorDocument(["check", "examples/seed-mlp.gradnet.json", "--bogus"]).doc;
    assert.match(unknown.errors[0].message, /Unknown option '--bogus'/);
  });

  test("without --json stdout stays empty on exit 2", () => {
    const r = run("check", "test/fixtures/bad/unknown-op.gradnet.json");
    assert.equal(r.status, 2);
    assert.equal(r.stdout, "");
  });
});

describe("--strict, --points, and the table", () => {
  test("the corpus's hard-swish bug (x·0.3333 for x/3): suspect in the table, exit 1 only because end to end fails; --strict names the suspect", () => {
    const file = "test/corpus/hardswish-third-truncated/bug.gradnet.ts";
    const r = run("check", file);
    assert.match(r.stdout, /act\s+\S+\s+pass\s+\S+\s+suspect: passes, far above its finite-difference error/);
    assert.match(r.stdout, /note: suspect: ∂act\/∂fc(, dL\/d\S+)* pass the tolerance but are far above what the finite difference can be wrong by/);
    assert.match(r.stdout, /act \(hardswish\) at test\/corpus\/hardswish-third-truncated\/bug\.gradnet\.ts:\d+:\d+: suspect — /);
    assert.doesNotMatch(r.stdout, /how gradients are combined/);
    const json = JSON.parse(run("check", file, "--json", "--strict").stdout) as Report;
    assert.equal(json.ok, false);
    assert.equal(json.strict, true);
  });

  test("at --seed 0 the same bug passes end to end too: exit 0 with a suspect node, --strict exits 1", () => {
    const file = "test/corpus/hardswish-third-truncated/bug.gradnet.ts";
    const plain = run("check", file, "--seed", "0", "--json");
    assert.equal(plain.status, 0, plain.stderr);
    const report = JSON.parse(plain.stdout) as Report;
    assert.equal(report.ok, true);
    assert.ok(report.suspect && report.nodes.find((n) => n.id === "act")!.suspect);
    const strict = run("check", file, "--seed", "0", "--strict");
    assert.equal(strict.status, 1);
    assert.match(strict.stdout, /FAIL: 0 nodes with a wrong local gradient, 0 end-to-end gradients wrong, suspect entries \(--strict\)/);
  });

  test("--points 3 reports the points and which failed", () => {
    const r = run("check", "examples/seed-mlp.gradnet.json", "--points", "3", "--json");
    assert.equal(r.status, 0, r.stderr);
    const report = JSON.parse(r.stdout) as Report;
    assert.equal(report.points?.length, 3);
    assert.ok(report.points!.every((p) => p.ok));
    assert.ok(report.notes.some((n) => /checked at 3 points/.test(n)));
    const bad = run("check", "examples/seed-mlp.gradnet.json", "--points", "0");
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /--points must be a positive integer/);
  });

  test("a failing user op is shown at its backward's line, in the file it is written in", () => {
    const r = run("check", "test/fixtures/located/located.gradnet.ts");
    assert.equal(r.status, 1);
    assert.match(r.stdout, /d \(double\) at test\/fixtures\/located\/scale-ops\.ts:10:15: scale ×1\.5/);
    assert.match(r.stdout, /s \(square\) at test\/fixtures\/located\/located\.gradnet\.ts:10:3: /);
    const report = JSON.parse(run("check", "test/fixtures/located/located.gradnet.ts", "--json").stdout) as Report;
    assert.deepEqual(report.nodes.map((n) => n.backwardLocation), [
      { file: "test/fixtures/located/scale-ops.ts", line: 10, column: 15 },
      { file: "test/fixtures/located/located.gradnet.ts", line: 10, column: 3 },
      undefined,
    ]);
    const json = JSON.parse(run("check", "test/fixtures/located/located.gradnet.json", "--json").stdout) as Report;
    assert.deepEqual(json.nodes[0].backwardLocation, { file: "test/fixtures/located/scale-ops.ts", line: 10, column: 15 });
  });

  test("in-place writes and fresh randomness: never 'how gradients are combined'", () => {
    for (const id of ["inplace-write-into-saved-output", "dropout-fresh-mask-each-forward", "clip-grad-squared"]) {
      const r = run("check", `test/corpus/${id}/bug.gradnet.ts`);
      assert.equal(r.status, 1, id);
      assert.doesNotMatch(r.stdout, /how gradients are combined/, id);
      assert.match(r.stdout, /FAIL: 1 node with a wrong local gradient/, id);
    }
  });
});
