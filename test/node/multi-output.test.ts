// The network language of 0.2 in the engine: multi-output ops ("cell:h", plain "cell" = the
// first output), saved values from forward to backward, the seeded rng a forward gets, and
// each of their bad inputs as an error that names what is wrong.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { checkGraph, checkOpLocal } from "../../src/engine/check.js";
import { StraightEvaluator } from "../../src/engine/evaluate.js";
import { backward, buildGraph, describeGraph, describeNetwork, forward, UserOpError } from "../../src/engine/graph.js";
import { IncrementalEvaluator } from "../../src/engine/incremental.js";
import { NetworkError, type NetworkSpec } from "../../src/engine/network.js";
import { defineOp, type BackwardContext, type ForwardOutput, type OpDef } from "../../src/engine/op.js";
import { tensor, type Tensor } from "../../src/engine/tensor.js";
import { toMermaid } from "../../src/shared/mermaid.js";

const mapT = (t: Tensor, f: (v: number, i: number) => number): Tensor => ({ shape: [...t.shape], data: t.data.map(f) });

/** h = tanh(x)·w (w a parameter), c = x²: two outputs of one input, each with its own Jacobian. */
function pairOp(opts: { flipH?: boolean; wrapped?: boolean; seen?: BackwardContext[] } = {}): OpDef {
  return defineOp({
    name: "pair",
    outputs: ["h", "c"],
    params: { w: { shape: ({ inputShapes: [x] }) => [x[x.length - 1]], init: "normal" } },
    forward: ({ inputs: [x], params: { w } }): ForwardOutput => {
      const n = w.data.length;
      const h = mapT(x, (v, i) => Math.tanh(v) * w.data[i % n]);
      const c = mapT(x, (v) => v * v);
      return opts.wrapped ? { outputs: { h, c }, saved: { t: mapT(x, Math.tanh), x: new Float64Array(x.data) } } : { h, c };
    },
    backward: (ctx) => {
      opts.seen?.push(ctx);
      const { inputs: [x], params: { w }, gradOutputs: { h: gh, c: gc }, saved } = ctx;
      const n = w.data.length;
      // With saved values, the tanh comes from the forward at this very point (checked below).
      if (opts.wrapped && !saved.x.every((v: number, i: number) => v === x.data[i])) throw new Error("backward got the saved values of another point");
      const t = opts.wrapped ? (saved.t as Tensor) : mapT(x, Math.tanh);
      const sign = opts.flipH ? -1 : 1;
      const dx = mapT(x, (v, i) => sign * gh.data[i] * w.data[i % n] * (1 - t.data[i] ** 2) + gc.data[i] * 2 * v);
      const dw = tensor(w.shape);
      x.data.forEach((_, i) => (dw.data[i % n] += sign * gh.data[i] * t.data[i]));
      return { inputs: [dx], params: { w: dw } };
    },
  });
}

const network = (op: OpDef, extra: Partial<NetworkSpec> = {}): NetworkSpec => ({
  seed: 5,
  inputs: { x: { shape: [3, 4] } },
  nodes: [
    { id: "cell", op },
    { id: "both", op: "mul", inputs: ["cell:h", "cell:c"] },
    { id: "first", op: "add", inputs: ["both", "cell"] },
    { id: "loss", op: "sum" },
  ],
  ...extra,
});

function networkError(f: () => unknown): NetworkError {
  try {
    f();
  } catch (e) {
    assert.ok(e instanceof NetworkError, `a NetworkError, got ${e}`);
    return e;
  }
  assert.fail("no error");
}

function userOpError(f: () => unknown): UserOpError {
  try {
    f();
  } catch (e) {
    assert.ok(e instanceof UserOpError, `a UserOpError, got ${e}`);
    return e;
  }
  assert.fail("no error");
}

