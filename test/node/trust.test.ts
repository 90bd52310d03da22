// Verdicts to trust at both ends (issue 9): an entry that passes the tolerance but is far above
// its own finite-difference error is `suspect` (entry, Jacobian, node; exit 0, --strict fails);
// the step grows with |x| and is exactly representable; --points N checks at N seeded points and
// says which failed; a constant-initialised parameter is named in a note.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { checkGraph } from "../../src/engine/check.js";
import { stepFor, stepScale } from "../../src/engine/check/steps.js";
import { buildGraph } from "../../src/engine/graph.js";
import type { NetworkSpec } from "../../src/engine/network.js";
import { defineOp } from "../../src/engine/op.js";
import { map, tensor, zip } from "../../src/engine/tensor.js";

/** Hard-swish whose backward uses x·0.3333 where x/3 belongs: relative errors 1e-5..1e-4, inside rtol 1e-3. */
function hardSwish(third: number) {
  return defineOp({
    name: "hardSwish",
    forward: ({ inputs: [x] }) => map(x, (v) => (v <= -3 ? 0 : v >= 3 ? v : (v * (v + 3)) / 6)),
    backward: ({ inputs: [x], gradOutput: g }) => ({ inputs: [zip(x, g, (v, gi) => gi * (v <= -3 ? 0 : v >= 3 ? 1 : v * third + 0.5))] }),
  });
}

function net(op: ReturnType<typeof hardSwish>): NetworkSpec {
  return {
    seed: 3, inputs: { x: { shape: [4, 3] } },
    nodes: [{ id: "fc", op: "linear", units: 3, params: { W: [[1.5, -0.7, 0.4], [0.3, 1.2, -0.9], [-0.6, 0.5, 1.1]] } }, { id: "act", op }, { id: "loss", op: "mean" }],
  };
}

describe("suspect: passes the tolerance, far above the finite difference's own error", () => {
  test("x·0.3333 where x/3 belongs: the node, its Jacobian and entries are suspect; the check passes", () => {
    const r = checkGraph(buildGraph(net(hardSwish(0.3333))), { mode: "exhaustive" });
    const act = r.nodes.find((n) => n.id === "act")!;
    assert.equal(act.status, "pass");
    assert.equal(act.suspect, true);
    const j = act.jacobians[0];
    assert.equal(j.suspect, true);
    assert.ok((j.suspectEntries ?? 0) >= 3, `${j.suspectEntries} suspect entries`);
    const w = j.worst.find((e) => e.suspect)!;
    assert.ok(w.relError > 1e-6 && w.relError < 1e-3, `rel ${w.relError}`);
    assert.ok(w.estimatedError! < 1e-3 * Math.abs(w.analytic - w.numeric), `estimated ${w.estimatedError}`);
    assert.equal(r.ok, true);
    assert.equal(r.suspect, true);
    assert.ok(r.notes.some((n) => /^suspect: ∂act\/∂fc.*--strict/.test(n)), r.notes.join("\n"));
    for (const n of r.nodes.filter((x) => x.id !== "act")) assert.ok(!n.suspect, n.id);
  });

  test("--strict (the strict option) fails the same check", () => {
    const r = checkGraph(buildGraph(net(hardSwish(0.3333))), { mode: "exhaustive", strict: true });
    assert.equal(r.ok, false);
    assert.equal(r.strict, true);
  });

  test("fast mode checks a suspect node again entry by entry: suspect there too", () => {
    const r = checkGraph(buildGraph(net(hardSwish(0.3333))), { mode: "fast" });
    assert.equal(r.nodes.find((n) => n.id === "act")!.suspect, true);
  });

  test("the correct hard-swish is not suspect, and neither is any node of a correct network", () => {
    const r = checkGraph(buildGraph(net(hardSwish(1 / 3))), { mode: "exhaustive" });
    assert.equal(r.ok, true);
    assert.ok(!r.suspect && r.nodes.every((n) => !n.suspect) && r.gradients.every((g) => !g.suspect), JSON.stringify(r.notes));
  });
});

