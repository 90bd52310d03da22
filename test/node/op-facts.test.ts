/**
 * Ops carry their own facts. A made-up built-in (cube, y = x³, from `unaryOp`)
 * registered in a registry built for the test is checked clean and takes the
 * incremental evaluator's sparse elementwise path with no other file knowing its
 * name; a custom op's claims are never trusted; what a diagnosis says and which
 * losses take labels come from the ops; and no module outside ops/ dispatches on
 * an op's name.
 */
import { test, describe } from "node:test";
import assert from "node:assert/strict";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { buildGraph, type Graph } from "../../src/engine/graph.js";
import { checkGraph } from "../../src/engine/check.js";
import { StraightEvaluator } from "../../src/engine/evaluate.js";
import { IncrementalEvaluator } from "../../src/engine/incremental.js";
import { NetworkError, type NetworkSpec } from "../../src/engine/network.js";
import type { ForwardContext, OpDef } from "../../src/engine/op.js";
import { builtinOpList, builtinOpNames, builtinOps, diagnosisHintsOf, labelOpsInWords, registerOps } from "../../src/engine/ops/index.js";
import { unaryOp } from "../../src/engine/ops/unary.js";

const root = join(import.meta.dirname, "..", "..");

/** The whole of a new built-in: one definition. */
const cube = unaryOp({
  name: "cube",
  summary: "x³, elementwise",
  formula: "d x³/dx = 3x²; dL/dx = g ⊙ 3x²",
  f: (x) => x * x * x,
  dx: (g, x) => g * 3 * x * x,
});

const spec = (op: string): NetworkSpec => ({
  name: "cube-net", seed: 3,
  inputs: { x: { shape: [4, 6] }, y: { shape: [4], classes: 3 } },
  nodes: [
    { id: "fc", op: "linear", units: 5 },
    { id: "c", op },
    { id: "fc2", op: "linear", units: 3 },
    { id: "loss", op: "softmax_cross_entropy", inputs: ["fc2", "y"] },
  ],
});

/** The op with its forward counted: the size of the input of every call. */
function counted(op: OpDef): { op: OpDef; sizes: number[] } {
  const sizes: number[] = [];
  return { op: { ...op, forward: (ctx: ForwardContext) => (sizes.push(ctx.inputs[0].data.length), op.forward(ctx)) }, sizes };
}

/** A graph over the shipped built-ins plus `op`, registered in a registry of the test's own. */
function graphWith(op: OpDef): Graph {
  const registry = registerOps([...builtinOpList, op]);
  return buildGraph(spec(op.name), { customOps: Object.fromEntries(registry) });
}

/** L(θ ± h·eᵢ) over every entry of fc.W and x, incremental and straight; returns the cube's forward sizes during the incremental ones. */
function evaluateAll(op: OpDef) {
  const { op: c, sizes } = counted(op);
  const graph = graphWith(c);
  const fast = new IncrementalEvaluator(graph), straight = new StraightEvaluator(graph);
  sizes.length = 0;
  const got = ["fc.W", "x"].map((name) => fast.entries(name, Array.from({ length: name === "x" ? 24 : 30 }, (_, i) => i), 1e-6));
  const during = [...sizes];
  const want = ["fc.W", "x"].map((name) => straight.entries(name, Array.from({ length: name === "x" ? 24 : 30 }, (_, i) => i), 1e-6));
  return { got, want, sizes: during };
}

