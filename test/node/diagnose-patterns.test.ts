// Structured diagnoses (issue 9): the most specific true statement about a wrong Jacobian.
// One op per class of bug, checked locally on chosen values: a branch of a piecewise function
// (partial, "where x ≤ 0"), a mask not applied (sparsity), the off-diagonal's sign (partial,
// "the off-diagonal"), a few wrong entries (partial, "k of N entries"), a gain applied twice
// (a factor per column), a row never written — and, as honestly, no pattern where there is none.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { checkOpLocal } from "../../src/engine/check.js";
import { defineOp, type OpDef } from "../../src/engine/op.js";
import { map, tensor, zip, type Tensor } from "../../src/engine/tensor.js";
import type { JacobianReport } from "../../src/shared/report.js";

/** 12 pre-activations, negative and positive, none near a kink. */
const X = tensor([3, 4], [-1.3, 0.7, -0.4, 1.9, 0.25, -2.2, 1.1, -0.8, 2.6, -0.15, 0.45, -1.7]);

function elementwise(name: string, f: (x: number) => number, df: (x: number, y: number) => number): OpDef {
  return defineOp({
    name,
    forward: ({ inputs: [x] }) => map(x, f),
    backward: ({ inputs: [x], output: y, gradOutput: g }) => ({ inputs: [tensor(x.shape, x.data.map((v, i) => g.data[i] * df(v, y.data[i])))] }),
  });
}

function only(reports: JacobianReport[]): JacobianReport {
  assert.equal(reports.length, 1);
  return reports[0];
}

const elu = (x: number) => (x > 0 ? x : 0.7 * (Math.exp(x) - 1));

describe("branches of an elementwise op", () => {
  test("an ELU whose negative branch forgets α: partial, where x ≤ 0, saying how (a constant offset)", () => {
    const j = only(checkOpLocal(elementwise("elu", elu, (x, y) => (x > 0 ? 1 : y + 1)), { inputs: [X] }));
    assert.equal(j.status, "fail");
    assert.equal(j.diagnosis?.kind, "partial", j.diagnosis?.detail);
    assert.equal(j.diagnosis?.region, "where x ≤ 0");
    assert.match(j.diagnosis!.detail, /right where x > 0 but is the numeric one plus a constant 0\.3 where x ≤ 0/);
  });

  test("the positive branch wrong instead (a factor 2 there): partial, where x > 0, factor 2", () => {
    const j = only(checkOpLocal(elementwise("elu2", elu, (x, y) => (x > 0 ? 2 : y + 0.7)), { inputs: [X] }));
    assert.equal(j.diagnosis?.kind, "partial", j.diagnosis?.detail);
    assert.equal(j.diagnosis?.region, "where x > 0");
    assert.equal(j.diagnosis?.factor, 2);
  });

  test("a ReLU whose backward passes g everywhere: sparsity, where x ≤ 0 (non-zero where the numeric one is exactly 0)", () => {
    const j = only(checkOpLocal(elementwise("relu", (x) => Math.max(0, x), () => 1), { inputs: [X] }));
    assert.equal(j.diagnosis?.kind, "sparsity", j.diagnosis?.detail);
    assert.equal(j.diagnosis?.region, "where x ≤ 0");
    assert.match(j.diagnosis!.detail, /non-zero where the numeric one is exactly 0 where x ≤ 0/);
  });

  test("a hard sigmoid whose mask is missing: sparsity, where x ≤ −2 or x ≥ 2 (its flat ends)", () => {
    const hs = (x: number) => Math.min(1, Math.max(0, x / 4 + 0.5));
    const j = only(checkOpLocal(elementwise("hardSigmoid", hs, () => 0.25), { inputs: [map(X, (v) => 2 * v)] }));
    assert.equal(j.diagnosis?.kind, "sparsity", j.diagnosis?.detail);
    assert.equal(j.diagnosis?.region, "where x ≤ −2 or x ≥ 2");
  });

  test("a leaky ReLU that forgets its slope: zero where the numeric one is not, where x ≤ 0", () => {
    const j = only(checkOpLocal(elementwise("leaky", (x) => (x > 0 ? x : 0.1 * x), (x) => (x > 0 ? 1 : 0)), { inputs: [X] }));
    assert.equal(j.diagnosis?.kind, "sparsity", j.diagnosis?.detail);
    assert.equal(j.diagnosis?.region, "where x ≤ 0");
    assert.match(j.diagnosis!.detail, /zero where the numeric one is not/);
  });
});

