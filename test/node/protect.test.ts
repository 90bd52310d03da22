// Defensive runs of user code (issue 9): a user op gets copies of every tensor it is handed,
// so an in-place write never corrupts the forward pass's cached values and is reported at the
// op that made it (`mutates-input`, naming the tensor and forward or backward); a forward that
// gives different outputs on two identical calls is `non-deterministic` (forward). Nodes
// downstream pass on their own merits, never as kinks. Built-in ops are called directly.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { checkGraph } from "../../src/engine/check.js";
import { buildGraph, callUserOp, forward, watchUserOps } from "../../src/engine/graph.js";
import { defineOp } from "../../src/engine/op.js";
import { builtinOps } from "../../src/engine/ops/index.js";
import { map, tensor, zip } from "../../src/engine/tensor.js";
import type { NetworkSpec } from "../../src/engine/network.js";

const exponential = defineOp({
  name: "exponential",
  forward: ({ inputs: [x] }) => map(x, Math.exp),
  backward: ({ output: y, gradOutput: g }) => ({ inputs: [zip(g, y, (gi, yi) => gi * yi)] }),
});

/** y = a·b; the backward writes dL/da into a and dL/db into b (the Liger swiglu pattern). */
const inPlaceMul = defineOp({
  name: "inPlaceMul",
  forward: ({ inputs: [a, b] }) => zip(a, b, (x, y) => x * y),
  backward: ({ inputs: [a, b], gradOutput: g }) => {
    for (let i = 0; i < a.data.length; i++) {
      const da = g.data[i] * b.data[i], db = g.data[i] * a.data[i];
      a.data[i] = da;
      b.data[i] = db;
    }
    return { inputs: [a, b] };
  },
});

const MODES = ["exhaustive", "sampled", "fast"] as const;

function spec(op: typeof exponential): NetworkSpec {
  return {
    seed: 11, inputs: { x: { shape: [3, 4] }, t: { shape: [3, 4] } },
    nodes: [
      { id: "fa", op: "linear", units: 4, inputs: ["x"] },
      { id: "e", op: exponential },
      { id: "fb", op: "linear", units: 4, inputs: ["x"] },
      { id: "m", op, inputs: ["e", "fb"] },
      { id: "loss", op: "mse", inputs: ["m", "t"] },
    ],
  };
}

describe("mutates-input: a backward that writes into what it was handed", () => {
  for (const mode of MODES) {
    test(`the in-place backward is reported at its op; the exponential whose output it overwrote passes (${mode})`, () => {
      const r = checkGraph(buildGraph(spec(inPlaceMul)), { mode, samples: 4 });
      const m = r.nodes.find((n) => n.id === "m")!;
      assert.equal(m.status, "fail");
      assert.equal(m.diagnosis?.kind, "mutates-input", m.diagnosis?.detail);
      assert.match(m.diagnosis!.detail, /^the backward wrote into its input 'e' \(entry \[0, 0\] changed from -?[\d.e-]+ to -?[\d.e-]+\)/);
      for (const n of r.nodes.filter((x) => x.id !== "m")) assert.equal(n.status, "pass", `${n.id}: ${n.status} ${n.diagnosis?.detail ?? ""}`);
      assert.ok(!r.gradients.some((g) => g.status === "kink"), "no kink downstream or upstream of the write");
    });
  }

  test("the cached forward values are not corrupted: the graph's values after a check equal a fresh forward pass", () => {
    const graph = buildGraph(spec(inPlaceMul));
    const before = forward(graph).values;
    checkGraph(graph);
    const after = forward(graph).values;
    for (const [id, t] of before) assert.deepEqual(Array.from(after.get(id)!.data), Array.from(t.data), id);
    assert.deepEqual(Array.from(graph.inputs[0].value.data), Array.from(buildGraph(spec(inPlaceMul)).inputs[0].value.data));
  });

  test("a forward that writes into its input, and a backward that writes into gradOutput or its own output, are each named", () => {
    const cases: [string, ReturnType<typeof defineOp>, RegExp][] = [
      ["forward into input", defineOp({
        name: "scaleInPlace",
        forward: ({ inputs: [x] }) => { for (let i = 0; i < x.data.length; i++) x.data[i] *= 2; return x; },
        backward: ({ gradOutput: g }) => ({ inputs: [map(g, (v) => 2 * v)] }),
      }), /^the forward wrote into its input 'fc'/],
      ["backward into gradOutput", defineOp({
        name: "doubleG",
        forward: ({ inputs: [x] }) => map(x, (v) => 2 * v),
        backward: ({ gradOutput: g }) => { for (let i = 0; i < g.data.length; i++) g.data[i] *= 2; return { inputs: [g] }; },
      }), /^the backward wrote into the upstream gradient gradOutput/],
      ["backward into its output", defineOp({
        name: "expInPlace",
        forward: ({ inputs: [x] }) => map(x, Math.exp),
        backward: ({ output: y, gradOutput: g }) => { for (let i = 0; i < y.data.length; i++) y.data[i] *= g.data[i]; return { inputs: [y] }; },
      }), /^the backward wrote into its own output/],
    ];
    for (const [label, op, says] of cases) {
      const r = checkGraph(buildGraph({ seed: 2, inputs: { x: { shape: [2, 3] } }, nodes: [{ id: "fc", op: "linear", units: 3 }, { id: "u", op }, { id: "s", op: "tanh" }, { id: "loss", op: "mean" }] }));
      const u = r.nodes.find((n) => n.id === "u")!;
      assert.equal(u.diagnosis?.kind, "mutates-input", `${label}: ${u.diagnosis?.detail}`);
      assert.match(u.diagnosis!.detail, says, label);
      for (const n of r.nodes.filter((x) => x.id !== "u")) assert.equal(n.status, "pass", `${label}: ${n.id} ${n.diagnosis?.detail ?? ""}`);
    }
  });

  test("built-in ops get the tensors themselves (no copies), user ops get copies", () => {
    const x = tensor([2], [1, 2]);
    let seen: unknown;
    const relu = builtinOps.get("relu")!;
    callUserOp({ id: "r", op: relu }, "forward", { inputs: [x], params: {}, attrs: {} }, (ctx) => { seen = ctx.inputs[0]; return relu.forward(ctx); });
    assert.equal(seen, x, "a built-in op's input is the tensor itself");
    const watch = watchUserOps();
    try {
      callUserOp({ id: "u", op: exponential }, "forward", { inputs: [x], params: {}, attrs: {} }, (ctx) => { seen = ctx.inputs[0]; return exponential.forward(ctx); });
    } finally {
      watch.stop();
    }
    assert.notEqual(seen, x, "a user op's input is a copy");
    assert.equal(watch.mutations.size, 0);
  });
});

