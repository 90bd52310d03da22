/**
 * IncrementalEvaluator against StraightEvaluator (a whole forward pass per
 * evaluation), entry by entry: the losses L(θ ± h·eᵢ) agree to rounding, on the
 * example networks and on small graphs that exercise each sparse rule (linear
 * weights, bias and inputs, elementwise unary and binary ops with broadcast and a
 * value used twice, row-wise softmax / layer_norm, and the dense fallback for
 * everything else, custom ops included). Evaluations never leak into each other.
 */
import { test, describe } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { buildGraph, type Graph } from "../../src/engine/graph.js";
import { StraightEvaluator, tensorByName } from "../../src/engine/evaluate.js";
import { IncrementalEvaluator } from "../../src/engine/incremental.js";
import { checkGraph } from "../../src/engine/check.js";
import { defineOp, type OpDef } from "../../src/engine/op.js";
import type { NetworkSpec } from "../../src/engine/network.js";
import { Rng } from "../../src/engine/random.js";

const root = join(import.meta.dirname, "..", "..");
const loadExample = (file: string): Graph => buildGraph(JSON.parse(readFileSync(join(root, file), "utf8")) as NetworkSpec, { file });

/** Every differentiable tensor of the graph by name (params, then non-label inputs). */
function targets(graph: Graph): string[] {
  const names: string[] = [];
  for (const node of graph.nodes) for (const p of Object.keys(node.params)) names.push(`${node.id}.${p}`);
  for (const inp of graph.inputs) if (inp.classes === undefined) names.push(inp.id);
  return names;
}

/** At most `limit` indices of a tensor of `size` entries: all, or a seeded sample. */
function someIndices(size: number, limit: number, seed: number): number[] {
  if (size <= limit) return Array.from({ length: size }, (_, i) => i);
  return new Rng(seed).sample(size, limit);
}

const close = (a: number, b: number, rel: number) => Math.abs(a - b) <= rel * Math.max(Math.abs(a), Math.abs(b), 1e-300) || a === b;

function compareWithStraight(graph: Graph, options: { limit?: number; h?: number } = {}): number {
  const h = options.h ?? 1e-6;
  const straight = new StraightEvaluator(graph);
  const fast = new IncrementalEvaluator(graph);
  let compared = 0;
  targets(graph).forEach((name, t) => {
    const size = tensorByName(graph, name).data.length;
    const indices = someIndices(size, options.limit ?? 400, 17 + t);
    const want = straight.entries(name, indices, h);
    const got = fast.entries(name, indices, h);
    indices.forEach((flat, k) => {
      for (const side of ["plus", "minus"] as const) {
        const a = got[side][k], b = want[side][k];
        assert.ok(close(a, b, 1e-12), `${graph.name}: L(${name}[${flat}] ${side === "plus" ? "+" : "−"} h): incremental ${a}, straight ${b}`);
      }
      // The central differences agree to what rounding of L allows (|ΔL| ≲ 1e-15·|L|, divided by 2h).
      const nGot = (got.plus[k] - got.minus[k]) / (2 * h), nWant = (want.plus[k] - want.minus[k]) / (2 * h);
      const slack = 1e-13 * Math.max(1, Math.abs(want.plus[k])) / h;
      assert.ok(Math.abs(nGot - nWant) <= slack + 1e-9 * Math.abs(nWant), `${graph.name}: dL/d${name}[${flat}]: incremental ${nGot}, straight ${nWant}`);
      compared++;
    });
    const v = new Float64Array(size);
    const rng = new Rng(99 + t);
    for (let i = 0; i < size; i++) v[i] = rng.normal();
    const dWant = straight.directional(name, v, h), dGot = fast.directional(name, v, h);
    assert.ok(close(dGot.plus, dWant.plus, 1e-12) && close(dGot.minus, dWant.minus, 1e-12), `${graph.name}: directional ${name}: ${dGot.plus}/${dGot.minus} vs ${dWant.plus}/${dWant.minus}`);
  });
  return compared;
}