describe("multi-output ops", () => {
  test("one value per output: \"cell:h\", \"cell:c\", and plain \"cell\" is the first", () => {
    const g = buildGraph(network(pairOp()));
    const cell = g.nodes.find((n) => n.id === "cell")!;
    assert.deepEqual(cell.outputValues, ["cell:h", "cell:c"]);
    assert.deepEqual(cell.outputShapes, [[3, 4], [3, 4]]);
    assert.deepEqual(g.nodes.find((n) => n.id === "both")!.inputs, ["cell:h", "cell:c"]);
    assert.deepEqual(g.nodes.find((n) => n.id === "first")!.inputs, ["both", "cell:h"]);
    const { values } = forward(g);
    assert.deepEqual(Array.from(values.get("cell:c")!.data), Array.from(g.inputs[0].value.data.map((v) => v * v)));
  });

  test("the check: each output's Jacobian against each input and parameter, named by output", () => {
    const report = checkGraph(buildGraph(network(pairOp())), { mode: "exhaustive" });
    assert.equal(report.ok, true, JSON.stringify(report.nodes.map((n) => [n.id, n.status, n.diagnosis])));
    const cell = report.nodes.find((n) => n.id === "cell")!;
    assert.deepEqual(cell.outputs, [{ name: "h", shape: [3, 4] }, { name: "c", shape: [3, 4] }]);
    assert.deepEqual(cell.jacobians.map((j) => [j.output, j.wrt, j.rows, j.cols]), [["h", "x", 12, 12], ["h", "w", 12, 4], ["c", "x", 12, 12], ["c", "w", 12, 4]]);
    // ∂c/∂w is exactly zero: c does not read w.
    assert.ok(cell.jacobians.find((j) => j.output === "c" && j.wrt === "w")!.analytic.every((v) => v === 0));
    assert.deepEqual(report.gradients.map((g) => [g.name, g.status]), [["cell.w", "pass"], ["x", "pass"]]);
  });

  test("fast and sampled modes check each output too", () => {
    for (const mode of ["fast", "sampled"] as const) {
      const report = checkGraph(buildGraph(network(pairOp())), { mode, samples: 3 });
      assert.equal(report.ok, true, mode);
      assert.deepEqual(report.nodes[0].jacobians.map((j) => j.output), ["h", "h", "c", "c"], mode);
    }
  });

  test("a wrong output is named in the diagnosis: ∂c/∂x is right, ∂h/∂x has its sign flipped", () => {
    const report = checkGraph(buildGraph(network(pairOp({ flipH: true }))), { mode: "exhaustive" });
    const cell = report.nodes.find((n) => n.id === "cell")!;
    assert.equal(cell.status, "fail");
    assert.deepEqual(cell.jacobians.map((j) => [j.output, j.wrt, j.status]), [["h", "x", "fail"], ["h", "w", "fail"], ["c", "x", "pass"], ["c", "w", "pass"]]);
    assert.equal(cell.diagnosis?.kind, "sign");
    assert.match(cell.diagnosis!.detail, /^∂c\/∂x and ∂c\/∂w are right, ∂h\/∂x has its sign flipped and ∂h\/∂w has its sign flipped — /);
    assert.match(cell.jacobians[0].diagnosis!.detail, /∂h\/∂x/);
  });

  test("{ outputs, saved }: backward gets what the forward at the same point saved, never a perturbed one's", () => {
    const report = checkGraph(buildGraph(network(pairOp({ wrapped: true }))), { mode: "exhaustive" });
    assert.equal(report.ok, true, JSON.stringify(report.nodes[0].diagnosis ?? report.nodes[0].message));
    const local = checkOpLocal(pairOp({ wrapped: true }), { inputs: [tensor([2, 2], [0.1, -0.2, 0.3, 0.4])], params: { w: tensor([2], [1, 2]) } }, { mode: "exhaustive" });
    assert.deepEqual(local.map((j) => [j.output, j.wrt, j.status]), [["h", "input1", "pass"], ["h", "w", "pass"], ["c", "input1", "pass"], ["c", "w", "pass"]]);
  });

  test("an output nothing uses gets a zero gradient tensor in backward", () => {
    const seen: BackwardContext[] = [];
    const spec: NetworkSpec = { inputs: { x: { shape: [2, 3] } }, nodes: [{ id: "cell", op: pairOp({ seen }) }, { id: "loss", op: "sum", inputs: ["cell:c"] }] };
    const g = buildGraph(spec);
    const { values, saved } = forward(g);
    const grads = backward(g, values, saved);
    assert.equal(seen.length, 1);
    assert.deepEqual(seen[0].gradOutputs.h.shape, [2, 3]);
    assert.ok(seen[0].gradOutputs.h.data.every((v) => v === 0), "h unused: ∂L/∂h = 0");
    assert.ok(seen[0].gradOutputs.c.data.every((v) => v === 1), "∂L/∂c = 1 through the sum");
    assert.deepEqual(Object.keys(seen[0].outputs), ["h", "c"]);
    assert.equal(seen[0].output, seen[0].outputs.h);
    assert.ok(grads.values.get("x"));
  });

  test("\"output\" may name one output; a non-scalar output is projected", () => {
    const g = buildGraph({ inputs: { x: { shape: [2, 2] } }, nodes: [{ id: "cell", op: pairOp() }], output: "cell:c" });
    assert.equal(g.output, "cell:c");
    assert.ok(g.projection);
    assert.equal(checkGraph(g).ok, true);
    assert.equal(buildGraph({ inputs: { x: { shape: [2, 2] } }, nodes: [{ id: "cell", op: pairOp() }] }).output, "cell:h");
  });

  test("the graph: one labelled edge per output used, each with its shape; the view lists the outputs", () => {
    const view = describeNetwork(network(pairOp()));
    assert.deepEqual(view.nodes[0].outputs, [{ name: "h", shape: [3, 4] }, { name: "c", shape: [3, 4] }]);
    assert.deepEqual(describeGraph(buildGraph(network(pairOp()))).nodes[0].outputs, view.nodes[0].outputs);
    const text = toMermaid(view);
    assert.match(text, /n1\["cell<br>pair → h \[3, 4\], c \[3, 4\]"\]/);
    assert.match(text, /n1 -->\|"h \[3, 4\]"\| n2/);
    assert.match(text, /n1 -->\|"c \[3, 4\]"\| n2/);
    assert.match(text, /n1 -->\|"h \[3, 4\]"\| n3/);
  });

  test("the incremental evaluator recomputes a multi-output node whole: the same losses as whole forward passes", () => {
    const g = buildGraph(network(pairOp({ wrapped: true })));
    const straight = new StraightEvaluator(g), incremental = new IncrementalEvaluator(g);
    for (const name of ["x", "cell.w"]) {
      const size = name === "x" ? 12 : 4;
      const indices = Array.from({ length: size }, (_, i) => i);
      const a = straight.entries(name, indices, 1e-6), b = incremental.entries(name, indices, 1e-6);
      assert.deepEqual(Array.from(b.plus), Array.from(a.plus), name);
      assert.deepEqual(Array.from(b.minus), Array.from(a.minus), name);
      const v = new Float64Array(size).map((_, i) => Math.sin(i + 1));
      assert.deepEqual(incremental.directional(name, v, 1e-6), straight.directional(name, v, 1e-6), name);
    }
  });
});

