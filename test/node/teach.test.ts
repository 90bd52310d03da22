/**
 * The teaching verbs in-process (src/engine/teach): explain, descent, sweep and
 * the per-node values, on the lecture's network, the correct examples and every
 * buggy one. What the lecture says is what is asserted: dL/dw = dL/dp · dp/dl ·
 * dl/dw with its three factors, (pⱼ − yⱼ)·xᵢ averaged over the batch, the loss
 * falling under Δw = −α·∂L/∂w, and the V of a central difference's error.
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { readdirSync } from "node:fs";
import { join } from "node:path";
import "../../src/config/typescript-support.js";
import { loadNetworkFile } from "../../src/config/load.js";
import { backward, forward, lossOf, runForward, runNode, type Graph } from "../../src/engine/graph.js";
import { IncrementalEvaluator } from "../../src/engine/incremental.js";
import { explain } from "../../src/engine/teach/explain.js";
import { descent } from "../../src/engine/teach/descent.js";
import { sweep, SWEEP_STEPS } from "../../src/engine/teach/sweep.js";
import { networkValues } from "../../src/engine/teach/values.js";
import { resolveEntry } from "../../src/engine/teach/entry.js";
import { NetworkError } from "../../src/engine/network.js";
import { unravel, type Tensor } from "../../src/engine/tensor.js";
import { entryText, parseEntry } from "../../src/shared/names.js";

const root = join(import.meta.dirname, "..", "..");
const load = async (file: string): Promise<Graph> => (await loadNetworkFile(join(root, file))).graph;
const LECTURE = "examples/seed-mlp.gradnet.json";
const BUGGY_SOFTMAX = "examples/buggy/softmax-diagonal.gradnet.ts";

/** Every entry of a parameter, as `fc.W[j, i]`. */
const entriesOf = (graph: Graph, node: string, param: string) => {
  const t = graph.nodes.find((n) => n.id === node)!.params[param];
  return Array.from({ length: t.data.length }, (_, k) => ({ text: entryText(`${node}.${param}`, unravel(k, t.shape)), flat: k }));
};