describe("a new built-in op is its definition and a registration", () => {
  test("cube is not shipped: the test's registry is the only place that knows it", () => {
    assert.ok(!builtinOps.has("cube"));
    assert.throws(() => buildGraph(spec("cube")), NetworkError);
    assert.equal(graphWith(cube).nodes.find((n) => n.id === "c")!.op, cube);
  });

  test("it checks clean, locally and end to end", () => {
    const report = checkGraph(graphWith(cube), { mode: "exhaustive" });
    assert.equal(report.ok, true, JSON.stringify(report.nodes.map((n) => [n.id, n.status])));
    assert.equal(report.nodes.find((n) => n.id === "c")!.status, "pass");
    assert.ok(report.gradients.every((g) => g.status === "pass"));
  });

  test("the incremental evaluator takes its sparse elementwise path: the forward sees only the changed entries", () => {
    const { got, want, sizes } = evaluateAll(cube);
    // fc.W[i, j] moves column i of fc (4 rows); x[n, j] moves row n of fc (5 units): never the whole 20.
    assert.equal(sizes.length, 2 * (30 + 24));
    assert.deepEqual([...new Set(sizes)].sort(), [4, 5]);
    got.forEach((g, t) => g.plus.forEach((v, k) => {
      assert.ok(Math.abs(v - want[t].plus[k]) <= 1e-12 * Math.abs(v), `L(+h) ${t}/${k}: ${v} vs ${want[t].plus[k]}`);
      assert.ok(Math.abs(g.minus[k] - want[t].minus[k]) <= 1e-12 * Math.abs(v), `L(−h) ${t}/${k}`);
    }));
  });

  test("without its locality the same op falls back to whole forwards (what forgetting a name list used to do silently)", () => {
    const { sizes } = evaluateAll({ ...cube, locality: undefined });
    assert.equal(sizes.length, 2 * (30 + 24));
    assert.deepEqual([...new Set(sizes)], [20]);
  });

  test("a custom op's locality is never trusted: it is recomputed whole", () => {
    const { sizes } = evaluateAll({ ...cube, builtin: false });
    assert.deepEqual([...new Set(sizes)], [20]);
  });
});

describe("issue 10's ops take their sparse paths", () => {
  /** The shipped op `name` with its forward counted, in a registry of the test's own. */
  function countedBuiltin(name: string) {
    const { op, sizes } = counted(builtinOps.get(name)!);
    const registry = registerOps([...builtinOpList.filter((o) => o.name !== name), op]);
    return { customOps: Object.fromEntries(registry), sizes };
  }

  test("where, three inputs: a changed entry of a or b recomputes only the output entries it meets", () => {
    const { customOps, sizes } = countedBuiltin("where");
    const graph = buildGraph({
      name: "where-net", seed: 2,
      inputs: { mask: { values: [1, 0, 1, 0, 1, 1], constant: true }, a: { shape: [4, 6] }, b: { shape: [6] } },
      nodes: [{ id: "w", op: "where", inputs: ["mask", "a", "b"] }, { id: "t", op: "tanh" }, { id: "loss", op: "sum" }],
    }, { customOps });
    const fast = new IncrementalEvaluator(graph), straight = new StraightEvaluator(graph);
    sizes.length = 0;
    const got = ["a", "b"].map((name) => fast.entries(name, Array.from({ length: name === "a" ? 24 : 6 }, (_, i) => i), 1e-6));
    // a[i] meets one output entry; b[j] meets its 4 repeats.
    assert.deepEqual([...new Set(sizes)].sort(), [1, 4]);
    const want = ["a", "b"].map((name) => straight.entries(name, Array.from({ length: name === "a" ? 24 : 6 }, (_, i) => i), 1e-6));
    got.forEach((g, t) => g.plus.forEach((v, k) => assert.ok(Math.abs(v - want[t].plus[k]) <= 1e-12 * Math.abs(v))));
  });

  test("embedding: a table entry moves only the rows that read it (its own rule, no forward at all)", () => {
    const { customOps, sizes } = countedBuiltin("embedding");
    const graph = buildGraph({
      name: "emb-net", seed: 2,
      inputs: { ids: { shape: [2, 3], classes: 5 } },
      nodes: [{ id: "emb", op: "embedding", dim: 4 }, { id: "t", op: "tanh" }, { id: "loss", op: "sum" }],
    }, { customOps });
    const fast = new IncrementalEvaluator(graph), straight = new StraightEvaluator(graph);
    sizes.length = 0;
    const all = Array.from({ length: 20 }, (_, i) => i);
    const got = fast.entries("emb.table", all, 1e-6);
    assert.deepEqual(sizes, []);
    const want = straight.entries("emb.table", all, 1e-6);
    got.plus.forEach((v, k) => assert.ok(Math.abs(v - want.plus[k]) <= 1e-12 * Math.abs(v), `table[${k}]`));
  });
});