describe("saved values, one output", () => {
  const scaled = defineOp({
    name: "scaled",
    forward: ({ inputs: [x] }) => {
      const s = 1 + x.data.reduce((a, v) => a + v * v, 0);
      return { output: mapT(x, (v) => v / s), saved: s };
    },
    // y = x/s, s = 1 + Σx²: ∂yᵢ/∂xⱼ = δᵢⱼ/s − 2xᵢxⱼ/s²
    backward: ({ inputs: [x], gradOutput: g, saved: s }) => {
      const gx = x.data.reduce((a, v, i) => a + v * g.data[i], 0);
      return { inputs: [mapT(x, (v, i) => g.data[i] / s - (2 * v * gx) / (s * s))] };
    },
  });

  test("{ output, saved }: saved may be a number; backward gets it", () => {
    const report = checkGraph(buildGraph({ inputs: { x: { shape: [4] } }, nodes: [{ id: "s", op: scaled }, { id: "l", op: "sum" }] }), { mode: "exhaustive" });
    assert.equal(report.ok, true, JSON.stringify(report.nodes[0].diagnosis));
  });

  test("backward without the forward's saved values runs each forward again for them: the same gradients", () => {
    const g = buildGraph({ inputs: { x: { shape: [4] } }, nodes: [{ id: "s", op: scaled }, { id: "d", op: "dropout", p: 0.5 }, { id: "l", op: "sum" }] });
    const { values, saved } = forward(g);
    const withSaved = backward(g, values, saved), without = backward(g, values);
    assert.deepEqual(Array.from(without.values.get("x")!.data), Array.from(withSaved.values.get("x")!.data));
    assert.ok(withSaved.values.get("x")!.data.some((v) => v !== 0));
  });

  test("{ output } with a non-tensor output is an error naming the op", () => {
    const bad = defineOp({ name: "bad", forward: () => ({ output: [1, 2] }) as never, backward: ({ gradOutput: g }) => ({ inputs: [g] }) });
    assert.match(userOpError(() => buildGraph({ inputs: { x: { shape: [2] } }, nodes: [{ id: "b", op: bad }] })).message, /^b \(bad\): forward returned \{ output, saved \} whose output is an array/);
  });
});

