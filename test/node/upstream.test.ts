// A backward that ignores its upstream gradient (issue 9): the local check feeds one-hot
// upstream gradients, and as the last node an op only ever sees g = 1, so a backward that
// returns its local gradient without multiplying by gradOutput passes both. The linearity
// check (backward(u) against Σ uᵢ·rowᵢ; in fast and sampled modes backward(αu + βv) against
// α·backward(u) + β·backward(v)) names it, at that node and nowhere else, in every mode.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { checkGraph } from "../../src/engine/check.js";
import { buildGraph } from "../../src/engine/graph.js";
import type { NetworkSpec } from "../../src/engine/network.js";
import { defineOp } from "../../src/engine/op.js";
import { map, tensor, zip } from "../../src/engine/tensor.js";
import { builtinOps } from "../../src/engine/ops/index.js";
import type { Report } from "../../src/shared/report.js";

/** L = Σ xᵢ², whose backward returns 2x: g is never read (the reproduction issue 9 gives). */
const squaredNormIgnoringG = defineOp({
  name: "squaredNorm",
  forward: ({ inputs: [x] }) => tensor([], [x.data.reduce((s, v) => s + v * v, 0)]),
  backward: ({ inputs: [x] }) => ({ inputs: [map(x, (v) => 2 * v)] }),
});
const squaredNorm = defineOp({
  name: "squaredNorm",
  forward: squaredNormIgnoringG.forward,
  backward: ({ inputs: [x], gradOutput: g }) => ({ inputs: [map(x, (v) => 2 * v * g.data[0])] }),
});
/** A clamp whose backward squares g: right for one-hot g (g² = g), wrong for any other. */
const squaringClamp = defineOp({
  name: "squaringClamp",
  forward: ({ inputs: [x] }) => map(x, (v) => Math.max(-1, Math.min(1, v))),
  backward: ({ inputs: [x], gradOutput: g }) => ({ inputs: [zip(x, g, (v, gi) => (Math.abs(v) < 1 ? gi * gi : 0))] }),
});

const MODES = ["exhaustive", "sampled", "fast"] as const;

function failingNodes(r: Report): string[] {
  return r.nodes.filter((n) => n.status === "fail").map((n) => n.id);
}

function middle(op: typeof squaredNorm): NetworkSpec {
  return {
    seed: 3, inputs: { x: { shape: [4, 3] } },
    nodes: [{ id: "fc", op: "linear", units: 3 }, { id: "sq", op }, { id: "e", op: "exp" }],
  };
}

function last(op: typeof squaredNorm): NetworkSpec {
  return { seed: 5, inputs: { x: { shape: [4, 3] } }, nodes: [{ id: "fc", op: "linear", units: 3 }, { id: "h", op: "tanh" }, { id: "loss", op }] };
}

describe("ignores-upstream: a backward that does not multiply by gradOutput", () => {
  for (const mode of MODES) {
    test(`squared norm (backward 2x) followed by exp: fails at the loss op, and only there (${mode})`, () => {
      const r = checkGraph(buildGraph(middle(squaredNormIgnoringG)), { mode, samples: 4 });
      assert.equal(r.ok, false);
      assert.deepEqual(failingNodes(r), ["sq"]);
      const d = r.nodes.find((n) => n.id === "sq")!.diagnosis!;
      assert.equal(d.kind, "ignores-upstream", d.detail);
      assert.match(d.detail, /^the backward must multiply its local gradient by gradOutput \(the upstream gradient\); here it /);
      assert.match(d.detail, /returns the same gradient for fc whatever gradOutput is/);
    });

    test(`the same loss as the network's last node (g is always 1): still ignores-upstream (${mode})`, () => {
      const r = checkGraph(buildGraph(last(squaredNormIgnoringG)), { mode, samples: 4 });
      assert.equal(r.ok, false, "the end-to-end gradients agree (g = 1), only the linearity check can tell");
      assert.deepEqual(failingNodes(r), ["loss"]);
      assert.equal(r.nodes.find((n) => n.id === "loss")!.diagnosis!.kind, "ignores-upstream");
      assert.ok(r.gradients.every((g) => g.status === "pass"), "end to end every gradient agrees");
    });

    test(`a backward that squares g: ignores-upstream, saying it quadruples when g doubles (${mode})`, () => {
      const spec: NetworkSpec = { seed: 2, inputs: { x: { shape: [4, 3] } }, nodes: [{ id: "fc", op: "linear", units: 3 }, { id: "c", op: squaringClamp }, { id: "loss", op: "mean" }] };
      const r = checkGraph(buildGraph(spec), { mode, samples: 4 });
      assert.deepEqual(failingNodes(r), ["c"]);
      const d = r.nodes.find((n) => n.id === "c")!.diagnosis!;
      assert.equal(d.kind, "ignores-upstream");
      assert.match(d.detail, /quadruples when gradOutput doubles/);
    });

    test(`the corrected squared norm passes in the middle and as the last node (${mode})`, () => {
      for (const spec of [middle(squaredNorm), last(squaredNorm)]) {
        const r = checkGraph(buildGraph(spec), { mode, samples: 4 });
        assert.equal(r.ok, true, JSON.stringify(r.nodes.map((n) => [n.id, n.status, n.diagnosis?.detail])));
      }
    });
  }

  test("fast and exhaustive agree on every case here", () => {
    for (const spec of [middle(squaredNormIgnoringG), last(squaredNormIgnoringG), middle(squaredNorm), last(squaredNorm)]) {
      const kinds = MODES.map((mode) => checkGraph(buildGraph(spec), { mode, samples: 4 }).nodes.map((n) => `${n.id}:${n.status}:${n.diagnosis?.kind ?? ""}`).join(" "));
      assert.equal(kinds[1], kinds[0]);
      assert.equal(kinds[2], kinds[0]);
    }
  });

  test("a backward that adds a term without gradOutput (backward(0) ≠ 0) is named so", () => {
    const offset = defineOp({
      name: "offset",
      forward: ({ inputs: [x] }) => map(x, (v) => 2 * v),
      backward: ({ gradOutput: g }) => ({ inputs: [map(g, (v) => 2 * v + 0.5)] }),
    });
    const r = checkGraph(buildGraph({ seed: 1, inputs: { x: { shape: [3, 2] } }, nodes: [{ id: "o", op: offset }, { id: "loss", op: "mean" }] }));
    const d = r.nodes.find((n) => n.id === "o")!.diagnosis!;
    assert.equal(d.kind, "ignores-upstream");
    assert.match(d.detail, /not zero for gradOutput = 0/);
  });

  test("every built-in op is linear in its upstream gradient: no built-in network fails the check", () => {
    // One network per op family, built from the registry, checked in each mode: a linearity false alarm would fail it.
    for (const name of ["relu", "sigmoid", "tanh", "softmax", "log_softmax", "layer_norm", "batch_norm", "softplus", "exp"]) {
      assert.ok(builtinOps.has(name), name);
      const spec: NetworkSpec = { seed: 4, inputs: { x: { shape: [4, 5] } }, nodes: [{ id: "fc", op: "linear", units: 5 }, { id: "a", op: name }, { id: "loss", op: "mean" }] };
      for (const mode of MODES) {
        const r = checkGraph(buildGraph(spec), { mode });
        assert.ok(!r.nodes.some((n) => n.diagnosis?.kind === "ignores-upstream"), `${name} ${mode}`);
      }
    }
  });
});