describe("facts the rest of the engine reads from the ops", () => {
  test("every shipped elementwise, broadcast or row-wise built-in declares it, and linear has its own rule", () => {
    const by = (kind: string) => builtinOpList.filter((op) => op.locality?.kind === kind).map((op) => op.name);
    assert.deepEqual(by("elementwise"), [
      "relu", "leaky_relu", "sigmoid", "tanh", "exp", "log", "softplus", "gelu", "silu", "elu", "sqrt", "abs", "pow", "scale", "clamp",
    ]);
    assert.deepEqual(by("broadcast"), ["add", "sub", "mul", "div", "maximum", "minimum", "where"]);
    assert.deepEqual(by("rowwise"), ["softmax", "log_softmax", "layer_norm", "rms_norm"]);
    assert.deepEqual(builtinOpList.filter((op) => op.incremental).map((op) => op.name), ["linear", "embedding"]);
  });

  test("the label (and id) ops in messages are the ops with labelInputs or idInputs", () => {
    assert.equal(labelOpsInWords, "cross_entropy, embedding, nll or softmax_cross_entropy");
    assert.throws(
      () => buildGraph({ inputs: { y: { shape: [4], classes: 3 } }, nodes: [{ id: "r", op: "relu" }] }),
      (e: Error) => e instanceof NetworkError && e.message.includes("(labels go to cross_entropy, embedding, nll or softmax_cross_entropy)"),
    );
  });

  test("diagnosis hints: softmax's own, and a hand-written softmax (named after it) gets them; other ops none", () => {
    const softmaxHint = builtinOps.get("softmax")!.diagnosisHints!["missing-off-diagonal"];
    assert.match(softmaxHint!, /−pⱼpₖ for j ≠ k/);
    assert.equal(diagnosisHintsOf(builtinOps.get("softmax")!), builtinOps.get("softmax")!.diagnosisHints);
    assert.equal(diagnosisHintsOf({ ...cube, name: "mySoftmax", builtin: false })?.["missing-off-diagonal"], softmaxHint);
    assert.equal(diagnosisHintsOf({ ...cube, name: "mySigmoid", builtin: false }), undefined);
    assert.equal(diagnosisHintsOf(builtinOps.get("sigmoid")!), undefined);
    const own = { "missing-off-diagonal": "its own words" };
    assert.equal(diagnosisHintsOf({ ...cube, name: "mySoftmax", builtin: false, diagnosisHints: own }), own);
  });
});

describe("no module outside src/engine/ops dispatches on an op's name", () => {
  const files = (dir: string): string[] =>
    readdirSync(dir).flatMap((f) => {
      const p = join(dir, f);
      if (statSync(p).isDirectory()) return p === join(root, "src", "engine", "ops") ? [] : files(p);
      return p.endsWith(".ts") ? [p] : [];
    });
  const names = new Set(builtinOpNames);
  test("no `op.name === \"<built-in>\"`, no name list of built-ins, no regex on an op name", () => {
    const found: string[] = [];
    for (const file of [...files(join(root, "src")), ...files(join(root, "webview"))]) {
      const text = readFileSync(file, "utf8");
      const where = (i: number) => `${relative(root, file)}:${text.slice(0, i).split("\n").length}`;
      for (const m of text.matchAll(/\.name\s*[!=]==?\s*["'`]([\w-]+)["'`]/g)) if (names.has(m[1])) found.push(`${where(m.index!)}: ${m[0]}`);
      // Two or more built-in names side by side in a list: ["relu", "tanh"…].
      for (const m of text.matchAll(/["'`]([\w-]+)["'`]\s*,\s*["'`]([\w-]+)["'`]/g)) if (names.has(m[1]) && names.has(m[2])) found.push(`${where(m.index!)}: ${m[0]}`);
      for (const m of text.matchAll(/\/([a-z_]+)\/[a-z]*\.test\(/g)) if (names.has(m[1])) found.push(`${where(m.index!)}: ${m[0]}`);
    }
    assert.deepEqual(found, []);
  });
});