function snapshot(graph: Graph): Float64Array[] {
  return targets(graph).map((n) => new Float64Array(tensorByName(graph, n).data));
}

describe("incremental evaluator: the example networks, entry by entry", () => {
  const files = [
    ...readdirSync(join(root, "examples")).filter((f) => f.endsWith(".gradnet.json")).map((f) => join("examples", f)),
    ...readdirSync(join(root, "examples", "bench")).filter((f) => f.endsWith(".gradnet.json")).map((f) => join("examples", "bench", f)),
  ];
  for (const file of files) {
    test(`${file}: L(θ ± h·eᵢ) as a whole forward pass gives it`, () => {
      const graph = loadExample(file);
      const before = snapshot(graph);
      const compared = compareWithStraight(graph, { limit: file.includes("mnist") ? 40 : 400 });
      assert.ok(compared > 0);
      // Nothing perturbed stays perturbed.
      assert.deepEqual(snapshot(graph), before);
    });
  }
});

const square: OpDef = defineOp({
  name: "square",
  forward: ({ inputs: [x] }) => ({ shape: [...x.shape], data: x.data.map((v) => v * v) }),
  backward: ({ inputs: [x], gradOutput: g }) => ({ inputs: [{ shape: [...x.shape], data: g.data.map((v, i) => 2 * v * x.data[i]) }] }),
});

/** A custom op that hands back its input object itself (its output aliases its input). */
const identity: OpDef = defineOp({
  name: "identity",
  forward: ({ inputs: [x] }) => x,
  backward: ({ gradOutput: g }) => ({ inputs: [g] }),
});