/** Row-wise softmax; `offSign` flips the sign of every −pⱼpₖ. */
function softmax(offSign: number): OpDef {
  return defineOp({
    name: "softmax",
    forward: ({ inputs: [l] }) => {
      const [rows, cols] = l.shape;
      const out = new Float64Array(l.data.length);
      for (let r = 0; r < rows; r++) {
        let s = 0;
        for (let c = 0; c < cols; c++) s += (out[r * cols + c] = Math.exp(l.data[r * cols + c]));
        for (let c = 0; c < cols; c++) out[r * cols + c] /= s;
      }
      return tensor(l.shape, out);
    },
    backward: ({ output: p, gradOutput: g }) => {
      const [rows, cols] = p.shape;
      const dl = new Float64Array(p.data.length);
      for (let r = 0; r < rows; r++)
        for (let k = 0; k < cols; k++) {
          let s = 0;
          for (let j = 0; j < cols; j++) {
            const pj = p.data[r * cols + j], pk = p.data[r * cols + k];
            s += g.data[r * cols + j] * (j === k ? pj * (1 - pj) : offSign * -pj * pk);
          }
          dl[r * cols + k] = s;
        }
      return { inputs: [tensor(p.shape, dl)] };
    },
  });
}

describe("the diagonal and the off-diagonal judged apart", () => {
  test("softmax with −pⱼpₖ's sign flipped: partial, the off-diagonal, saying it is the sign", () => {
    const j = only(checkOpLocal(softmax(-1), { inputs: [X] }));
    assert.equal(j.diagnosis?.kind, "partial", j.diagnosis?.detail);
    assert.equal(j.diagnosis?.region, "the off-diagonal");
    assert.match(j.diagnosis!.detail, /diagonal right.*off-diagonal entries \(j ≠ k\) have the wrong sign/);
  });

  test("softmax with no off-diagonal at all stays missing-off-diagonal", () => {
    const j = only(checkOpLocal(softmax(0), { inputs: [X] }));
    assert.equal(j.diagnosis?.kind, "missing-off-diagonal");
  });

  test("the correct softmax passes", () => {
    assert.equal(only(checkOpLocal(softmax(1), { inputs: [X] })).status, "pass");
  });
});

/** y = (x / rms(x)) ⊙ w per row; `twice` applies the gain w once more in the cross term of the backward. */
function rmsNorm(twice: boolean): OpDef {
  const D = 4;
  const r = (x: Tensor, row: number) => 1 / Math.sqrt(x.data.slice(row, row + D).reduce((s, v) => s + v * v, 0) / D + 1e-6);
  return defineOp({
    name: "rmsNorm",
    params: { w: { shape: () => [D], init: "ones" } },
    forward: ({ inputs: [x], params: { w } }) => tensor(x.shape, x.data.map((v, i) => v * r(x, i - (i % D)) * w.data[i % D])),
    backward: ({ inputs: [x], params: { w }, gradOutput: g }) => {
      const dx = new Float64Array(x.data.length), dw = new Float64Array(D);
      for (let row = 0; row < x.data.length; row += D) {
        const rr = r(x, row);
        let s = 0;
        for (let i = 0; i < D; i++) s += g.data[row + i] * x.data[row + i] * w.data[i];
        for (let k = 0; k < D; k++) {
          dx[row + k] = g.data[row + k] * w.data[k] * rr - ((twice ? w.data[k] : 1) * rr ** 3 * x.data[row + k] * s) / D;
          dw[k] += g.data[row + k] * x.data[row + k] * rr;
        }
      }
      return { inputs: [tensor(x.shape, dx)], params: { w: tensor([D], dw) } };
    },
  });
}