describe("explain on the lecture's network: linear → softmax → cross-entropy", () => {
  test("every fc.W[j,i] and fc.b[j]: the analytic total is backprop's gradient to 1e-9, and agrees with the numeric one", async () => {
    const graph = await load(LECTURE);
    const grads = backward(graph, forward(graph).values).params;
    for (const param of ["W", "b"]) {
      for (const { text, flat } of entriesOf(graph, "fc", param)) {
        const e = explain(graph, text);
        assert.ok(Math.abs(e.analytic - grads.get(`fc.${param}`)!.data[flat]) <= 1e-9, `${text}: ${e.analytic}`);
        assert.ok(Math.abs(e.numeric - e.analytic) <= 1e-7, `${text}: numeric ${e.numeric}`);
        assert.equal(e.agree, true);
        assert.equal(e.firstDeparture, null, text);
      }
    }
  });

  test("the path has the lecture's three factors: dL/dp at the loss, dp/dl at the softmax, dl/dw at the linear layer", async () => {
    const graph = await load(LECTURE);
    const e = explain(graph, "fc.W[1,0]");
    assert.equal(e.entry, "fc.W[1, 0]");
    assert.deepEqual(e.path.map((s) => [s.node, s.op, s.local.wrt]), [["loss", "cross_entropy", "p"], ["p", "softmax", "fc"], ["fc", "linear", "fc.W"]]);
    const [atLoss, atSoftmax, atLinear] = e.path;
    // dL/dL = 1; dL/dp is −1/(B·pₐ) at each example's true class and 0 elsewhere.
    assert.deepEqual(atLoss.upstreamAnalytic, [1]);
    const { values } = forward(graph);
    const p = values.get("p")!.data, y = graph.inputs.find((i) => i.id === "y")!.value.data;
    atLoss.product.entries.forEach(([b, a], k) => {
      const want = y[b] === a ? -1 / (4 * p[b * 3 + a]) : 0;
      assert.ok(Math.abs(atLoss.product.analytic[k] - want) <= 1e-12, `dL/dp[${b},${a}]`);
    });
    // dp/dl: the softmax Jacobian pⱼ(δⱼₖ − pₖ), rows p[b, m], columns l[b, 1] (the column W[1,0] moves).
    atSoftmax.local.rows.forEach(([b, m], r) => atSoftmax.local.cols.forEach(([b2, k], c) => {
      const want = b !== b2 ? 0 : p[b * 3 + m] * ((m === k ? 1 : 0) - p[b * 3 + k]);
      assert.ok(Math.abs(atSoftmax.local.analytic[r * atSoftmax.local.cols.length + c] - want) <= 1e-12, `∂p[${b},${m}]/∂l[${b2},${k}]`);
    }));
    assert.deepEqual(atSoftmax.local.cols.map(([, k]) => k), [1, 1, 1, 1]);
    // dl/dw: ∂l[b, j]/∂w[j, i] = x[b, i] for the 4 examples of the batch.
    const x = graph.inputs.find((i) => i.id === "x")!.value.data;
    assert.deepEqual(atLinear.local.rows.map(([b, j]) => [b, j]), [[0, 1], [1, 1], [2, 1], [3, 1]]);
    atLinear.local.rows.forEach(([b], r) => assert.ok(Math.abs(atLinear.local.analytic[r] - x[b * 3 + 0]) <= 1e-15));
    // The last sum: its terms add up to the total, one term per example.
    assert.equal(e.terms.length + e.omittedTerms, 4);
    assert.ok(Math.abs(e.terms.reduce((s, t) => s + t.product, 0) + e.omittedSum - e.analytic) <= 1e-12);
    for (const s of e.path) assert.equal(s.upstreamDeparts || s.product.departs, false, s.node);
  });

  test("the explanation ends with the lecture's identity (pⱼ − yⱼ)·xᵢ averaged over the batch, with its value", async () => {
    const graph = await load(LECTURE);
    const { values } = forward(graph);
    const p = values.get("p")!.data, y = graph.inputs.find((i) => i.id === "y")!.value.data, x = graph.inputs.find((i) => i.id === "x")!.value.data;
    for (const { text } of entriesOf(graph, "fc", "W")) {
      const e = explain(graph, text);
      const [j, i] = e.index;
      let want = 0;
      for (let b = 0; b < 4; b++) want += (p[b * 3 + j] - (y[b] === j ? 1 : 0)) * x[b * 3 + i];
      want /= 4;
      assert.ok(e.identity, text);
      assert.equal(e.identity.formula, `(1/B) Σ_b (p[b,${j}] − y[b,${j}])·x[b,${i}]`);
      assert.ok(Math.abs(e.identity.value - want) <= 1e-15, `${text}: ${e.identity.value} vs ${want}`);
      assert.ok(Math.abs(e.identity.value - e.analytic) <= 1e-9 && Math.abs(e.identity.value - e.numeric) <= 1e-7, text);
    }
    const viaX = explain(graph, "x[2,1]");
    assert.ok(viaX.identity && Math.abs(viaX.identity.value - viaX.analytic) <= 1e-9, "dL/dx = (1/B) Σ_j (p − y)·w");
  });
});