describe("rng in forward", () => {
  /** Inverted dropout written by a user with the forward's rng; the mask saved for backward. */
  const myDropout = defineOp({
    name: "myDropout",
    outputShape: ({ inputShapes: [x] }) => x,
    forward: ({ inputs: [x], rng }) => {
      const mask = mapT(x, () => rng.bernoulli(0.5) * 2);
      return { output: mapT(x, (v, i) => v * mask.data[i]), saved: mask };
    },
    backward: ({ gradOutput: g, saved: mask }) => ({ inputs: [mapT(g, (v, i) => v * mask.data[i])] }),
  });
  const spec = (seed: number): NetworkSpec => ({ seed, inputs: { x: { shape: [4, 6] } }, nodes: [{ id: "fc", op: "linear", units: 6 }, { id: "drop", op: myDropout }, { id: "loss", op: "sum" }] });
  const maskOf = (seed: number) => Array.from(forward(buildGraph(spec(seed))).values.get("drop")!.data).map((v) => v !== 0);

  test("every forward call of the node replays the same stream: the check passes, exhaustive and fast", () => {
    for (const mode of ["exhaustive", "fast"] as const) {
      const report = checkGraph(buildGraph(spec(1)), { mode });
      assert.equal(report.ok, true, `${mode}: ${JSON.stringify(report.nodes.map((n) => n.diagnosis))}`);
    }
    assert.deepEqual(maskOf(1), maskOf(1));
    const kept = maskOf(1).filter(Boolean).length;
    assert.ok(kept > 4 && kept < 20, `about half kept: ${kept} of 24`);
  });

  test("seeded from the network's seed and the node's id: another seed (--seed) draws another mask", () => {
    assert.notDeepEqual(maskOf(1), maskOf(2));
    assert.deepEqual(Array.from(forward(buildGraph(spec(1), { seed: 2 })).values.get("drop")!.data).map((v) => v !== 0), maskOf(2));
    const renamed = { ...spec(1), nodes: spec(1).nodes.map((n) => (n.id === "drop" ? { ...n, id: "drop2" } : n)) };
    assert.notDeepEqual(Array.from(forward(buildGraph(renamed)).values.get("drop2")!.data).map((v) => v !== 0), maskOf(1));
  });

  test("uniform, normal and bernoulli, destructured or not", () => {
    const draws: number[][] = [];
    const op = defineOp({
      name: "draws",
      forward: ({ inputs: [x], rng: { uniform, normal, bernoulli } }) => {
        draws.push([uniform(), normal(), bernoulli(1), bernoulli(0)]);
        return x;
      },
      backward: ({ gradOutput: g }) => ({ inputs: [g] }),
    });
    checkGraph(buildGraph({ inputs: { x: { shape: [2] } }, nodes: [{ id: "d", op }, { id: "l", op: "sum" }] }));
    assert.ok(draws.length > 3);
    for (const d of draws) assert.deepEqual(d, draws[0]);
    assert.ok(draws[0][0] >= 0 && draws[0][0] < 1);
    assert.deepEqual(draws[0].slice(2), [1, 0]);
  });

  test("rng kept and called in backward throws, naming the node, the op and what to do instead", () => {
    let kept: { uniform(): number } | undefined;
    const op = defineOp({
      name: "keeper",
      forward: ({ inputs: [x], rng }) => ((kept = rng), x),
      backward: ({ gradOutput: g }) => ({ inputs: [mapT(g, (v) => v * (kept!.uniform() < 2 ? 1 : 0))] }),
    });
    assert.throws(() => checkGraph(buildGraph({ inputs: { x: { shape: [2] } }, nodes: [{ id: "k", op }, { id: "l", op: "sum" }] })),
      /^Error: k \(keeper\): rng\.uniform\(\) called outside forward — the rng a forward receives works only while that forward runs .*keep what backward needs, such as a mask, in "saved"$/);
    assert.throws(() => kept!.uniform(), /called outside forward/);
  });

  test("bernoulli(p) needs a probability", () => {
    const op = defineOp({ name: "badP", forward: ({ inputs: [x], rng }) => mapT(x, () => rng.bernoulli(1.5)), backward: ({ gradOutput: g }) => ({ inputs: [g] }) });
    assert.throws(() => buildGraph({ inputs: { x: { shape: [2] } }, nodes: [{ id: "b", op }] }), /b \(badP\): rng\.bernoulli\(p\) needs a probability 0 ≤ p ≤ 1, got 1\.5/);
  });
});

