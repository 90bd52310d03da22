// The network language of 0.2 in files, through runTask and the real CLI: the examples that use it
// pass (the LSTM over several seeds and modes), the buggy LSTM fails at its cell naming the output,
// and each bad input in a .gradnet.ts is an error at the user's own line, exit 2.
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
import { runTask } from "../../src/worker/run-task.js";

const root = join(import.meta.dirname, "..", "..");
const cli = join(root, "dist", "cli.js");
const gradlens = (...args: string[]) => spawnSync(process.execPath, ["bin/gradlens.js", ...args], { cwd: root, encoding: "utf8", timeout: 120_000, maxBuffer: 1 << 28 });

describe("the LSTM example: a hand-written multi-output cell, unrolled over 3 steps, with saved values", () => {
  test("passes at several seeds, exhaustive, sampled and fast, with no false alarm", async () => {
    const loaded = await loadNetworkFile(join(root, "examples/lstm.gradnet.ts"));
    for (const seed of [0, 1, 2, 11, 42]) {
      for (const mode of ["exhaustive", "fast"] as const) {
        const report = checkGraph(buildGraph({ ...loaded.spec, seed }, { file: loaded.file }), { mode, seed });
        const bad = [...report.nodes, ...report.gradients].filter((x) => x.status !== "pass").map((x) => ("id" in x ? x.id : x.name) + ":" + x.status);
        assert.deepEqual(bad, [], `seed ${seed}, ${mode}`);
      }
    }
  });

  test("each step is checked per output (h and c) against every input and W, b; the shared weights are checked end to end", async () => {
    const { graph } = await loadNetworkFile(join(root, "examples/lstm.gradnet.ts"));
    const report = checkGraph(graph);
    const step2 = report.nodes.find((n) => n.id === "step2")!;
    assert.deepEqual(step2.inputs, ["x2", "step1:h", "step1:c", "W", "b"]);
    assert.deepEqual(step2.outputs, [{ name: "h", shape: [2, 4] }, { name: "c", shape: [2, 4] }]);
    assert.deepEqual(step2.jacobians.map((j) => `∂${j.output}/∂${j.wrt}`), ["h", "c"].flatMap((o) => ["x2", "step1:h", "step1:c", "W", "b"].map((w) => `∂${o}/∂${w}`)));
    assert.deepEqual(report.gradients.map((g) => g.name), ["head.W", "head.b", "x1", "x2", "x3", "h0", "c0", "W", "b"]);
  });
});

describe("the buggy LSTM: fails at the cell, naming the output whose path is forgotten", () => {
  test("cell fails with zero at ∂c/∂c0 only, every other Jacobian right; end to end only the gradients through c0 are wrong (its linear layer's W and b, and x under it)", async () => {
    const { graph } = await loadNetworkFile(join(root, "examples/buggy/lstm-forgets-c.gradnet.ts"));
    const report = checkGraph(graph);
    assert.deepEqual(report.nodes.filter((n) => n.status === "fail").map((n) => n.id), ["cell"]);
    const cell = report.nodes.find((n) => n.id === "cell")!;
    assert.deepEqual(cell.jacobians.filter((j) => j.status === "fail").map((j) => `∂${j.output}/∂${j.wrt}`), ["∂c/∂c0"]);
    assert.equal(cell.diagnosis?.kind, "zero");
    assert.match(cell.diagnosis!.detail, /^∂h\/∂\(every input and parameter\), ∂c\/∂x, ∂c\/∂h0, ∂c\/∂W and ∂c\/∂b are right, ∂c\/∂c0 is zero — the backward leaves out the path through output c/);
    assert.deepEqual(report.gradients.filter((g) => g.status === "fail").map((g) => g.name), ["c0.W", "c0.b", "x"]);
  });
});