const graphs: Record<string, NetworkSpec> = {
  "every sparse rule": {
    name: "rules", seed: 5,
    inputs: { x: { shape: [3, 6] }, bias: { shape: [5] }, y: { shape: [3], classes: 5 } },
    nodes: [
      { id: "fc1", op: "linear", units: 5 },
      { id: "s", op: "sigmoid" },
      { id: "lr", op: "leaky_relu", slope: 0.1, inputs: ["fc1"] },
      { id: "sq", op: "mul", inputs: ["lr", "lr"] },
      { id: "shift", op: "add", inputs: ["sq", "bias"] },
      { id: "both", op: "sub", inputs: ["shift", "s"] },
      { id: "ln", op: "layer_norm" },
      { id: "sp", op: "softplus" },
      { id: "fc2", op: "linear", units: 5, bias: false },
      { id: "ls", op: "log_softmax" },
      { id: "loss", op: "nll", inputs: ["ls", "y"] },
    ],
  },
  "softmax over axis 0, exp, log, mean": {
    name: "axis0", seed: 2,
    inputs: { x: { shape: [4, 3] } },
    nodes: [
      { id: "fc", op: "linear", units: 3 },
      { id: "p", op: "softmax", axis: 0 },
      { id: "q", op: "softmax" },
      { id: "e", op: "exp", inputs: ["fc"] },
      { id: "m", op: "mul", inputs: ["p", "e"] },
      { id: "lg", op: "log", inputs: ["q"] },
      { id: "both", op: "add", inputs: ["m", "lg"] },
      { id: "loss", op: "mean" },
    ],
  },
  "dense fallback: matmul, transpose, concat, reshape, tanh, a non-scalar output, a node off the loss path": {
    name: "dense", seed: 4,
    inputs: { a: { shape: [3, 4] }, b: { shape: [4, 2] } },
    nodes: [
      { id: "ab", op: "matmul", inputs: ["a", "b"] },
      { id: "t", op: "transpose", inputs: ["ab"] },
      { id: "off", op: "relu", inputs: ["a"] },
      { id: "flat", op: "reshape", shape: [6], inputs: ["t"] },
      { id: "cat", op: "concat", axis: 0, inputs: ["flat", "flat"] },
      { id: "out", op: "tanh" },
    ],
    output: "out",
  },
  "relu that zeroes changes, residual skip, batch_norm": {
    name: "relu-skip", seed: 9,
    inputs: { x: { shape: [4, 5] }, t: { shape: [4, 5] } },
    nodes: [
      { id: "fc", op: "linear", units: 5 },
      { id: "r", op: "relu" },
      { id: "skip", op: "add", inputs: ["r", "x"] },
      { id: "bn", op: "batch_norm" },
      { id: "loss", op: "mse", inputs: ["bn", "t"] },
    ],
  },
  "issue 10's ops: embedding's table rule, where's three broadcast inputs, rms_norm rows, the new elementwise ops, attention and slice whole": {
    name: "transformer-ops", seed: 6,
    inputs: {
      ids: { shape: [2, 3], classes: 4 }, x: { shape: [2, 3, 5] }, mask: { shape: [5], values: [1, 0, 1, 1, 0] },
      fill: { shape: [5] }, y: { shape: [6], classes: 3 },
    },
    nodes: [
      { id: "emb", op: "embedding", dim: 5, inputs: ["ids"] },
      { id: "h", op: "add", inputs: ["emb", "x"] },
      { id: "rn", op: "rms_norm" },
      { id: "g", op: "gelu" },
      { id: "gt", op: "gelu", approximate: "tanh", inputs: ["rn"] },
      { id: "mx", op: "maximum", inputs: ["g", "gt"] },
      { id: "w", op: "where", inputs: ["mask", "mx", "fill"] },
      { id: "cl", op: "clamp", min: -0.1, max: 1.5 },
      { id: "sc", op: "scale", factor: 0.7 },
      { id: "el", op: "elu", alpha: 0.5 },
      { id: "sl", op: "slice", start: 1 },
      { id: "att", op: "attention", causal: true, inputs: ["sl", "sl", "sl"] },
      { id: "si", op: "silu" },
      { id: "flat", op: "reshape", shape: [6, 4] },
      { id: "fc", op: "linear", units: 3 },
      { id: "loss", op: "softmax_cross_entropy", inputs: ["fc", "y"] },
    ],
  },
  "custom ops (one aliasing its input) between linear layers": {
    name: "custom", seed: 3,
    inputs: { x: { shape: [2, 4] }, y: { shape: [2], classes: 3 } },
    nodes: [
      { id: "fc1", op: "linear", units: 4 },
      { id: "sq", op: square },
      { id: "id", op: identity },
      { id: "fc2", op: "linear", units: 3 },
      { id: "loss", op: "softmax_cross_entropy", inputs: ["fc2", "y"] },
    ],
  },
};

describe("incremental evaluator: each rule against a whole forward pass", () => {
  for (const [what, spec] of Object.entries(graphs)) {
    test(what, () => {
      const graph = buildGraph(spec);
      const before = snapshot(graph);
      assert.ok(compareWithStraight(graph) > 0);
      assert.deepEqual(snapshot(graph), before);
    });
  }

  test("a large step (relu changes sign, softmax saturates) still matches", () => {
    const graph = buildGraph(graphs["relu that zeroes changes, residual skip, batch_norm"]);
    compareWithStraight(graph, { h: 0.5 });
    compareWithStraight(buildGraph(graphs["every sparse rule"]), { h: 0.25 });
  });
});