describe("explain finds where the bug is", () => {
  test("the buggy softmax: the first departure is p for every entry of fc.W and fc.b; the lecture's identity still gives the numeric value", async () => {
    const graph = await load(BUGGY_SOFTMAX);
    for (const param of ["W", "b"]) {
      for (const { text } of entriesOf(graph, "fc", param)) {
        const e = explain(graph, text);
        assert.equal(e.firstDeparture, "p", text);
        assert.equal(e.agree, false, text);
        const loss = e.path.find((s) => s.node === "loss")!, p = e.path.find((s) => s.node === "p")!;
        assert.equal(loss.product.departs, false, `${text}: dL/dp (cross-entropy's backward) is right`);
        assert.equal(p.upstreamDeparts, false, `${text}: what p received agreed`);
        assert.equal(p.product.departs, true, `${text}: what p sent down departs`);
        assert.ok(e.identity && Math.abs(e.identity.value - e.numeric) <= 1e-7, `${text}: the identity is the truth`);
      }
    }
  });

  const bugs: { file: string; entry: string; node: string }[] = [
    { file: "softmax-diagonal", entry: "fc.W[0,2]", node: "p" },
    { file: "cross-entropy-sign", entry: "fc.W[0,0]", node: "loss" },
    { file: "linear-transpose", entry: "hidden.W[1,2]", node: "fc" },
    { file: "squared-error-no-2", entry: "fc.b[0]", node: "loss" },
    { file: "mean-no-1-over-n", entry: "fc.W[0,0]", node: "loss" },
    { file: "backward-zeros", entry: "fc.W[0,0]", node: "h" },
    // x feeds q, k and v: three paths; only q's and k's go through the wrong factor.
    { file: "attention-no-sqrt-d", entry: "q.W[0,0]", node: "att" },
    // An LSTM cell (outputs h and c) whose backward forgets the c → c path: the gradient at c0 (a linear layer) is wrong.
    { file: "lstm-forgets-c", entry: "c0.W[0,0]", node: "cell" },
  ];
  test("every file in examples/buggy is covered", () => {
    const files = readdirSync(join(root, "examples/buggy")).filter((f) => f.endsWith(".gradnet.ts")).map((f) => f.replace(".gradnet.ts", ""));
    assert.deepEqual(files.sort(), bugs.map((b) => b.file).sort());
  });
  test("lstm-forgets-c: at the cell, what comes down through c departs and what comes through h does not; W's gradient is right and agrees", async () => {
    const graph = await load("examples/buggy/lstm-forgets-c.gradnet.ts");
    const e = explain(graph, "c0.W[0,0]");
    const atCell = e.path.filter((s) => s.node === "cell");
    assert.deepEqual(atCell.map((s) => [s.value, s.local.wrt, s.product.departs]), [["cell:h", "c0", false], ["cell:c", "c0", true]]);
    for (const s of atCell) assert.equal(s.upstreamDeparts, false, `${s.value}: what the cell received agreed`);
    // The backward leaves out gradOutputs.c · ∂c/∂c0: from output c alone it sends nothing to c0.
    assert.ok(atCell[1].product.analytic.length > 0 && atCell[1].product.analytic.every((a) => a === 0), `${atCell[1].product.analytic}`);
    assert.ok(atCell[1].product.numeric.some((n) => Math.abs(n) > 1e-3), `${atCell[1].product.numeric}`);
    for (const entry of ["W[0,0]", "b[3]", "h0[1,2]"]) {
      const ok = explain(graph, entry);
      assert.deepEqual([ok.agree, ok.firstDeparture], [true, null], entry);
    }
  });
  for (const b of bugs) {
    test(`${b.file}: explain ${b.entry} departs first at ${b.node}`, async () => {
      const e = explain(await load(`examples/buggy/${b.file}.gradnet.ts`), b.entry);
      assert.equal(e.agree, false);
      assert.equal(e.firstDeparture, b.node);
    });
  }

  test("the correct examples: every explained entry agrees and nothing departs; a value used twice sums its paths", async () => {
    const files = ["examples/regression.gradnet.json", "examples/residual.gradnet.json", "examples/cnn.gradnet.json",
      ...readdirSync(join(root, "examples/custom")).filter((f) => /\.gradnet\.(ts|json)$/.test(f)).map((f) => `examples/custom/${f}`)];
    for (const file of files) {
      const graph = await load(file);
      const grads = backward(graph, forward(graph).values);
      for (const node of graph.nodes) {
        for (const [param, t] of Object.entries(node.params)) {
          const e = explain(graph, entryText(`${node.id}.${param}`, unravel(t.data.length - 1, t.shape)));
          assert.ok(Math.abs(e.analytic - grads.params.get(`${node.id}.${param}`)!.data[t.data.length - 1]) <= 1e-12, `${file} ${e.entry}`);
          assert.equal(e.agree, true, `${file} ${e.entry}: ${e.analytic} vs ${e.numeric}`);
          assert.equal(e.firstDeparture, null, `${file} ${e.entry}`);
        }
      }
    }
    // residual: x feeds both fc1 and the skip connection; the two final factors add up to the total.
    const residual = await load("examples/residual.gradnet.json");
    const e = explain(residual, "x[0,1]");
    const finals = e.path.filter((s) => s.local.wrt === "x");
    assert.deepEqual(finals.map((s) => s.node).sort(), ["fc1", "skip"]);
    assert.ok(Math.abs(finals.reduce((s, f) => s + f.product.analytic[0], 0) - e.analytic) <= 1e-12);
  });

  test("the LSTM (outputs h and c, 3 steps, W and b shared): every entry of W, b, x1, h0 and c0 is backprop's gradient and agrees", async () => {
    const graph = await load("examples/lstm.gradnet.ts");
    const grads = backward(graph, forward(graph).values, forward(graph).saved);
    for (const name of ["W", "b", "x1", "h0", "c0"]) {
      const g = grads.values.get(name)!;
      for (let k = 0; k < g.data.length; k++) {
        const e = explain(graph, entryText(name, unravel(k, g.shape)));
        assert.ok(Math.abs(e.analytic - g.data[k]) <= 1e-12, `${e.entry}: ${e.analytic} vs ${g.data[k]}`);
        assert.equal(e.agree, true, `${e.entry}: ${e.analytic} vs ${e.numeric}`);
        assert.equal(e.firstDeparture, null, e.entry);
      }
    }
  });

  test("the LSTM: one step per (output, input on the way); what a cell sends an input is the sum over its outputs", async () => {
    const graph = await load("examples/lstm.gradnet.ts");
    const e = explain(graph, "c0[1,2]");
    // step3:c is read by nothing: no step. Every other output carries c0 to the loss.
    assert.deepEqual(e.path.map((s) => [s.value ?? s.node, s.local.wrt]), [
      ["loss", "head"], ["head", "step3:h"],
      ["step3:h", "step2:h"], ["step3:h", "step2:c"],
      ["step2:h", "step1:h"], ["step2:c", "step1:h"], ["step2:h", "step1:c"], ["step2:c", "step1:c"],
      ["step1:h", "c0"], ["step1:c", "c0"],
    ]);
    for (const s of e.path) assert.equal(s.upstreamDeparts || s.product.departs, false, `${s.value ?? s.node} → ${s.local.wrt}`);
    // The two final factors ∂(step1:h)/∂c0 and ∂(step1:c)/∂c0 add up to the total; the terms of the last sum too.
    const finals = e.path.filter((s) => s.local.wrt === "c0");
    assert.ok(Math.abs(finals.reduce((s, f) => s + f.product.analytic[0], 0) - e.analytic) <= 1e-12);
    assert.ok(Math.abs(e.terms.reduce((s, t) => s + t.product, 0) + e.omittedSum - e.analytic) <= 1e-12);
    assert.ok(e.terms.every((t) => t.node === "step1:h" || t.node === "step1:c"), e.terms.map((t) => t.node).join());
    // The upstream gradient at step1:c is backprop's dL/d(step1:c), not the h output's.
    const { values, saved } = forward(graph);
    const dc = backward(graph, values, saved).values.get("step1:c")!;
    const atC = e.path.find((s) => s.value === "step1:c")!;
    atC.entries.forEach((index, k) => assert.equal(atC.upstreamAnalytic[k], dc.data[index[0] * 4 + index[1]]));
    // What step2 sends to step1:c through both its outputs is its backward's whole dL/d(step1:c) contribution.
    const toC = e.path.filter((s) => s.node === "step2" && s.local.wrt === "step1:c");
    toC[0].product.entries.forEach((index, j) => {
      const other = toC[1].product.entries.findIndex((i) => i.join() === index.join());
      assert.ok(other >= 0);
      const sum = toC[0].product.analytic[j] + toC[1].product.analytic[other];
      assert.ok(Math.abs(sum - dc.data[index[0] * 4 + index[1]]) <= 1e-12, `dL/dstep1:c${index}`);
    });
  });
});

