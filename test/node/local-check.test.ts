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

test("summarise: the worst five entries are those a full sort gives (failures, kinks, then by relative error; ties by position)", async () => {
  const { summarise } = await import("../../src/engine/check/summary.js");
  const { entryStatus, relError } = await import("../../src/engine/compare.js");
  const { Rng } = await import("../../src/engine/random.js");
  const rng = new Rng(5);
  const tol = { rtol: 1e-3, atol: 1e-5 };
  const rank = (s: string) => (s === "fail" ? 2 : s === "kink" ? 1 : s === "skipped" ? -1 : 0);
  for (let t = 0; t < 300; t++) {
    const n = 1 + Math.floor(rng.uniform() * 60);
    // Values on a coarse grid: many ties, some exact matches, a few non-finite entries.
    const N = Float64Array.from({ length: n }, () => Math.round(rng.normal() * 3) / 3);
    const A = N.map((x) => (rng.uniform() < 0.3 ? x : rng.uniform() < 0.05 ? Infinity : Math.round(rng.normal() * 3) / 3));
    const status = [...A].map((_, k) => entryStatus({ analytic: A, numeric: N }, k, tol));
    const rel = [...A].map((a, k) => relError(a, N[k], tol));
    const sorted = [...A.keys()].sort((i, j) => rank(status[j]) - rank(status[i]) || rel[j] - rel[i]).slice(0, 5);
    const worst = summarise({ analytic: A, numeric: N }, tol, (k) => [k]).worst.map((w) => w.index[0]);
    assert.deepEqual(worst, sorted, `case ${t}: ${JSON.stringify([...A])} vs ${JSON.stringify([...N])}`);
  }
});