describe("incremental evaluator: every evaluation stands alone", () => {
  test("the same entries in another order, one at a time, give bit-identical losses", () => {
    const graph = buildGraph(graphs["every sparse rule"]);
    const fast = new IncrementalEvaluator(graph);
    for (const name of targets(graph)) {
      const size = tensorByName(graph, name).data.length;
      const indices = Array.from({ length: size }, (_, i) => i);
      const all = fast.entries(name, indices, 1e-4);
      const reversed = [...indices].reverse();
      const back = fast.entries(name, reversed, 1e-4);
      indices.forEach((i, k) => {
        assert.equal(back.plus[size - 1 - k], all.plus[k], `${name}[${i}] +h`);
        assert.equal(back.minus[size - 1 - k], all.minus[k], `${name}[${i}] −h`);
        const one = fast.entries(name, [i], 1e-4);
        assert.equal(one.plus[0], all.plus[k]);
        assert.equal(one.minus[0], all.minus[k]);
      });
    }
  });

  test("h = 0 gives the unperturbed loss exactly", () => {
    const graph = loadExample("examples/bench/residual.gradnet.json");
    const fast = new IncrementalEvaluator(graph);
    for (const name of targets(graph)) {
      const { plus, minus } = fast.entries(name, [0, 1, 2], 0);
      for (const v of [...plus, ...minus]) assert.equal(v, fast.loss, name);
    }
  });

  test("an error in a custom op's forward reaches the caller and leaves nothing perturbed", () => {
    let calls = 0;
    const flaky = defineOp({
      name: "flaky",
      forward: ({ inputs: [x] }) => {
        if (++calls > 3) throw new Error("flaky forward failed");
        return { shape: [...x.shape], data: new Float64Array(x.data) };
      },
      backward: ({ gradOutput: g }) => ({ inputs: [g] }),
    });
    const graph = buildGraph({ inputs: { x: { shape: [2, 3] } }, nodes: [{ id: "fc", op: "linear", units: 2 }, { id: "f", op: flaky }, { id: "loss", op: "sum" }] });
    const before = snapshot(graph);
    const fast = new IncrementalEvaluator(graph);
    assert.throws(() => fast.entries("fc.W", [0, 1, 2, 3], 1e-6), /flaky forward failed/);
    assert.deepEqual(snapshot(graph), before);
  });
});

describe("checkGraph with the incremental evaluator", () => {
  test("the same report as with whole forward passes (statuses, worst entries within rounding)", () => {
    for (const file of ["examples/residual.gradnet.json", "examples/cnn.gradnet.json", "examples/bench/seed-mlp.gradnet.json"]) {
      const a = checkGraph(loadExample(file), { mode: "exhaustive", local: false, evaluator: (g) => new StraightEvaluator(g) });
      const b = checkGraph(loadExample(file), { mode: "exhaustive", local: false, evaluator: (g) => new IncrementalEvaluator(g) });
      assert.equal(b.ok, a.ok, file);
      assert.deepEqual(b.gradients.map((g) => [g.name, g.status, g.checked]), a.gradients.map((g) => [g.name, g.status, g.checked]), file);
      b.gradients.forEach((g, i) => assert.ok(Math.abs(g.maxRelError - a.gradients[i].maxRelError) <= 1e-6 + 1e-3 * a.gradients[i].maxRelError, `${file} ${g.name}: ${g.maxRelError} vs ${a.gradients[i].maxRelError}`));
    }
  });

  test("it is checkGraph's default: the numeric gradients are those of whole forward passes", () => {
    const file = "examples/bench/residual.gradnet.json";
    const a = checkGraph(loadExample(file), { mode: "exhaustive", local: false, evaluator: (g) => new StraightEvaluator(g) });
    const b = checkGraph(loadExample(file), { mode: "exhaustive", local: false });
    assert.deepEqual(b.gradients.map((g) => [g.name, g.status, g.checked]), a.gradients.map((g) => [g.name, g.status, g.checked]));
    let compared = 0;
    b.gradients.forEach((g, i) =>
      g.worst.forEach((w) => {
        // The worst entries of the two runs, where they name the same entry.
        const s = a.gradients[i].worst.find((x) => x.index.join() === w.index.join());
        if (!s) return;
        compared++;
        assert.ok(Math.abs(w.numeric - s.numeric) <= 1e-7 * Math.max(1, Math.abs(s.numeric)), `${g.name}[${w.index}]: ${w.numeric} vs ${s.numeric}`);
      }),
    );
    assert.ok(compared >= b.gradients.length, `compared ${compared} worst entries`);
  });
});