describe("entries: one parser, clear errors", () => {
  test("parseEntry reads the tensor name with the shared parser and the index", () => {
    assert.deepEqual(parseEntry("fc.W[1,0]"), { tensor: "fc.W", parsed: { kind: "param", node: "fc", param: "W" }, index: [1, 0] });
    assert.deepEqual(parseEntry(" x[ 2 , 1 ] "), { tensor: "x", parsed: { kind: "input", input: "x" }, index: [2, 1] });
    assert.deepEqual(parseEntry("loss.s[]"), { tensor: "loss.s", parsed: { kind: "param", node: "loss", param: "s" }, index: [] });
    for (const bad of ["fc.W", "fc.W[1,-1]", "fc.W[1.5]", "fc.W[a]", "[1]", "fc.W[1]]"]) assert.ok("error" in parseEntry(bad), bad);
    // An id may hold brackets and spaces: the index is the last bracketed group.
    assert.deepEqual(parseEntry("<a b>[0].W[2, 1]"), { tensor: "<a b>[0].W", parsed: { kind: "param", node: "<a b>[0]", param: "W" }, index: [2, 1] });
  });

  test("out of range, wrong rank, unknown node or parameter, labels, node outputs, whole tensors: refused at their place (gradientTarget)", async () => {
    const graph = await load(LECTURE);
    const cases: [string, RegExp, (string | number)[]][] = [
      ["fc.W[9,9]", /index 9 is out of range for dimension 0 of fc\.W \[3, 3\]/, ["nodes", 0]],
      ["fc.W[1]", /fc\.W has shape \[3, 3\], so an entry needs 2 integer indices, got 1/, ["nodes", 0]],
      ["zz.W[0,0]", /no node 'zz'/, []],
      ["fc.Q[0,0]", /fc \(linear\) has no parameter 'Q'.*\(it has: W, b\)/, ["nodes", 0]],
      ["y[0]", /'y' holds class labels \(integers\): it is never differentiated/, ["inputs", "y", "classes"]],
      ["p[0,0]", /'p' is a node: name one of its parameters/, []],
      ["fc.W[a,0]", /needs 2 integer indices \(whole numbers ≥ 0, separated by commas\)/, ["nodes", 0]],
      ["fc.W", /'fc\.W' is the whole tensor fc\.W: explain one entry of it, like fc\.W\[0, 0\]/, ["nodes", 0]],
      ["q[1]", /no parameter or input 'q'/, []],
    ];
    for (const [text, message, path] of cases) {
      assert.throws(() => resolveEntry(graph, text), (e: unknown) => e instanceof NetworkError && message.test(e.message) && JSON.stringify(e.path) === JSON.stringify(path), text);
    }
  });
});

