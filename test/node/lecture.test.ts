/**
 * The lecture's worked examples, through the built-in ops' hand-written backwards,
 * chained by hand (upstream gradient × local gradient, layer by layer):
 * - softmax + cross-entropy with p = [0.3, 0.2, 0.5] and true class "2": dL/dl = p − y (÷ B over a batch);
 * - the weight update of linear → softmax → loss: ∂L/∂w_{j,i} = (p_j − y_j)·x_i;
 * - the regression model l = wx + b with squared error: dL/dw = 2x(wx + b − y).
 */
import { test, describe } from "node:test";
import assert from "node:assert/strict";
import { backwardOp, forwardOp } from "../../src/engine/graph.js";
import { builtinOps } from "../../src/engine/ops/index.js";
import type { OpDef } from "../../src/engine/op.js";
import { fromNested, toNested, type Nested, type Tensor } from "../../src/engine/tensor.js";

const op = (name: string): OpDef => builtinOps.get(name)!;
const ONE = fromNested(1); // dL/dL for a scalar loss

function assertClose(actual: Nested, expected: Nested, tol: number, where = ""): void {
  if (Array.isArray(expected)) {
    assert.ok(Array.isArray(actual) && actual.length === expected.length, `${where}: shape`);
    expected.forEach((e, i) => assertClose((actual as Nested[])[i], e, tol, `${where}[${i}]`));
  } else {
    assert.ok(Math.abs((actual as number) - expected) <= tol, `${where}: ${actual} ≠ ${expected} (tol ${tol})`);
  }
}

/** Forward then backward of one op, with the upstream gradient g. */
function step(name: string, inputs: Tensor[], g: Tensor | null, params: Record<string, Tensor> = {}, attrs = {}) {
  const o = op(name);
  const output = forwardOp(o, { inputs, params, attrs });
  const grads = g ? backwardOp(o, { inputs, params, attrs, output, gradOutput: g }) : undefined;
  return { output, grads };
}

// The lecture's example: p = [0.3, 0.2, 0.5] over classes "0", "1", "2"; the true class is "2".
const P = [0.3, 0.2, 0.5];
const CLASS = 2;
const oneHot = (a: number, C: number) => Array.from({ length: C }, (_, j) => (j === a ? 1 : 0));