describe("bad input: each a located error naming what is wrong", () => {
  test("\"cell:z\": no such output — the outputs are listed (in inputs and in \"output\")", () => {
    const spec = network(pairOp());
    spec.nodes[1] = { ...spec.nodes[1], inputs: ["cell:h", "cell:z"] };
    const e = networkError(() => buildGraph(spec));
    assert.deepEqual(e.path, ["nodes", 1, "inputs", 1]);
    assert.equal(e.message, "'cell' (pair) has no output 'z' (its outputs: h, c)");
    const o = networkError(() => buildGraph({ ...network(pairOp()), output: "cell:hh" }));
    assert.deepEqual(o.path, ["output"]);
    assert.match(o.message, /'cell' \(pair\) has no output 'hh'; did you mean 'h'\? \(its outputs: h, c\)/);
  });

  test("a single-output op referenced as \"fc:h\"; an input as \"x:h\"; a node that is not there", () => {
    const spec: NetworkSpec = { inputs: { x: { shape: [2, 3] } }, nodes: [{ id: "fc", op: "linear", units: 2 }, { id: "r", op: "relu", inputs: ["fc:h"] }] };
    const e = networkError(() => buildGraph(spec));
    assert.deepEqual(e.path, ["nodes", 1, "inputs", 0]);
    assert.equal(e.message, "'fc' (linear) has a single output: write 'fc', not 'fc:h'");
    assert.equal(networkError(() => buildGraph({ ...spec, nodes: [spec.nodes[0], { ...spec.nodes[1], inputs: ["x:h"] }] })).message, "'x' is an input: it has no outputs to pick (write 'x')");
    assert.match(networkError(() => buildGraph({ ...spec, nodes: [spec.nodes[0], { ...spec.nodes[1], inputs: ["gc:h"] }] })).message, /^unknown input 'gc:h'/);
  });

  test("ids may not contain ':' (it reads an output)", () => {
    assert.deepEqual(networkError(() => buildGraph({ inputs: { x: { shape: [2] } }, nodes: [{ id: "a:b", op: "relu" }] })).path, ["nodes", 0, "id"]);
    const e = networkError(() => buildGraph({ inputs: { "x:1": { shape: [2] } }, nodes: [{ id: "a", op: "relu" }] }));
    assert.deepEqual([e.path, e.target], [["inputs", "x:1"], "key"]);
  });

  test("a forward returning the wrong set of outputs: missing and extra names, a lone tensor, a non-tensor", () => {
    const returning = (f: (x: Tensor) => unknown) => defineOp({ name: "lstmish", outputs: ["h", "c"], forward: ({ inputs: [x] }) => f(x) as never, backward: ({ inputs: [x] }) => ({ inputs: [x] }) });
    const build = (op: OpDef) => () => buildGraph({ inputs: { x: { shape: [2] } }, nodes: [{ id: "cell", op }] });
    assert.equal(userOpError(build(returning((x) => ({ h: x })))).message, "cell (lstmish): forward returned the outputs { h }, but the op declares 'h', 'c': missing 'c'");
    assert.equal(userOpError(build(returning((x) => ({ h: x, c: x, z: x })))).message, "cell (lstmish): forward returned the outputs { h, c, z }, but the op declares 'h', 'c': extra 'z'");
    assert.match(userOpError(build(returning((x) => ({ h: x, c: x, saved: 1 })))).message, /extra 'saved' \(to save values for backward, return \{ outputs: \{ h, c \}, saved \}\)/);
    assert.match(userOpError(build(returning((x) => x))).message, /forward returned one tensor, but the op declares the outputs 'h', 'c': return \{ h, c \}/);
    assert.equal(userOpError(build(returning((x) => ({ outputs: { h: x, c: [1] } })))).message, "cell (lstmish): forward returned an array for output 'c'; expected a tensor { shape: number[], data: Float64Array } of matching size");
    assert.match(userOpError(build(returning((x) => ({ outputs: { h: x, c: x }, saved: 1, extra: 2 })))).message, /extra key 'extra'/);
  });

  test("a single-output op returning several tensors is told to declare its outputs", () => {
    const op = defineOp({ name: "two", forward: ({ inputs: [x] }) => ({ a: x, b: x }) as never, backward: ({ gradOutput: g }) => ({ inputs: [g] }) });
    assert.match(userOpError(() => buildGraph({ inputs: { x: { shape: [2] } }, nodes: [{ id: "t", op }] })).message, /an op with several outputs declares them, outputs: \["a", "b"\]/);
  });

  test("a backward whose gradients are not tensors, or not an array of them", () => {
    const withBackward = (backward: OpDef["backward"]) => defineOp({ name: "cellish", outputs: ["h", "c"], forward: ({ inputs: [x] }) => ({ h: x, c: x }), backward });
    const check = (op: OpDef) => () => checkGraph(buildGraph({ inputs: { x: { shape: [2] } }, nodes: [{ id: "cell", op }, { id: "l", op: "add", inputs: ["cell:h", "cell:c"] }, { id: "s", op: "sum" }] }));
    assert.throws(check(withBackward(({ gradOutputs }) => ({ inputs: [gradOutputs.z] }))), /^Error: cell \(cellish\): gradOutputs has no output 'z' \(the op's outputs: h, c\)$/);
    assert.equal(userOpError(check(withBackward(({ gradOutputs }) => ({ inputs: [[...gradOutputs.h.data]] as never })))).message, "cell (cellish): backward returned an array for input 1; expected a tensor of shape [2]");
    assert.match(userOpError(check(withBackward(({ gradOutputs }) => ({ inputs: { h: gradOutputs.h } as never })))).message, /^cell \(cellish\): backward must return inputs as an array, one gradient per input in order/);
  });

  test("output names: a list of distinct names without '.' or ':', not 'outputs' or 'saved'", () => {
    for (const [outputs, message] of [[["h", "h"], /output 'h' is named twice/], [["a:b"], /must not contain '\.' or ':'/], [["saved"], /'saved' cannot name an output/], [[], /non-empty array/]] as const) {
      const op = defineOp({ name: "o", outputs: [...outputs], forward: ({ inputs: [x] }) => x, backward: ({ gradOutput: g }) => ({ inputs: [g] }) });
      const e = networkError(() => buildGraph({ inputs: { x: { shape: [2] } }, nodes: [{ id: "n", op }] }));
      assert.deepEqual(e.path, ["nodes", 0, "op"]);
      assert.match(e.message, message);
    }
  });

  test("a multi-output op's jacobian is refused: it needs a backward", () => {
    const op = defineOp({ name: "jac2", outputs: ["a", "b"], forward: ({ inputs: [x] }) => ({ a: x, b: x }), jacobian: () => ({}) });
    assert.match(userOpError(() => checkGraph(buildGraph({ inputs: { x: { shape: [2] } }, nodes: [{ id: "j", op }, { id: "s", op: "sum" }] }))).message, /j \(jac2\): a multi-output op needs a backward/);
  });
});