describe("every example passes gradlens check (the real CLI, exit 0)", { skip: existsSync(cli) ? false : "dist/cli.js is not built (npm run build)" }, () => {
  const files = readdirSync(join(root, "examples")).filter((f) => /\.gradnet\.(ts|json)$/.test(f));
  test("the language examples are among them", () => {
    for (const f of ["lstm.gradnet.ts", "dropout.gradnet.json"]) assert.ok(files.includes(f), f);
  });
  for (const f of files) {
    test(`examples/${f}`, () => {
      const run = gradlens("check", `examples/${f}`, "--json");
      assert.equal(run.status, 0, run.stderr + run.stdout.slice(0, 2000));
      assert.equal((JSON.parse(run.stdout) as Report).ok, true);
    });
  }

  test("dropout: with --seed (another mask, other values) the check passes and repeats itself", () => {
    const loss = (seed: string) => {
      const run = gradlens("check", "examples/dropout.gradnet.json", "--json", "--seed", seed);
      assert.equal(run.status, 0, run.stderr);
      return (JSON.parse(run.stdout) as Report).loss;
    };
    assert.equal(loss("2"), loss("2"));
    assert.notEqual(loss("1"), loss("2"));
  });

  test("grads of the LSTM: the saved values reach every backward; the shared W and b, every input but the labels", () => {
    const run = gradlens("grads", "examples/lstm.gradnet.ts", "--json");
    assert.equal(run.status, 0, run.stderr);
    const { grads, loss } = JSON.parse(run.stdout) as { grads: Record<string, unknown>; loss: number };
    assert.ok(Number.isFinite(loss));
    assert.deepEqual(Object.keys(grads).sort(), ["W", "b", "c0", "h0", "head.W", "head.b", "x1", "x2", "x3"]);
  });

  test("grads leaves out a constant input", () => {
    const run = gradlens("grads", "test/editor/fixtures/gates.gradnet.json", "--json");
    assert.equal(run.status, 0, run.stderr);
    assert.deepEqual(Object.keys(JSON.parse(run.stdout).grads), ["x"]);
  });

  test("the graph of the LSTM: one labelled edge per output used, with its shape", () => {
    const run = gradlens("graph", "examples/lstm.gradnet.ts");
    assert.equal(run.status, 0, run.stderr);
    assert.match(run.stdout, /\["step1<br>lstmCell → h \[2, 4\], c \[2, 4\]"\]/);
    assert.match(run.stdout, /-->\|"h \[2, 4\]"\|/);
    assert.match(run.stdout, /-->\|"c \[2, 4\]"\|/);
  });

  test("the buggy LSTM: exit 1 through the CLI, the diagnosis names the output", () => {
    const run = gradlens("check", "examples/buggy/lstm-forgets-c.gradnet.ts");
    assert.equal(run.status, 1, run.stderr);
    assert.match(run.stdout, /cell \(lstmCell\) at examples\/buggy\/lstm-forgets-c\.gradnet\.ts:\d+:\d+: zero — .*∂c\/∂c0 is zero/);
  });
});

interface Located {
  file: string;
  at: string;
  message: RegExp;
}

const fixture = (name: string) => `test/fixtures/ts/${name}`;
const located: Located[] = [
  { file: fixture("rng-in-backward.gradnet.ts"), at: "10:25", message: /^in the backward of op 'leakyMask': m \(leakyMask\): rng\.uniform\(\) called outside forward — .*keep what backward needs, such as a mask, in "saved"$/ },
  { file: fixture("missing-output.gradnet.ts"), at: "4:14", message: /^cell \(halfCell\): forward returned the outputs \{ h \}, but the op declares 'h', 'c': missing 'c'$/ },
  { file: fixture("grad-outputs-typo.gradnet.ts"), at: "9:49", message: /^in the backward of op 'pair': cell \(pair\): gradOutputs has no output 'C' \(the op's outputs: h, c\)$/ },
  { file: fixture("no-such-output.gradnet.ts"), at: "15:39", message: /^'cell' \(pair\) has no output 'z' \(its outputs: h, c\)$/ },
];

describe("bad input in a .gradnet.ts: at the user's line, with the names in it", () => {
  for (const c of located) {
    test(`${c.file} → ${c.at} (runTask)`, async () => {
      const cwd = process.cwd();
      process.chdir(root);
      try {
        const result = await runTask({ task: "check", file: c.file });
        const { location, message } = result.kind === "user-error" ? result : result.kind === "config-error" ? { location: result.errors[0], message: result.errors[0].message } : assert.fail(JSON.stringify(result));
        assert.ok(location, `no location: ${message}`);
        assert.equal(`${location.file}:${location.line}:${location.column}`, `${join(root, c.file)}:${c.at}`.replace(`${root}/`, location.file.startsWith("/") ? `${root}/` : ""));
        assert.match(message, c.message);
      } finally {
        process.chdir(cwd);
      }
    });
    test(`${c.file} → exit 2, FILE:LINE:COL on stderr, no stack trace (CLI)`, { skip: existsSync(cli) ? false : "not built" }, () => {
      const run = gradlens("check", c.file);
      assert.equal(run.status, 2, run.stdout);
      assert.ok(run.stderr.startsWith(`${c.file}:${c.at}: error: `), run.stderr);
      assert.doesNotMatch(run.stderr, /\n\s+at /);
    });
  }
});