describe("the numeric upstream gradient: the loss with one node's output moved", () => {
  test("IncrementalEvaluator.outputEntries equals recomputing everything downstream by hand, and leaves the cache as it was", async () => {
    for (const file of [LECTURE, "examples/residual.gradnet.json", "examples/cnn.gradnet.json"]) {
      const graph = await load(file);
      const { values, loss } = forward(graph);
      const evaluator = new IncrementalEvaluator(graph);
      for (const [n, node] of graph.nodes.entries()) {
        const out = values.get(node.id)!;
        const indices = [0, out.data.length - 1, Math.floor(out.data.length / 2)];
        const { plus, minus } = evaluator.outputEntries(node.id, indices, 1e-3);
        indices.forEach((flat, k) => {
          for (const [sign, got] of [[1, plus[k]], [-1, minus[k]]] as const) {
            const moved = new Map(values);
            const t: Tensor = { shape: out.shape, data: new Float64Array(out.data) };
            t.data[flat] += sign * 1e-3;
            moved.set(node.id, t);
            for (const later of graph.nodes.slice(n + 1)) moved.set(later.id, runForward(later, moved));
            const want = lossOf(graph, moved.get(graph.output)!);
            assert.ok(Math.abs(got - want) <= 1e-13 * Math.max(1, Math.abs(want)), `${file} ${node.id}[${flat}] ${sign > 0 ? "+" : "−"}h: ${got} vs ${want}`);
          }
        });
      }
      assert.equal(evaluator.entries(graph.nodes[0].id + "." + Object.keys(graph.nodes[0].params)[0], [0], 0).plus[0], loss);
    }
  });

  test("outputEntries of one output of a multi-output node (\"step2:c\"): that output moved, the other held, the rest recomputed", async () => {
    const graph = await load("examples/lstm.gradnet.ts");
    const { values } = forward(graph);
    const evaluator = new IncrementalEvaluator(graph);
    for (const value of ["step1:h", "step2:c", "step3:h"]) {
      const out = values.get(value)!;
      const indices = [0, 5, out.data.length - 1];
      const { plus, minus } = evaluator.outputEntries(value, indices, 1e-3);
      const at = graph.nodes.findIndex((n) => n.outputValues.includes(value));
      indices.forEach((flat, k) => {
        for (const [sign, got] of [[1, plus[k]], [-1, minus[k]]] as const) {
          const moved = new Map(values);
          const t: Tensor = { shape: out.shape, data: new Float64Array(out.data) };
          t.data[flat] += sign * 1e-3;
          moved.set(value, t);
          for (const later of graph.nodes.slice(at + 1)) runNode(later, moved).outputs.forEach((o, j) => moved.set(later.outputValues[j], o));
          const want = lossOf(graph, moved.get(graph.output)!);
          assert.ok(Math.abs(got - want) <= 1e-13 * Math.max(1, Math.abs(want)), `${value}[${flat}] ${sign > 0 ? "+" : "−"}h: ${got} vs ${want}`);
        }
      });
    }
    // A bare id is the node's first output; an output it does not have is refused.
    assert.deepEqual(evaluator.outputEntries("step2", [3], 1e-3), evaluator.outputEntries("step2:h", [3], 1e-3));
    assert.throws(() => evaluator.outputEntries("step2:q", [0], 1e-3), /node 'step2' has no output 'q' \(it has: step2:h, step2:c\)/);
  });

  test("networkValues: every node's dL/d(node) analytic beside numeric; on the buggy softmax only what p sends down departs", async () => {
    const ok = networkValues(await load(LECTURE));
    assert.deepEqual(ok.nodes.map((n) => [n.id, n.departs, n.value.length, n.upstreamNumeric.length]), [["fc", false, 12, 12], ["p", false, 12, 12], ["loss", false, 1, 1]]);
    for (const n of ok.nodes) n.upstreamAnalytic.forEach((a, k) => assert.ok(Math.abs(a - n.upstreamNumeric[k]) <= 1e-7, `${n.id}[${k}]`));
    const buggy = networkValues(await load(BUGGY_SOFTMAX));
    assert.deepEqual(buggy.nodes.map((n) => [n.id, n.departs]), [["fc", true], ["p", false], ["loss", false]]);
  });
});

