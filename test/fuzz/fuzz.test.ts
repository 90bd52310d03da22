// Hostile and broken network files (issue #6, engine/CLI half): thousands of
// seeded mutations of the example networks go through the same code path as
// `gradlens check` (runTask → WorkerResult → exit code). Every case must end in
// exit 0 or 1 with a report, or exit 2 with FILE:LINE:COL inside the file's
// text; never an internal error, a throw, or a case over 5 s. A sample goes
// through the real CLI process too. FUZZ_CASES and FUZZ_SEED change the run.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { FUZZ_REQUEST, insideText, judge, loadSeeds, makeCases, root, runCase, type Outcome } from "./run.js";
import { generateCase } from "./generate.js";
import { runTask } from "../../src/worker/run-task.js";
import { buildGraph } from "../../src/engine/graph.js";
import { checkGraph } from "../../src/engine/check.js";
import { defineOp } from "../../src/engine/op.js";
import { map } from "../../src/engine/tensor.js";

const CASES = Number(process.env.FUZZ_CASES ?? 5000);
const SEED = Number(process.env.FUZZ_SEED ?? 20261128);
const SLOW_MS = 5000;

const dir = mkdtempSync(join(tmpdir(), "gradlens-fuzz-"));
after(() => rmSync(dir, { recursive: true, force: true }));

const outcomes: Outcome[] = [];