describe("non-deterministic: a forward that draws fresh randomness on each call", () => {
  let mask = new Float64Array(0);
  const dropout = defineOp({
    name: "dropout",
    forward: ({ inputs: [x] }) => {
      mask = Float64Array.from(x.data, () => (Math.random() < 0.5 ? 0 : 2));
      return tensor(x.shape, x.data.map((v, i) => v * mask[i]));
    },
    backward: ({ gradOutput: g }) => ({ inputs: [tensor(g.shape, g.data.map((v, i) => v * mask[i]))] }),
  });
  for (const mode of MODES) {
    test(`reported at the dropout node as non-deterministic (forward), never as a kink; the nodes after it pass (${mode})`, () => {
      const r = checkGraph(buildGraph({ seed: 4, inputs: { x: { shape: [4, 3] }, t: { shape: [4, 2] } }, nodes: [
        { id: "fc1", op: "linear", units: 4 }, { id: "drop", op: dropout }, { id: "fc2", op: "linear", units: 2 }, { id: "loss", op: "mse", inputs: ["fc2", "t"] },
      ] }), { mode, samples: 4 });
      const drop = r.nodes.find((n) => n.id === "drop")!;
      assert.equal(drop.status, "fail");
      assert.equal(drop.diagnosis?.kind, "non-deterministic");
      assert.match(drop.diagnosis!.detail, /^the forward gave different outputs on two calls with the same inputs/);
      for (const n of r.nodes.filter((x) => x.id !== "drop")) assert.equal(n.status, "pass", n.id);
      assert.equal(r.ok, false);
    });
  }

  test("a backward with hidden state still says backward", () => {
    let calls = 0;
    const drifting = defineOp({
      name: "drifting",
      forward: ({ inputs: [x] }) => map(x, (v) => 3 * v),
      backward: ({ gradOutput: g }) => ({ inputs: [map(g, (v) => (3 + calls++ / 1000) * v)] }),
    });
    const r = checkGraph(buildGraph({ inputs: { x: { shape: [2, 2] } }, nodes: [{ id: "d", op: drifting }, { id: "loss", op: "sum" }] }));
    const d = r.nodes.find((n) => n.id === "d")!.diagnosis!;
    assert.equal(d.kind, "non-deterministic");
    assert.match(d.detail, /^the backward gave different results/);
  });
});