describe("descent: does the loss fall?", () => {
  test("the lecture's network: both curves fall, and they agree to 1e-6", async () => {
    const graph = await load(LECTURE);
    const before = graph.nodes[0].params.W.data.slice();
    const d = descent(graph, { steps: 20, lr: 0.5 });
    assert.equal(d.analytic.length, 21);
    assert.equal(d.numeric.length, 21);
    for (let t = 1; t <= 20; t++) {
      assert.ok(d.analytic[t] < d.analytic[t - 1] && d.numeric[t] < d.numeric[t - 1], `step ${t} falls`);
      assert.ok(Math.abs(d.analytic[t] - d.numeric[t]) <= 1e-6, `step ${t}: ${d.analytic[t]} vs ${d.numeric[t]}`);
    }
    assert.ok(d.numeric[20] < 0.7 * d.numeric[0]);
    assert.deepEqual([d.agree, d.partsAt, d.lr, d.steps, d.parameters], [true, null, 0.5, 20, ["fc.W", "fc.b"]]);
    assert.deepEqual(graph.nodes[0].params.W.data, before, "the parameters are put back");
    assert.equal(d.analytic[0], forward(graph).loss);
  });

  test("Δθ = −α·∂L/∂θ: one step by hand gives the analytic curve's second value", async () => {
    const graph = await load(LECTURE);
    const d = descent(graph, { steps: 1, lr: 0.3 });
    const grads = backward(graph, forward(graph).values).params;
    const fc = graph.nodes[0];
    const moved = new Map([["fc.W", fc.params.W], ["fc.b", fc.params.b]].map(([name, t]) => [name as string,
      { shape: (t as Tensor).shape, data: (t as Tensor).data.map((v, i) => v - 0.3 * grads.get(name as string)!.data[i]) }]));
    assert.equal(d.analytic[1], forward(graph, moved).loss);
  });

  for (const file of readdirSync(join(root, "examples/buggy")).filter((f) => f.endsWith(".gradnet.ts"))) {
    test(`examples/buggy/${file}: the curves part`, async () => {
      const d = descent(await load(`examples/buggy/${file}`));
      assert.equal(d.agree, false, d.sentence);
      assert.ok(d.maxDifference > 100 * d.tolerance, `${d.maxDifference}`);
      assert.ok(d.partsAt !== null && d.partsAt <= 2);
      assert.match(d.sentence, /^The curves part at step/);
    });
  }
});