describe("fuzz: mutated network files through runTask, as `gradlens check` runs them", () => {
  test(`${CASES} seeded cases (seed ${SEED}): exit 0, 1 or 2 with FILE:LINE:COL; no internal error, none over ${SLOW_MS / 1000} s`, async () => {
    const seeds = loadSeeds();
    assert.ok(seeds.length >= 9, "the examples and the bench networks are the seeds");
    const t0 = performance.now();
    let generateMs = 0;
    let peakHeapMb = 0;
    const otherTasks: Record<string, Record<string, number>> = {};
    const otherFindings: string[] = [];
    for (let i = 0; i < CASES; i++) {
      const g0 = performance.now();
      const c = generateCase(seeds, i, SEED);
      generateMs += performance.now() - g0;
      const o = await runCase(c, dir);
      peakHeapMb = Math.max(peakHeapMb, o.heapMb);
      outcomes.push(o);
      // Every tenth file also through `gradlens graph` and `gradlens grads` (load, forward, backward only).
      if (i % 10 === 0) {
        for (const task of ["graph", "grads"] as const) {
          const other = await runCase(c, dir, task);
          (otherTasks[task] ??= {})[String(other.exit)] = (otherTasks[task][String(other.exit)] ?? 0) + 1;
          if (other.exit === "bug" || other.ms > SLOW_MS) otherFindings.push(`${task} #${c.index} [${c.mutations.join("; ").slice(0, 200)}]: ${other.exit} ${Math.round(other.ms)} ms ${other.message?.slice(0, 300) ?? ""}`);
        }
      }
    }
    const totalMs = performance.now() - t0;
    const byExit: Record<string, number> = {};
    for (const o of outcomes) byExit[String(o.exit)] = (byExit[String(o.exit)] ?? 0) + 1;
    const slowest = outcomes.reduce((a, b) => (b.ms > a.ms ? b : a));
    const bugs = outcomes.filter((o) => o.exit === "bug");
    const slow = outcomes.filter((o) => o.ms > SLOW_MS);
    const byMutation: Record<string, number> = {};
    for (const o of outcomes) for (const m of new Set(o.mutations.map((x) => x.split(" ")[0]))) byMutation[m] = (byMutation[m] ?? 0) + 1;
    const summary = {
      cases: outcomes.length, seed: SEED, request: FUZZ_REQUEST, byExit,
      slowest: { index: slowest.index, ms: Math.round(slowest.ms), seed: slowest.seed, mutations: slowest.mutations.map((m) => m.slice(0, 200)) },
      totalSeconds: +(totalMs / 1000).toFixed(1), generateSeconds: +(generateMs / 1000).toFixed(1), peakHeapMb: Math.round(peakHeapMb),
      byMutation,
      graphAndGradsTasks: otherTasks,
      findings: [...bugs, ...slow].slice(0, 20).map((o) => ({ index: o.index, exit: o.exit, ms: Math.round(o.ms), seed: o.seed, mutations: o.mutations.map((m) => m.slice(0, 200)), message: o.message?.slice(0, 500) })),
    };
    mkdirSync(join(root, "artifacts"), { recursive: true });
    writeFileSync(join(root, "artifacts", "fuzz-summary.json"), JSON.stringify(summary, null, 2) + "\n");
    console.log(`fuzz: ${summary.cases} cases, by exit ${JSON.stringify(byExit)} (graph/grads on every tenth: ${JSON.stringify(otherTasks)}), slowest #${slowest.index} ${Math.round(slowest.ms)} ms (${slowest.seed}: ${slowest.mutations.join("; ").slice(0, 160)}), ` +
      `${summary.totalSeconds} s in all (${summary.generateSeconds} s generating), peak heap ${summary.peakHeapMb} MiB → artifacts/fuzz-summary.json`);
    // Keep the files of failing cases to reproduce them.
    if (bugs.length || slow.length) {
      const keep = join(root, "artifacts", "fuzz-failures");
      mkdirSync(keep, { recursive: true });
      for (const o of [...bugs, ...slow]) copyFileSync(o.file, join(keep, o.file.replace(/^.*[\\/]/, "")));
    }
    assert.deepEqual(bugs.map((o) => `#${o.index} ${o.seed} [${o.mutations.join("; ").slice(0, 300)}]: ${o.message?.slice(0, 300)}`), [], "cases that crashed or were reported wrongly");
    assert.deepEqual(otherFindings, [], "graph and grads tasks that crashed or took too long");
    assert.deepEqual(slow.map((o) => `#${o.index} ${Math.round(o.ms)} ms [${o.mutations.join("; ").slice(0, 300)}]`), [], "cases that took too long");
    // Each kind of outcome occurs (the generator is not degenerate).
    for (const code of ["0", "1", "2"]) assert.ok((byExit[code] ?? 0) > 0, `no case ended in exit ${code}: ${JSON.stringify(byExit)}`);
    // Memory stays bounded: the budget refuses big networks before they are built.
    assert.ok(peakHeapMb < 1024, `peak heap ${Math.round(peakHeapMb)} MiB`);
  });

  test("the generator is seeded: the same case twice is the same bytes", () => {
    const seeds = loadSeeds();
    for (const i of [0, 7, 123]) assert.deepEqual(generateCase(seeds, i, SEED).bytes, generateCase(seeds, i, SEED).bytes);
    assert.notDeepEqual(generateCase(seeds, 1, SEED).bytes, generateCase(seeds, 2, SEED).bytes);
  });

  test("a sample of 30 through the real CLI process: the same exit code, FILE:LINE:COL on stderr, valid JSON, no stack trace", () => {
    assert.ok(outcomes.length > 0, "runs after the in-process cases");
    const cli = join(root, "bin", "gradlens.js");
    if (!existsSync(join(root, "dist", "cli.js"))) {
      const build = spawnSync(process.execPath, [join(root, "scripts", "build.mjs")], { cwd: root, encoding: "utf8" });
      assert.equal(build.status, 0, build.stderr);
    }
    // Spread over the outcomes: up to 10 of each exit code, in case order.
    const sample: Outcome[] = [];
    for (const code of [2, 1, 0] as const) sample.push(...outcomes.filter((o) => o.exit === code).slice(0, code === 2 ? 30 - Math.min(10, outcomes.filter((o) => o.exit === 1).length) - Math.min(10, outcomes.filter((o) => o.exit === 0).length) : 10));
    assert.equal(sample.length, Math.min(30, outcomes.length));
    for (const o of sample) {
      const text = new TextDecoder().decode(readFileSync(o.file));
      const run = spawnSync(process.execPath, [cli, "check", o.file, "--mode", "fast", "--max-memory", String(FUZZ_REQUEST.maxMemoryMb), ...(o.exit === 2 ? [] : ["--json"])], { encoding: "utf8", timeout: 60_000, maxBuffer: 1 << 30 });
      const what = `#${o.index} [${o.mutations.join("; ").slice(0, 200)}]`;
      assert.equal(run.status, o.exit, `${what}: CLI exit ${run.status}, in-process ${o.exit}; stderr: ${run.stderr.slice(0, 500)}`);
      assert.doesNotMatch(run.stderr, /\n\s+at |internal error/, `${what}: ${run.stderr.slice(0, 500)}`);
      if (o.exit === 2) {
        const lines = run.stderr.trimEnd().split("\n");
        for (const line of lines) {
          const m = /^(.*):(\d+):(\d+): error: (.+)$/.exec(line);
          assert.ok(m, `${what}: not FILE:LINE:COL: error: message: ${JSON.stringify(line.slice(0, 300))}`);
          assert.equal(m[1], o.file);
          assert.ok(insideText(text, Number(m[2]), Number(m[3])), `${what}: ${m[2]}:${m[3]} is outside the file`);
        }
      } else {
        const report = JSON.parse(run.stdout) as { ok: boolean };
        assert.equal(report.ok, o.exit === 0, what);
        assert.doesNotMatch(run.stdout, /:\s*-?(NaN|Infinity)\b/, what);
      }
    }
  });
});