describe("lecture: softmax + cross-entropy, dL/dl = p − y", () => {
  // Logits whose softmax is the lecture's p (any per-row constant would do).
  const logits = fromNested([P.map(Math.log)]);
  const y = fromNested([CLASS]);

  test("∂L/∂pₐ = −1/pₐ = −2 for pₐ = 0.5, and 0 for the other classes", () => {
    const { output: p } = step("softmax", [logits], null);
    assertClose(toNested(p), [P], 1e-15, "softmax(log p) = p");
    const { output: L, grads } = step("cross_entropy", [p, y], ONE);
    assertClose(toNested(L), -Math.log(0.5), 1e-15, "L = −log pₐ");
    assertClose(toNested(grads!.inputs![0]!), [[0, 0, -2]], 1e-12, "dL/dp");
  });

  test("∂pₐ/∂lⱼ = (1 − pⱼ)pₐ for j = a, −pⱼpₐ for j ≠ a: row a of softmax's Jacobian", () => {
    const { output: p } = step("softmax", [logits], null);
    const { grads } = step("softmax", [logits], fromNested([oneHot(CLASS, 3)]));
    const expected = P.map((pj, j) => (j === CLASS ? (1 - pj) * P[CLASS] : -pj * P[CLASS]));
    assertClose(toNested(grads!.inputs![0]!), [expected], 1e-12, "∂pₐ/∂l");
    assert.ok(p.data[CLASS] > 0);
  });

  test("softmax → cross_entropy backward chained by hand gives (p − y)/B to 1e-12 (B = 1 and B = 2)", () => {
    for (const [rows, labels] of [
      [[P], [CLASS]],
      [[P, [0.1, 0.6, 0.3]], [CLASS, 1]],
    ] as [number[][], number[]][]) {
      const B = rows.length;
      const l = fromNested(rows.map((r) => r.map(Math.log)));
      const yb = fromNested(labels);
      const { output: p } = step("softmax", [l], null);
      const dLdp = step("cross_entropy", [p, yb], ONE).grads!.inputs![0]!;
      const dLdl = step("softmax", [l], dLdp).grads!.inputs![0]!;
      const expected = rows.map((r, b) => r.map((pj, j) => (pj - oneHot(labels[b], 3)[j]) / B));
      assertClose(toNested(dLdl), expected, 1e-12, `B = ${B}`);
    }
  });

  test("the fused softmax_cross_entropy gives the same (p − y)/B to 1e-12", () => {
    const rows = [P, [0.1, 0.6, 0.3]], labels = [CLASS, 1], B = 2;
    const { output: L, grads } = step("softmax_cross_entropy", [fromNested(rows.map((r) => r.map(Math.log))), fromNested(labels)], ONE);
    assertClose(toNested(L), (-Math.log(0.5) - Math.log(0.6)) / 2, 1e-12, "L");
    const expected = rows.map((r, b) => r.map((pj, j) => (pj - oneHot(labels[b], 3)[j]) / B));
    assertClose(toNested(grads!.inputs![0]!), expected, 1e-12, "dL/dl");
    assert.equal(grads!.inputs![1], null, "labels get no gradient");
  });

  test("log_softmax → nll chained by hand gives the same p − y", () => {
    const l = fromNested([P.map(Math.log)]);
    const { output: logp } = step("log_softmax", [l], null);
    const dLdlogp = step("nll", [logp, y], ONE).grads!.inputs![0]!;
    const dLdl = step("log_softmax", [l], dLdlogp).grads!.inputs![0]!;
    assertClose(toNested(dLdl), [P.map((pj, j) => pj - oneHot(CLASS, 3)[j])], 1e-12, "dL/dl");
  });

  test("the weight update: ∂L/∂w_{j,i} = (p_j − y_j)·x_i through linear → softmax → cross_entropy", () => {
    const x = fromNested([[0.5, -1, 2]]);
    const W = fromNested([[0.1, 0.2, -0.3], [0.0, -0.1, 0.2], [0.3, 0.1, 0.1]]);
    const b = fromNested([0.05, -0.05, 0]);
    const lin = step("linear", [x], null, { W, b }, { units: 3 });
    const { output: p } = step("softmax", [lin.output], null);
    const dLdp = step("cross_entropy", [p, y], ONE).grads!.inputs![0]!;
    const dLdl = step("softmax", [lin.output], dLdp).grads!.inputs![0]!;
    const dW = step("linear", [x], dLdl, { W, b }, { units: 3 }).grads!.params!.W;
    const expected = [0, 1, 2].map((j) => [0, 1, 2].map((i) => (p.data[j] - oneHot(CLASS, 3)[j]) * x.data[i]));
    assertClose(toNested(dW), expected, 1e-12, "dL/dW");
  });
});

describe("lecture: regression l = wx + b, L = (y − l)², dL/dw = 2x(wx + b − y)", () => {
  test("one sample through linear + mse: dL/dw = 2x(wx + b − y), dL/db = 2(wx + b − y)", () => {
    const [xv, wv, bv, yv] = [1.5, 0.7, 0.2, 2];
    const x = fromNested([[xv]]), W = fromNested([[wv]]), b = fromNested([bv]), target = fromNested([[yv]]);
    const lin = step("linear", [x], null, { W, b }, { units: 1 });
    const { output: L, grads: mseGrads } = step("mse", [lin.output, target], ONE);
    assertClose(toNested(L), (yv - wv * xv - bv) ** 2, 1e-12, "L");
    const { grads } = step("linear", [x], mseGrads!.inputs![0]!, { W, b }, { units: 1 });
    assertClose(toNested(grads!.params!.W), [[2 * xv * (wv * xv + bv - yv)]], 1e-12, "dL/dw");
    assertClose(toNested(grads!.params!.b), [2 * (wv * xv + bv - yv)], 1e-12, "dL/db");
    assertClose(toNested(mseGrads!.inputs![1]!), [[-2 * (wv * xv + bv - yv)]], 1e-12, "dL/dy = −2(l − y)");
  });

  test("a batch of 3: the mean of the per-sample 2x(wx + b − y)", () => {
    const xs = [1.5, -0.5, 2], ys = [2, 0.3, -1], [wv, bv] = [0.7, 0.2];
    const x = fromNested(xs.map((v) => [v])), W = fromNested([[wv]]), b = fromNested([bv]);
    const lin = step("linear", [x], null, { W, b }, { units: 1 });
    const dLdl = step("mse", [lin.output, fromNested(ys.map((v) => [v]))], ONE).grads!.inputs![0]!;
    const dW = step("linear", [x], dLdl, { W, b }, { units: 1 }).grads!.params!.W;
    const expected = xs.reduce((s, xv, k) => s + 2 * xv * (wv * xv + bv - ys[k]), 0) / 3;
    assertClose(toNested(dW), [[expected]], 1e-12, "dL/dw");
  });
});