describe("sweep: the error against the step h", () => {
  test("h runs from 1e-1 to 1e-12 in half decades", () => {
    assert.equal(SWEEP_STEPS.length, 23);
    assert.equal(SWEEP_STEPS[0], 0.1);
    assert.equal(SWEEP_STEPS.at(-1), 1e-12);
    for (let k = 1; k < SWEEP_STEPS.length; k++) assert.ok(Math.abs(SWEEP_STEPS[k - 1] / SWEEP_STEPS[k] - Math.sqrt(10)) < 1e-4);
  });

  test("a correct softmax draws the V: slope 2 on the right (truncation ∝ h²), −1 on the left (rounding ∝ 1/h)", async () => {
    for (const file of [LECTURE, "examples/custom/softmax.gradnet.ts"]) {
      const s = sweep(await load(file), "p");
      assert.equal(s.verdict, "v", s.sentence);
      assert.ok(Math.abs(s.slopes.right - 2) < 0.15, `right slope ${s.slopes.right}`);
      assert.ok(Math.abs(s.slopes.left + 1) < 0.25, `left slope ${s.slopes.left}`);
      assert.ok(s.best.h >= 1e-7 && s.best.h <= 1e-4, `best h ${s.best.h}`);
      assert.ok(s.best.error < 1e-9 * s.scale);
      assert.match(s.sentence, /^The V of a correct gradient: truncation falls as h² .*the best step here is h ≈ 1e-\d/);
    }
  });

  test("the buggy softmax draws a flat floor far above the V: slope 0 in the middle", async () => {
    const s = sweep(await load(BUGGY_SOFTMAX), "p");
    assert.equal(s.verdict, "floor", s.sentence);
    assert.ok(Math.abs(s.slopes.middle) < 0.05 && Math.abs(s.slopes.right) < 0.2, JSON.stringify(s.slopes));
    assert.ok(s.best.error > 1e-2 * s.scale, `${s.best.error} vs scale ${s.scale}`);
    assert.match(s.sentence, /^A flat floor: .*the analytic Jacobian is wrong, not the step/);
    for (const file of readdirSync(join(root, "examples/buggy")).filter((f) => f.endsWith(".gradnet.ts"))) {
      const graph = await load(`examples/buggy/${file}`);
      const verdicts = graph.nodes.map((n) => sweep(graph, n.id).verdict);
      assert.equal(verdicts.filter((v) => v === "floor").length, 1, `${file}: ${verdicts.join(", ")}`);
    }
  });

  test("a linear layer has no truncation error: rounding only; a ReLU's kink shows at large h", async () => {
    const fc = sweep(await load(LECTURE), "fc");
    assert.equal(fc.verdict, "rounding-only", fc.sentence);
    assert.ok(Math.abs(fc.slopes.left + 1) < 0.25 && Math.abs(fc.slopes.right + 1) < 0.25);
    assert.equal(fc.best.h, 0.1);
    assert.equal(sweep(await load("examples/residual.gradnet.json"), "h").verdict, "kink");
  });

  test("an input or an unknown id is refused with the nodes there are", async () => {
    const graph = await load(LECTURE);
    assert.throws(() => sweep(graph, "x"), (e: unknown) => e instanceof NetworkError && /'x' is an input, not a node.*nodes: fc, p, loss/.test(e.message));
    assert.throws(() => sweep(graph, "nope"), (e: unknown) => e instanceof NetworkError && /no node 'nope'/.test(e.message));
  });
});