describe("fuzz findings, one test each", () => {
  const write = (name: string, spec: unknown) => {
    const file = join(dir, name);
    writeFileSync(file, typeof spec === "string" ? spec : JSON.stringify(spec, null, 2));
    return file;
  };

  test("a chain of 20,000 nodes listed in reverse builds (the topological sort does not recurse)", async () => {
    const count = 20000;
    const nodes = Array.from({ length: count }, (_, k) => ({ id: `n${k}`, op: "tanh", inputs: [k === count - 1 ? "x" : `n${k + 1}`] }));
    const file = write("reverse-chain.gradnet.json", { inputs: { x: { shape: [1] } }, nodes, output: "n0" });
    const result = await runTask({ task: "graph", file });
    assert.equal(result.kind, "graph", JSON.stringify(result).slice(0, 300));
    if (result.kind === "graph") assert.equal(result.view.nodes.length, count);
  });

  test("labels with more classes than the scores: a located error at \"classes\", not a crash in the loss", async () => {
    const file = write("classes.gradnet.json", `{
  "inputs": {
    "x": { "shape": [4, 3] },
    "y": { "shape": [4], "classes": 2147483648 }
  },
  "nodes": [
    { "id": "fc", "op": "linear", "units": 10 },
    { "id": "loss", "op": "softmax_cross_entropy", "inputs": ["fc", "y"] }
  ]
}
`);
    const result = await runTask({ task: "check", file });
    assert.equal(result.kind, "config-error", JSON.stringify(result).slice(0, 300));
    if (result.kind !== "config-error") return;
    assert.deepEqual([result.errors[0].line, result.errors[0].column], [4, 37]);
    assert.match(result.errors[0].message, /'y' has 2147483648 classes, but loss \(softmax_cross_entropy\) scores only 10/);
  });

  test("a million-character op name: a short message, and no seconds of 'did you mean'", async () => {
    const name = "a".repeat(1_000_000);
    const file = write("long-name.gradnet.json", { inputs: { x: { shape: [2] } }, nodes: [{ id: "n", op: name }] });
    const result = await runTask({ task: "check", file });
    assert.equal(result.kind, "config-error");
    if (result.kind !== "config-error") return;
    assert.ok(result.errors[0].message.length < 1100, `message of ${result.errors[0].message.length} characters`);
    assert.match(result.errors[0].message, /unknown op 'a{70,80}…\(1000003 characters\)';/);
  });

  test("an unknown input of 200,000 characters beside a node id of 200,000 characters: an error, not hours of 'did you mean'", { timeout: 60_000 }, async () => {
    const long = (c: string) => c.repeat(200_000);
    const file = write("two-long-names.gradnet.json", {
      inputs: { x: { shape: [2] } },
      nodes: [{ id: long("\u0301"), op: "tanh" }, { id: "loss", op: "sum", inputs: [long("a")] }],
    });
    const result = await runTask({ task: "check", file });
    assert.equal(result.kind, "config-error");
    if (result.kind === "config-error") assert.match(result.errors[0].message, /unknown input 'a{70,80}…\(200002 characters\)'/);
  });

  test("fast mode: ties at ReLU zeros in max-pool windows are kinks, not failures (examples/cnn, network seed 0, 12 direction seeds)", async () => {
    const spec = JSON.parse(readFileSync(join(root, "examples", "cnn.gradnet.json"), "utf8"));
    delete spec.seed; // the mutation that found it: with seed 0, several windows hold only zeros
    const file = write("cnn-seed0.gradnet.json", spec);
    for (let seed = 0; seed < 12; seed++) {
      const result = await runTask({ task: "check", file, options: { mode: "fast", seed } });
      assert.equal(result.kind, "report");
      if (result.kind !== "report") return;
      const failing = result.report.nodes.filter((n) => n.status === "fail").map((n) => `${n.id}: ${n.diagnosis?.detail}`);
      assert.deepEqual(failing, [], `direction seed ${seed}`);
      assert.equal(result.report.ok, true, `direction seed ${seed}`);
    }
  });

  test("fast mode still fails a wrong backward at a kinked op (a ReLU whose backward doubles g where x > 0)", () => {
    const badRelu = defineOp({
      name: "badRelu",
      forward: ({ inputs: [x] }) => map(x, (v) => Math.max(0, v)),
      backward: ({ inputs: [x], gradOutput: g }) => ({ inputs: [map(g, (v, i) => (x.data[i] > 0 ? 2 * v : 0))] }),
    });
    for (let seed = 0; seed < 5; seed++) {
      const graph = buildGraph({ seed, inputs: { x: { shape: [4, 6] } }, nodes: [{ id: "fc", op: "linear", units: 5 }, { id: "r", op: badRelu }, { id: "loss", op: "sum" }] });
      const report = checkGraph(graph, { mode: "fast" });
      assert.equal(report.nodes.find((n) => n.id === "r")?.status, "fail", `seed ${seed}`);
    }
  });

  test("a UTF-8 byte order mark is accepted (editors write one); UTF-16 is refused in words", async () => {
    const text = readFileSync(join(root, "examples", "seed-mlp.gradnet.json"));
    const bom = join(dir, "bom.gradnet.json");
    writeFileSync(bom, Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), text]));
    const withBom = await runTask({ task: "check", file: bom, options: { mode: "fast" } });
    assert.equal(withBom.kind, "report", JSON.stringify(withBom).slice(0, 300));
    const utf16 = join(dir, "utf16.gradnet.json");
    writeFileSync(utf16, Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text.toString("utf8"), "utf16le")]));
    const refused = await runTask({ task: "check", file: utf16 });
    assert.equal(refused.kind, "config-error");
    if (refused.kind === "config-error") assert.match(refused.errors[0].message, /UTF-16 .* save it as UTF-8/);
  });

  test("a named pipe is refused at once (reading it would wait forever), a directory too", async (t) => {
    const fifo = join(dir, "pipe.gradnet.json");
    const made = spawnSync("mkfifo", [fifo]);
    if (made.status !== 0) return t.skip("mkfifo is not available");
    const result = await runTask({ task: "check", file: fifo });
    assert.equal(result.kind, "config-error");
    if (result.kind === "config-error") assert.match(result.errors[0].message, /not a regular file \(a pipe, socket or device\)/);
    const folder = await runTask({ task: "check", file: dir });
    assert.equal(folder.kind, "config-error");
  });

  test("a file too big to parse within the memory limit is refused before it is read, its size named", async () => {
    const values = Array.from({ length: 20000 }, (_, i) => (i % 7) / 7);
    const file = write("big-values.gradnet.json", { inputs: { x: { values } }, nodes: [{ id: "loss", op: "sum" }] });
    const result = await runTask({ task: "check", file, maxMemoryMb: 1 });
    assert.equal(result.kind, "config-error");
    if (result.kind === "config-error") assert.match(result.errors[0].message, /it is \d+ KiB, and parsing it would need about [\d.]+ MiB, over the memory limit of 1\.0 MiB/);
    assert.equal((await runTask({ task: "check", file, options: { mode: "fast" } })).kind, "report");
  });

  test("a fast-mode report never holds Infinity where a reader compares numbers (cross_entropy fed raw logits)", async () => {
    // cross_entropy of negative "probabilities": log of a negative number, whose relative error was Infinity.
    const file = write("ce-logits.gradnet.json", {
      seed: 3, inputs: { x: { shape: [4, 8] }, y: { shape: [4], classes: 3 } },
      nodes: [{ id: "fc", op: "linear", units: 3 }, { id: "loss", op: "cross_entropy", inputs: ["fc", "y"] }],
    });
    const result = await runTask({ ...FUZZ_REQUEST, file });
    const judged = judge(result, readFileSync(file, "utf8"));
    assert.notEqual(judged.exit, "bug", judged.message);
  });
});