describe("the step: h·max(1, |x|), exactly representable", () => {
  test("the scale is a power of two at least max(1, |x|)", () => {
    for (const x of [0, 0.5, -1, 1.5, -3, 1000, 1e8, -7.25e-3]) {
      const s = stepScale(x);
      assert.ok(s >= Math.max(1, Math.abs(x)) && s < 2 * Math.max(1, Math.abs(x)), `${x}: ${s}`);
      assert.equal(Math.log2(s) % 1, 0);
    }
  });

  test("the steps taken are exact: (x + h') − x and x − (x − h') are the values the slope divides by", () => {
    for (const x of [0.1, 3.7, -12345.678, 1e8 + 0.3]) {
      const s = stepFor(x, 1e-6);
      assert.equal(s.plus - x, s.up);
      assert.equal(x - s.minus, s.down);
      assert.ok(s.up > 0 && Math.abs(s.up / (1e-6 * stepScale(x)) - 1) < 1e-6, `${x}: ${s.up}`);
    }
  });

  test("an input of size 1e9 is resolved (a fixed h = 1e-6 is two float spacings there): every entry checked, and right", () => {
    const wave = defineOp({
      name: "wave",
      forward: ({ inputs: [x] }) => map(x, (v) => 1e9 * Math.sin(v / 1e9)),
      backward: ({ inputs: [x], gradOutput: g }) => ({ inputs: [zip(x, g, (v, gi) => gi * Math.cos(v / 1e9))] }),
    });
    const spec: NetworkSpec = { seed: 1, inputs: { x: { shape: [2, 3], values: [[3e9, -2e9, 1.1e9], [4e9, 1.5e9, -7e8]] } }, nodes: [{ id: "w", op: wave }, { id: "loss", op: "sum" }] };
    const r = checkGraph(buildGraph(spec), { mode: "exhaustive" });
    const w = r.nodes.find((n) => n.id === "w")!;
    assert.equal(w.status, "pass");
    assert.ok(w.maxRelError < 1e-6, `max rel error ${w.maxRelError}`);
    assert.ok(w.jacobians[0].worst.every((e) => e.status !== "skipped"), "no entry left unresolved by rounding");
  });
});

/** A per-feature gain y = x ⊙ γ whose backward multiplies by γ twice: invisible while γ = 1. */
const gainTwice = defineOp({
  name: "gain",
  params: { gamma: { shape: ({ inputShapes: [x] }) => [x[x.length - 1]], init: "ones" } },
  forward: ({ inputs: [x], params: { gamma } }) => tensor(x.shape, x.data.map((v, i) => v * gamma.data[i % gamma.data.length])),
  backward: ({ inputs: [x], params: { gamma }, gradOutput: g }) => {
    const n = gamma.data.length;
    const dGamma = new Float64Array(n);
    for (let i = 0; i < x.data.length; i++) dGamma[i % n] += g.data[i] * x.data[i];
    return { inputs: [tensor(x.shape, g.data.map((v, i) => v * gamma.data[i % n] ** 2))], params: { gamma: tensor([n], dGamma) } };
  },
});

describe("--points N: other seeded points, and constant parameters named", () => {
  const spec: NetworkSpec = { seed: 5, inputs: { x: { shape: [4, 3] } }, nodes: [{ id: "fc", op: "linear", units: 3 }, { id: "g", op: gainTwice }, { id: "loss", op: "mean" }] };

  test("at the network's own point the gain is 1: the bug hides, and the note says the parameter is constant", () => {
    const r = checkGraph(buildGraph(spec));
    assert.equal(r.ok, true);
    assert.ok(r.notes.some((n) => /constant parameters? \(every entry equal\): .*g\.gamma = 1/.test(n) && /--points N/.test(n)), r.notes.join("\n"));
  });

  test("--points 3 draws the gain around 1 at points 1 and 2, fails there, and reports at which point", () => {
    const r = checkGraph(buildGraph(spec), { points: 3 });
    assert.equal(r.ok, false);
    assert.deepEqual(r.points!.map((p) => [p.point, p.ok]), [[0, true], [1, false], [2, false]]);
    assert.equal(r.point, 1);
    assert.equal(r.nodes.find((n) => n.id === "g")!.status, "fail");
    assert.ok(r.notes.some((n) => /checked at 3 points: fails at points 1 \(seed \d+\), 2 \(seed \d+\); this report is point 1's/.test(n)), r.notes.join("\n"));
    assert.ok(r.notes.some((n) => /constant parameters drawn around their value.*g\.gamma/.test(n)), r.notes.join("\n"));
  });

  test("a correct network passes at every point", () => {
    const r = checkGraph(buildGraph({ ...spec, nodes: [{ id: "fc", op: "linear", units: 3 }, { id: "t", op: "tanh" }, { id: "loss", op: "mean" }] }), { points: 4 });
    assert.equal(r.ok, true);
    assert.equal(r.points!.length, 4);
    assert.ok(r.notes.some((n) => /checked at 4 points .*every one passes/.test(n)));
  });
});