describe("a factor per column, and a few wrong entries", () => {
  const w = tensor([4], [1.4, 0.6, 1.1, 0.8]);
  test("an RMS norm applying its gain twice: a scale on the off-diagonal, by wⱼ in column j; ∂/∂w is right", () => {
    const [dx, dw] = checkOpLocal(rmsNorm(true), { inputs: [X], params: { w } });
    assert.equal(dx.diagnosis?.kind, "scale", dx.diagnosis?.detail);
    assert.equal(dx.diagnosis?.region, "the off-diagonal");
    assert.match(dx.diagnosis!.detail, /wⱼ times the numeric one in column j/);
    assert.equal(dw.status, "pass");
  });

  test("with the gain at exactly 1 the same bug cannot show (the constant-parameter note is for this)", () => {
    const reports = checkOpLocal(rmsNorm(true), { inputs: [X], params: { w: tensor([4], [1, 1, 1, 1]) } });
    assert.ok(reports.every((j) => j.status === "pass"));
  });

  test("one wrong entry among 24: partial, 1 of N entries, naming it", () => {
    const op = defineOp({
      name: "oneOff",
      forward: ({ inputs: [x] }) => map(x, (v) => 3 * v),
      backward: ({ gradOutput: g }) => ({ inputs: [tensor(g.shape, g.data.map((v, i) => (i === 5 ? 1.5 : 3) * v))] }),
    });
    const j = only(checkOpLocal(op, { inputs: [tensor([4, 6], Array.from({ length: 24 }, (_, i) => Math.sin(i + 1)))] }));
    assert.equal(j.diagnosis?.kind, "partial", j.diagnosis?.detail);
    assert.equal(j.diagnosis?.region, "1 of 24 entries");
    assert.equal(j.diagnosis?.factor, 0.5);
    assert.match(j.diagnosis!.detail, /input1\[0, 5\]/);
  });

  test("a backward that never writes its last row: sparsity, naming the outputs", () => {
    const op = defineOp({
      name: "lastRowLost",
      forward: ({ inputs: [x] }) => map(x, (v) => v * v),
      backward: ({ inputs: [x], gradOutput: g }) => ({ inputs: [tensor(x.shape, x.data.map((v, i) => (i >= 8 ? 0 : 2 * v * g.data[i])))] }),
    });
    const j = only(checkOpLocal(op, { inputs: [X] }));
    assert.equal(j.diagnosis?.kind, "sparsity", j.diagnosis?.detail);
    assert.match(j.diagnosis!.detail, /zero where the numeric one is not.*input1\[2, :\]/);
  });
});

describe("no pattern where there is none", () => {
  test("errors of a few percent with no structure: mismatch, never a made-up region or factor", () => {
    let seed = 7;
    const noise = () => ((seed = (seed * 16807) % 2147483647) / 2147483647 - 0.5) * 0.4;
    const table = Array.from({ length: 12 }, () => 1 + noise());
    const op = elementwise("noisyTanh", Math.tanh, (x, y) => (1 - y * y) * table[X.data.indexOf(x)]);
    const j = only(checkOpLocal(op, { inputs: [X] }));
    assert.equal(j.diagnosis?.kind, "mismatch", j.diagnosis?.detail);
    assert.equal(j.diagnosis?.region, undefined);
    assert.match(j.diagnosis!.detail, /no single factor, sign, zero pattern or region/);
  });

  test("a sigmoid derivative taken of the input: mismatch, saying the formula was evaluated at x instead of y", () => {
    const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));
    const j = only(checkOpLocal(elementwise("sigmoid", sigmoid, (x) => x * (1 - x)), { inputs: [X] }));
    assert.equal(j.diagnosis?.kind, "mismatch");
    assert.match(j.diagnosis!.detail, /y\(1 − y\) of the output y, but the analytic one is that formula evaluated at the input x/);
  });

  test("a two-input op right in one input and sign-flipped in the other says which", () => {
    const div = defineOp({
      name: "div",
      forward: ({ inputs: [a, b] }) => zip(a, b, (x, y) => x / y),
      backward: ({ inputs: [a, b], gradOutput: g }) => ({ inputs: [zip(g, b, (gi, y) => gi / y), tensor(a.shape, a.data.map((x, i) => (g.data[i] * x) / (b.data[i] * b.data[i])))] }),
    });
    const b = map(X, (v) => 1.5 + Math.abs(v));
    const reports = checkOpLocal(div, { inputs: [X, b] });
    assert.equal(reports[0].status, "pass");
    assert.equal(reports[1].diagnosis?.kind, "sign");
  });
});
