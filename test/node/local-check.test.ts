// The local check of a node that takes the same value twice: each input
// position has its own Jacobian (x − x: ∂/∂a = I, ∂/∂b = −I), not the other's.
import assert from "node:assert/strict";
import { test } from "node:test";
import { checkGraph } from "../../src/engine/check.js";
import { buildGraph } from "../../src/engine/graph.js";

test("x − x and x · x: a value fed to both inputs of a node passes, each position with its own Jacobian", () => {
  for (const op of ["sub", "mul", "add"]) {
    const graph = buildGraph({ inputs: { x: { shape: [2, 3] } }, nodes: [{ id: "d", op, inputs: ["x", "x"] }, { id: "loss", op: "sum" }] });
    const report = checkGraph(graph, { mode: "exhaustive" });
    const d = report.nodes.find((n) => n.id === "d")!;
    assert.equal(d.status, "pass", `${op}: ${d.diagnosis?.detail}`);
    assert.deepEqual(d.jacobians.map((j) => [j.wrt, j.kind, j.status]), [["x", "input", "pass"], ["x", "input", "pass"]], op);
    if (op === "sub") {
      const diagonal = (j: (typeof d.jacobians)[number]) => j.analytic.filter((_, k) => k % 7 === 0);
      assert.deepEqual(diagonal(d.jacobians[0]), [1, 1, 1, 1, 1, 1], "∂(a − b)/∂a = I");
      assert.deepEqual(diagonal(d.jacobians[1]), [-1, -1, -1, -1, -1, -1], "∂(a − b)/∂b = −I");
    }
  }
});
