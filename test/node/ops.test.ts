/**
 * The built-in ops: the registry (every op once, with exactly one backward), forward
 * values against numbers worked by hand, shape errors, and every backward proven
 * by the engine's own local checker (checkOpLocal) over many random shapes and seeds.
 */
import { test, describe } from "node:test";
import assert from "node:assert/strict";
import { backwardOp, callOp, forwardOp } from "../../src/engine/graph.js";
import { existsSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { builtinOpList, builtinOpNames, builtinOps, registerOps } from "../../src/engine/ops/index.js";
import { checkOpLocal } from "../../src/engine/check.js";
import { ShapeError, type Attrs, type OpDef } from "../../src/engine/op.js";
import { Rng } from "../../src/engine/random.js";
import { fromNested, toNested, sizeOf, type Nested, type Tensor } from "../../src/engine/tensor.js";
import { erf, erfc } from "../../src/engine/ops/erf.js";

const op = (name: string): OpDef => {
  const o = builtinOps.get(name);
  assert.ok(o, `op ${name} is registered`);
  return o;
};

const run = (name: string, inputs: Nested[], attrs: Attrs = {}, params: Record<string, Nested> = {}): Nested =>
  toNested(
    forwardOp(op(name), {
      inputs: inputs.map(fromNested),
      attrs,
      params: Object.fromEntries(Object.entries(params).map(([k, v]) => [k, fromNested(v)])),
    }),
  );

function assertClose(actual: Nested, expected: Nested, tol = 1e-12, where = ""): void {
  if (Array.isArray(expected)) {
    assert.ok(Array.isArray(actual), `${where}: expected an array, got ${actual}`);
    assert.equal(actual.length, expected.length, `${where}: length`);
    expected.forEach((e, i) => assertClose(actual[i], e, tol, `${where}[${i}]`));
  } else {
    assert.equal(typeof actual, "number", `${where}: expected a number`);
    assert.ok(Math.abs((actual as number) - expected) <= tol * Math.max(1, Math.abs(expected)), `${where}: ${actual} ≠ ${expected}`);
  }
}

// ------------------------------------------------------------------ registry

// The list in DESIGN.md, "Built-in ops".
const DESIGN_OPS = [
  "linear", "matmul", "add", "sub", "mul", "relu", "leaky_relu", "sigmoid", "tanh", "exp", "log", "softplus",
  "softmax", "log_softmax", "cross_entropy", "softmax_cross_entropy", "nll", "mse", "sum", "mean", "reshape",
  "transpose", "concat", "layer_norm", "batch_norm", "conv2d", "max_pool2d",
];

// Issue 10's ops of a transformer block (DESIGN.md names them in "Network language" by example only).
// The language ops of issue 10 (multi-output split, dropout with the forward's seeded rng).
const ISSUE_10_OPS = ["split", "dropout"];

const TRANSFORMER_OPS = [
  "gelu", "silu", "elu", "div", "pow", "sqrt", "abs", "clamp", "maximum", "minimum", "scale", "where", "slice",
  "embedding", "rms_norm", "attention",
];

describe("registry", () => {
  test("every op named in DESIGN.md and issue 10 is registered, and nothing else", () => {
    assert.deepEqual([...builtinOpNames].sort(), [...DESIGN_OPS, ...TRANSFORMER_OPS, ...ISSUE_10_OPS].sort());
  });

  test("the op list above is DESIGN.md's: every backticked name of its \"Built-in ops\" paragraph", (t) => {
    const design = fileURLToPath(new URL("../../../shared/DESIGN.md", import.meta.url));
    if (!existsSync(design)) return t.skip("DESIGN.md is not beside the repository");
    const text = readFileSync(design, "utf8");
    const start = text.indexOf("Built-in ops");
    const paragraph = text.slice(start, text.indexOf("\n\n", start));
    const names = [...paragraph.matchAll(/`([a-z_0-9]+)`/g)].map((m) => m[1]);
    assert.deepEqual([...new Set(names)].sort(), [...DESIGN_OPS].sort());
  });

  test("no name is registered twice", () => {
    assert.equal(new Set(builtinOpList.map((o) => o.name)).size, builtinOpList.length);
    assert.equal(builtinOps.size, builtinOpList.length);
  });

  test("registering a name twice throws", () => {
    assert.throws(() => registerOps([op("relu"), op("tanh"), op("relu")]), /relu.*registered twice/);
  });

  test("every op has exactly one backward (backward xor jacobian)", () => {
    for (const o of builtinOpList) {
      assert.ok(Boolean(o.backward) !== Boolean(o.jacobian), `${o.name}: exactly one of backward / jacobian`);
      assert.equal(typeof o.backward, "function", `${o.name}: built-ins carry a hand-written backward`);
    }
  });

  test("every op carries builtin, a one-line summary, a formula, an arity and documented attrs", () => {
    for (const o of builtinOpList) {
      assert.equal(o.builtin, true, o.name);
      assert.ok(o.summary && !o.summary.includes("\n"), `${o.name}: summary`);
      assert.ok(o.formula && o.formula.length > 5, `${o.name}: formula`);
      assert.ok(o.arity !== undefined, `${o.name}: arity`);
      // A multi-output op declares each output's shape instead.
      assert.equal(typeof (o.outputs ? o.outputShapes : o.outputShape), "function", `${o.name}: ${o.outputs ? "outputShapes" : "outputShape"}`);
      for (const [k, spec] of Object.entries(o.attrs ?? {})) assert.ok(spec.doc.length > 5, `${o.name}.${k}: doc`);
    }
  });

  test("id inputs: embedding takes integer ids as input 1; nothing else does", () => {
    for (const o of builtinOpList) assert.deepEqual(o.idInputs, o.name === "embedding" ? [0] : undefined, o.name);
  });

  test("label inputs: cross_entropy, nll, softmax_cross_entropy mark input 1; nothing else has labels", () => {
    for (const o of builtinOpList) {
      const expected = ["cross_entropy", "nll", "softmax_cross_entropy"].includes(o.name) ? [1] : undefined;
      assert.deepEqual(o.labelInputs, expected, o.name);
    }
  });
});

// ------------------------------------------------------------------ forward values

describe("forward values", () => {
  test("linear: y = x·Wᵀ + b on a [1, 3] row with W [2, 3]", () => {
    const y = run("linear", [[[1, 2, 3]]], { units: 2 }, { W: [[1, 0, -1], [2, 1, 0]], b: [0.5, -1] });
    assertClose(y, [[-1.5, 3]]);
  });

  test("linear: bias false ignores b; x [B, T, in] maps every row", () => {
    const y = run("linear", [[[[1, 1]], [[2, 0]]]], { units: 1, bias: false }, { W: [[3, 4]], b: [100] });
    assertClose(y, [[[7]], [[6]]]);
  });

  test("matmul: [2, 3]·[3, 2] and a batch with a shared B", () => {
    assertClose(run("matmul", [[[1, 2, 3], [4, 5, 6]], [[1, 0], [0, 1], [1, 1]]]), [[4, 5], [10, 11]]);
    assertClose(run("matmul", [[[[1, 2]], [[3, 4]]], [[1], [1]]]), [[[3]], [[7]]]);
  });

  test("add/sub/mul: same shape and trailing-dims broadcast [B, H] with [H] and a scalar []", () => {
    assertClose(run("add", [[[1, 2], [3, 4]], [10, 20]]), [[11, 22], [13, 24]]);
    assertClose(run("sub", [[[1, 2], [3, 4]], [[1, 1], [1, 1]]]), [[0, 1], [2, 3]]);
    assertClose(run("mul", [[[1, 2], [3, 4]], [2, -1]]), [[2, -2], [6, -4]]);
    assertClose(run("mul", [[1, 2, 3], 10]), [10, 20, 30]);
  });

  test("relu and leaky_relu: negative, zero, positive", () => {
    assertClose(run("relu", [[-1, 0, 2]]), [0, 0, 2]);
    assertClose(run("leaky_relu", [[-1, 0, 2]]), [-0.01, 0, 2]);
    assertClose(run("leaky_relu", [[-1, 0, 2]], { slope: 0.2 }), [-0.2, 0, 2]);
  });

  test("sigmoid, tanh, exp, log, softplus: known values, no overflow at ±1000", () => {
    assertClose(run("sigmoid", [[0, 1000, -1000, 2]]), [0.5, 1, 0, 1 / (1 + Math.exp(-2))]);
    assertClose(run("tanh", [[0, 0.5]]), [0, Math.tanh(0.5)]);
    assertClose(run("exp", [[0, 1]]), [1, Math.E]);
    assertClose(run("log", [[1, Math.E]]), [0, 1]);
    assertClose(run("softplus", [[0, 1000, -1000, 1]]), [Math.LN2, 1000, 0, Math.log(1 + Math.E)]);
  });

  test("softmax: the lecture's pⱼ = e^(lⱼ)/Σe^(lₖ), stable for large logits, along any axis", () => {
    const e = [1, 2, 3].map(Math.exp), z = e[0] + e[1] + e[2];
    assertClose(run("softmax", [[[1, 2, 3]]]), [e.map((v) => v / z)]);
    assertClose(run("softmax", [[[1000, 1000]]]), [[0.5, 0.5]]);
    // axis 0 of [[0, 0], [ln 3, 0]]: columns normalised.
    assertClose(run("softmax", [[[0, 0], [Math.log(3), 0]]], { axis: 0 }), [[0.25, 0.5], [0.75, 0.5]]);
    assertClose(run("softmax", [[[0, 0], [Math.log(3), 0]]], { axis: -2 }), [[0.25, 0.5], [0.75, 0.5]]);
  });

  test("log_softmax equals log(softmax), also for logits that would overflow e^x", () => {
    const p = run("softmax", [[[1, 2, 3]]]) as number[][];
    assertClose(run("log_softmax", [[[1, 2, 3]]]), [p[0].map(Math.log)]);
    assertClose(run("log_softmax", [[[1000, 1000]]]), [[-Math.LN2, -Math.LN2]]);
  });

  test("cross_entropy, softmax_cross_entropy, nll: the lecture's p = [0.3, 0.2, 0.5], class 2 → −log 0.5", () => {
    const p = [[0.3, 0.2, 0.5], [0.1, 0.6, 0.3]], y = [2, 1];
    const expected = (-Math.log(0.5) - Math.log(0.6)) / 2;
    assertClose(run("cross_entropy", [p, y]), expected);
    assertClose(run("nll", [p.map((r) => r.map(Math.log)), y]), expected);
    // logits = log p + any per-row constant give back p under softmax.
    assertClose(run("softmax_cross_entropy", [p.map((r) => r.map((v) => Math.log(v) + 7)), y]), expected, 1e-12);
  });

  test("loss labels must be class indices in [0, C)", () => {
    assert.throws(() => run("cross_entropy", [[[0.5, 0.5]], [2]]), /label y\[0\] = 2 .*\[0, 2\)/);
    assert.throws(() => run("nll", [[[0.5, 0.5]], [0.5]]), RangeError);
    assert.throws(() => run("softmax_cross_entropy", [[[0.5, 0.5]], [-1]]), RangeError);
  });

  test("mse: mean of squared differences over every entry", () => {
    assertClose(run("mse", [[[1, 2], [3, 4]], [[0, 0], [3, 2]]]), (1 + 4 + 0 + 4) / 4);
  });

  test("sum and mean: everything to [], or one axis (negative allowed)", () => {
    const x = [[1, 2, 3], [4, 5, 6]];
    assertClose(run("sum", [x]), 21);
    assertClose(run("mean", [x]), 3.5);
    assertClose(run("sum", [x], { axis: 0 }), [5, 7, 9]);
    assertClose(run("mean", [x], { axis: -1 }), [2, 5]);
    assert.deepEqual(op("sum").outputShape!({ inputShapes: [[2, 3, 4]], attrs: { axis: 1 } }), [2, 4]);
    assert.deepEqual(op("mean").outputShape!({ inputShapes: [[2, 3, 4]], attrs: {} }), []);
  });

  test("reshape infers one −1 and keeps row-major order", () => {
    assertClose(run("reshape", [[[1, 2, 3], [4, 5, 6]]], { shape: [3, -1] }), [[1, 2], [3, 4], [5, 6]]);
    assertClose(run("reshape", [[[1, 2], [3, 4]]], { shape: [4] }), [1, 2, 3, 4]);
  });

  test("transpose: default swaps the last two axes; perm moves axis perm[i] to i", () => {
    assertClose(run("transpose", [[[1, 2, 3], [4, 5, 6]]]), [[1, 4], [2, 5], [3, 6]]);
    // x [1, 2, 3] with perm [2, 0, 1] → [3, 1, 2]: out[k][0][i] = x[0][i][k].
    assertClose(run("transpose", [[[[1, 2, 3], [4, 5, 6]]]], { perm: [2, 0, 1] }), [[[1, 4]], [[2, 5]], [[3, 6]]]);
  });

  test("concat: along the last axis by default, or axis 0, three inputs", () => {
    assertClose(run("concat", [[[1], [2]], [[3, 4], [5, 6]]]), [[1, 3, 4], [2, 5, 6]]);
    assertClose(run("concat", [[[1, 2]], [[3, 4]], [[5, 6]]], { axis: 0 }), [[1, 2], [3, 4], [5, 6]]);
  });

  test("layer_norm: row [1, 2, 3] → (x − 2)/√(2/3 + eps), then γ, β", () => {
    const s = Math.sqrt(2 / 3 + 1e-5);
    assertClose(run("layer_norm", [[[1, 2, 3]]], {}, { gamma: [1, 1, 1], beta: [0, 0, 0] }), [[-1 / s, 0, 1 / s]]);
    assertClose(run("layer_norm", [[[1, 2, 3]]], {}, { gamma: [2, 1, 1], beta: [0, 5, 0] }), [[-2 / s, 5, 1 / s]]);
  });

  test("batch_norm: statistics over the batch per feature, and over B, H, W per channel", () => {
    const s = Math.sqrt(1 + 1e-5);
    assertClose(run("batch_norm", [[[1, 10], [3, 10]]], {}, { gamma: [1, 1], beta: [0, 0.5] }), [[-1 / s, 0.5], [1 / s, 0.5]]);
    // [B=1, C=1, 2, 2]: mean 2.5, var 1.25.
    const s4 = Math.sqrt(1.25 + 1e-5);
    assertClose(run("batch_norm", [[[[[1, 2], [3, 4]]]]], {}, { gamma: [1], beta: [0] }), [[[[-1.5 / s4, -0.5 / s4], [0.5 / s4, 1.5 / s4]]]]);
  });

  test("conv2d: 3×3 image, 2×2 ones kernel; stride 2 with padding 1; bias added per filter", () => {
    const x = [[[[1, 2, 3], [4, 5, 6], [7, 8, 9]]]];
    const W = [[[[1, 1], [1, 1]]]];
    assertClose(run("conv2d", [x], { filters: 1, kernel: 2 }, { W, b: [0] }), [[[[12, 16], [24, 28]]]]);
    assertClose(run("conv2d", [x], { filters: 1, kernel: 2, stride: 2, padding: 1 }, { W, b: [1] }), [[[[2, 6], [12, 29]]]]);
    // A [kh, kw] = [1, 2] kernel [[1, −1]] without bias: horizontal differences.
    assertClose(run("conv2d", [x], { filters: 1, kernel: [1, 2], bias: false }, { W: [[[[1, -1]]]] }), [[[[-1, -1], [-1, -1], [-1, -1]]]]);
  });

  test("split: parts along the last axis named \"0\", \"1\"…; along another axis; named parts", () => {
    const x = fromNested([[1, 2, 3, 4], [5, 6, 7, 8]]);
    const parts = callOp(op("split"), { inputs: [x], attrs: { sizes: [1, 3] } }).outputs.map(toNested);
    assert.deepEqual(parts, [[[1], [5]], [[2, 3, 4], [6, 7, 8]]]);
    assert.deepEqual(callOp(op("split"), { inputs: [x], attrs: { sizes: [1, 1], axis: 0, names: ["top", "bottom"] } }).outputs.map(toNested), [[[1, 2, 3, 4]], [[5, 6, 7, 8]]]);
    assert.deepEqual((op("split").outputs as (a: Attrs) => string[])({ sizes: [2, 2, 2] }), ["0", "1", "2"]);
    assert.deepEqual((op("split").outputs as (a: Attrs) => string[])({ sizes: [2, 2], names: ["i", "f"] }), ["i", "f"]);
  });

  test("split: backward puts each part's gradient where it came from; an unread part's zero stays zero", () => {
    const x = fromNested([[1, 2, 3], [4, 5, 6]]);
    const back = backwardOp(op("split"), {
      inputs: [x], attrs: { sizes: [2, 1] }, output: x, gradOutput: x,
      gradOutputs: { 0: fromNested([[1, 2], [3, 4]]), 1: fromNested([[0], [0]]) },
    });
    assert.deepEqual(toNested(back.inputs![0]!), [[1, 2, 0], [3, 4, 0]]);
  });

  test("dropout: p 0 is the identity; else kept entries scaled by 1/(1 − p), the rest 0, about p dropped", () => {
    const x = fromNested(Array.from({ length: 400 }, (_, i) => 1 + i / 100));
    assert.deepEqual(toNested(forwardOp(op("dropout"), { inputs: [x], attrs: { p: 0 } })), toNested(x));
    const y = forwardOp(op("dropout"), { inputs: [x], attrs: { p: 0.25 } }, 7);
    let dropped = 0;
    y.data.forEach((v, i) => {
      if (v === 0) dropped++;
      else assertClose(v, x.data[i] / 0.75, 1e-15, `entry ${i}`);
    });
    assert.ok(dropped > 70 && dropped < 130, `${dropped} of 400 dropped, p = 0.25`);
  });

  test("dropout: the mask is the seed's — the same on every call with one seed, another with another seed", () => {
    const x = fromNested(Array.from({ length: 64 }, () => 1));
    const mask = (seed: number) => Array.from(forwardOp(op("dropout"), { inputs: [x], attrs: { p: 0.5 } }, seed).data);
    assert.deepEqual(mask(3), mask(3));
    assert.notDeepEqual(mask(3), mask(4));
    const { outputs, saved } = callOp(op("dropout"), { inputs: [x], attrs: { p: 0.5 } }, 3);
    assert.deepEqual(Array.from(saved as Float64Array), Array.from(outputs[0].data), "saved: m/(1 − p) (x is all ones)");
  });

  test("max_pool2d: 2×2 windows (stride = kernel), and overlapping windows with stride 1", () => {
    const x = [[[[1, 5, 2, 0], [3, 4, 8, 1], [0, 0, 1, 2], [9, 0, 3, 4]]]];
    assertClose(run("max_pool2d", [x], { kernel: 2 }), [[[[5, 8], [9, 4]]]]);
    assertClose(run("max_pool2d", [[[[[1, 2, 3], [4, 5, 6]]]]], { kernel: [2, 2], stride: 1 }), [[[[5, 6]]]]);
  });

  test("erf and erfc: within 1e-15 (erf) and 1e-13 (erfc) relative of Python's math.erf / math.erfc", () => {
    // [x, math.erf(x), math.erfc(x)] from Python 3, around the switch at |x| = 1.5 and into erfc's tail.
    const table: [number, number, number][] = [
      [-30, -1, 2], [-6, -1, 2], [-3.2, -0.9999939742388483, 1.9999939742388482], [-1.5, -0.9661051464753108, 1.9661051464753108],
      [-1.4999, -0.9660932516622953, 1.9660932516622953], [-0.7, -0.6778011938374184, 1.6778011938374184],
      [-1e-9, -1.1283791670955127e-9, 1.0000000011283792], [0, 0, 1], [1e-12, 1.1283791670955126e-12, 0.9999999999988716],
      [0.3, 0.3286267594591274, 0.6713732405408726], [1, 0.8427007929497149, 0.15729920705028513],
      [1.4999, 0.9660932516622953, 0.03390674833770473], [1.5, 0.9661051464753108, 0.033894853524689274],
      [2.2, 0.9981371537020182, 0.0018628462979818894], [3, 0.9999779095030014, 2.2090496998585438e-5],
      [4.5, 0.9999999998033839, 1.9661604415428873e-10], [6, 1, 2.1519736712498916e-17], [9, 1, 4.13703174651381e-37],
      [15, 1, 7.212994172451206e-100], [26.5, 1, 2.2109076642637343e-307],
    ];
    for (const [x, e, c] of table) {
      assert.ok(Math.abs(erf(x) - e) <= 1e-15 * Math.abs(e), `erf(${x}) = ${erf(x)}, Python ${e}`);
      assert.ok(Math.abs(erfc(x) - c) <= 1e-13 * c, `erfc(${x}) = ${erfc(x)}, Python ${c}`);
    }
    assert.equal(erf(Infinity), 1);
    assert.equal(erfc(-Infinity), 2);
    assert.ok(Number.isNaN(erf(NaN)));
  });

  test("gelu: x·Φ(x) exactly (Python's values), and the tanh form", () => {
    assertClose(run("gelu", [[0, 1, -1, 3, -10]]), [0, 0.8413447460685429, -0.15865525393145707, 2.99595030590511, -7.619853024160593e-23], 1e-14);
    assertClose(run("gelu", [[1, -1]], { approximate: "tanh" }), [0.8411919906082768, -0.15880800939172324], 1e-14);
    assertClose(run("gelu", [[1000, -1000]]), [1000, 0]);
  });

  test("silu, elu: known values; elu's alpha", () => {
    assertClose(run("silu", [[0, 1, -1000]]), [0, 1 / (1 + Math.exp(-1)), 0]);
    assertClose(run("elu", [[-1, 0, 2]]), [Math.exp(-1) - 1, 0, 2]);
    assertClose(run("elu", [[-1, 2]], { alpha: 2 }), [2 * (Math.exp(-1) - 1), 2]);
  });

  test("sqrt, abs, pow, scale, clamp", () => {
    assertClose(run("sqrt", [[4, 0, 2.25]]), [2, 0, 1.5]);
    assertClose(run("abs", [[-2, 0, 3]]), [2, 0, 3]);
    assertClose(run("pow", [[-2, 3, 4]], { exponent: 3 }), [-8, 27, 64]);
    assertClose(run("pow", [[4, 0.25]], { exponent: -0.5 }), [0.5, 2]);
    assertClose(run("pow", [[0, -3]], { exponent: 0 }), [1, 1]);
    assertClose(run("scale", [[[1, -2]]], { factor: 0.5 }), [[0.5, -1]]);
    assertClose(run("clamp", [[-3, -0.5, 0.2, 9]], { min: -1, max: 1 }), [-1, -0.5, 0.2, 1]);
    assertClose(run("clamp", [[-3, 9]], { min: 0 }), [0, 9]);
    assertClose(run("clamp", [[-3, 9]], { max: 0 }), [-3, 0]);
  });

  test("div, maximum, minimum: same shape and trailing-dims broadcast; a NaN comes through", () => {
    assertClose(run("div", [[[1, 2], [3, 4]], [2, -4]]), [[0.5, -0.5], [1.5, -1]]);
    assertClose(run("maximum", [[[1, 5], [3, -4]], [2, 0]]), [[2, 5], [3, 0]]);
    assertClose(run("minimum", [[[1, 5], [3, -4]], [2, 0]]), [[1, 0], [2, -4]]);
    assertClose(run("maximum", [[1, 2, 3], 2]), [2, 2, 3]);
    const nan = forwardOp(op("maximum"), { inputs: [fromNested([NaN, 1]), fromNested([0, NaN])] });
    assert.ok(Number.isNaN(nan.data[0]) && Number.isNaN(nan.data[1]), `maximum(NaN, ·) = ${nan.data}`);
  });

  test("where: a where mask > 0, b elsewhere; mask and b broadcast over a's leading dims", () => {
    assertClose(run("where", [[[1, 0], [0, 1]], [[1, 2], [3, 4]], [[10, 20], [30, 40]]]), [[1, 20], [30, 4]]);
    assertClose(run("where", [[1, 0], [[1, 2], [3, 4]], -100]), [[1, -100], [3, -100]]);
    assertClose(run("where", [[[-0.5, 2]], [[1, 2]], [7, 8]]), [[7, 2]]);
  });

  test("slice: Python's x[start:end:step] along an axis, negative indices, clamped ends", () => {
    const x = [[0, 1, 2, 3, 4], [5, 6, 7, 8, 9]];
    assertClose(run("slice", [x], { start: 1, end: 4 }), [[1, 2, 3], [6, 7, 8]]);
    assertClose(run("slice", [x], { start: -2 }), [[3, 4], [8, 9]]);
    assertClose(run("slice", [x], { start: 0, end: 100, step: 2 }), [[0, 2, 4], [5, 7, 9]]);
    assertClose(run("slice", [x], { axis: 0, start: 1, end: 2 }), [[5, 6, 7, 8, 9]]);
    assertClose(run("slice", [x], { end: -3 }), [[0, 1], [5, 6]]);
  });

  test("embedding: rows of the table by id, for ids of any shape; an id outside the table is an error", () => {
    const table = [[0, 1], [10, 11], [20, 21]];
    assertClose(run("embedding", [[[2, 0, 2]]], { num: 3, dim: 2 }, { table }), [[[20, 21], [0, 1], [20, 21]]]);
    assertClose(run("embedding", [[1]], { num: 3, dim: 2 }, { table }), [[10, 11]]);
    assert.throws(() => run("embedding", [[3]], { num: 3, dim: 2 }, { table }), /id 3 at position 0 is not a row of the table \[0, 3\)/);
    assert.throws(() => run("embedding", [[0.5]], { num: 3, dim: 2 }, { table }), RangeError);
  });

  test("rms_norm: row [3, 4] → x/√(12.5 + eps), then γ", () => {
    const r = Math.sqrt(12.5 + 1e-5);
    assertClose(run("rms_norm", [[[3, 4]]], {}, { gamma: [1, 2] }), [[3 / r, 8 / r]]);
    assertClose(run("rms_norm", [[[3, 4]]], { eps: 0 }, { gamma: [1, 1] }), [[3 / Math.sqrt(12.5), 4 / Math.sqrt(12.5)]]);
  });

  test("attention: one query on two keys by hand; causal hides later keys; an additive mask", () => {
    // q = [1, 0], k = [[1, 0], [0, 1]] with d = 2: scores [1/√2, 0], so p = softmax → weights on v's rows.
    const s = 1 / Math.SQRT2, p0 = Math.exp(s) / (Math.exp(s) + 1);
    assertClose(run("attention", [[[1, 0]], [[1, 0], [0, 1]], [[10], [20]]]), [[10 * p0 + 20 * (1 - p0)]]);
    // Causal, two queries: the first sees only key 0 (its value), the second both.
    const q = [[[1, 0], [1, 0]]], k = [[[1, 0], [0, 1]]], v = [[[10], [20]]];
    assertClose(run("attention", [q, k, v], { causal: true }), [[[10], [10 * p0 + 20 * (1 - p0)]]]);
    // A mask of −1e9 on key 1 is the same as hiding it; 0 changes nothing.
    assertClose(run("attention", [q, k, v, [[0, -1e9], [0, 0]]]), [[[10], [10 * p0 + 20 * (1 - p0)]]]);
  });

});

// ------------------------------------------------------------------ shape errors

describe("shape errors name both shapes and the offending input", () => {
  const shapeError = (name: string, inputShapes: number[][], attrs: Attrs, pattern: RegExp, inputIndex: number | undefined) => {
    assert.throws(
      () => op(name).outputShape!({ inputShapes, attrs }),
      (e: unknown) => e instanceof ShapeError && pattern.test(e.message) && e.inputIndex === inputIndex,
      `${name} ${JSON.stringify(inputShapes)}`,
    );
  };

  test("add: [3, 4] with [3] is not a trailing suffix", () => shapeError("add", [[3, 4], [3]], {}, /\[3, 4\].*\[3\]/, 1));
  test("mul: [4] with [3, 4] (broadcast only of the second operand)", () => shapeError("mul", [[4], [3, 4]], {}, /\[4\].*\[3, 4\]/, 1));
  test("matmul: [2, 3] with [4, 5]", () => shapeError("matmul", [[2, 3], [4, 5]], {}, /\[2, 3\].*\[4, 5\]/, 1));
  test("cross_entropy: labels [3] against p [4, 3]", () => shapeError("cross_entropy", [[4, 3], [3]], {}, /\[4\].*\[4, 3\].*\[3\]/, 1));
  test("mse: pred [4, 1] against target [4]", () => shapeError("mse", [[4, 1], [4]], {}, /\[4, 1\].*\[4\]/, 1));
  test("softmax: axis 2 of a rank-2 x", () => shapeError("softmax", [[4, 3]], { axis: 2 }, /axis 2.*\[4, 3\]/, 0));
  test("reshape: 12 entries cannot become [5, -1]", () => shapeError("reshape", [[3, 4]], { shape: [5, -1] }, /\[3, 4\].*\[5, -1\]/, 0));
  test("transpose: perm of the wrong length", () => shapeError("transpose", [[2, 3, 4]], { perm: [1, 0] }, /\[1, 0\].*\[2, 3, 4\]/, 0));
  test("concat: input 1 differs off the concat axis", () => shapeError("concat", [[2, 3], [4, 3]], { axis: 1 }, /\[2, 3\].*\[4, 3\]/, 1));
  test("conv2d: kernel larger than the image", () => shapeError("conv2d", [[1, 1, 2, 2]], { filters: 1, kernel: 3 }, /\[3, 3\].*\[1, 1, 2, 2\]/, 0));
  test("conv2d: x must be [B, C, H, W]", () => shapeError("conv2d", [[4, 3]], { filters: 1, kernel: 1 }, /\[4, 3\]/, 0));
  test("max_pool2d: kernel larger than the image", () => shapeError("max_pool2d", [[1, 1, 2, 5]], { kernel: 3 }, /\[1, 1, 2, 5\]/, 0));
  test("split: sizes that do not add up to the axis", () => {
    assert.throws(() => op("split").outputShapes!({ inputShapes: [[2, 6]], attrs: { sizes: [4, 4] } }),
      (e: unknown) => e instanceof ShapeError && /split's "sizes" \[4, 4\] add up to 8, but x \[2, 6\] has 6 along axis 1/.test(e.message) && e.inputIndex === 0);
    assert.throws(() => op("split").outputShapes!({ inputShapes: [[2, 6]], attrs: { sizes: [3, 3], names: ["a"] } }), /split's "names" gives 1 names for the 2 parts/);
  });

  test("div: [4] with [3, 4]", () => shapeError("div", [[4], [3, 4]], {}, /\[4\].*\[3, 4\]/, 1));
  test("maximum: [3, 4] with [3]", () => shapeError("maximum", [[3, 4], [3]], {}, /\[3, 4\].*\[3\]/, 1));
  test("where: a mask that is not a suffix of a's shape", () => shapeError("where", [[3], [2, 4], [2, 4]], {}, /mask \[3\].*\[2, 4\]/, 0));
  test("where: b that is not a suffix of a's shape", () => shapeError("where", [[4], [2, 4], [2, 3]], {}, /\[2, 4\].*\[2, 3\]/, 2));
  test("clamp: neither min nor max", () => shapeError("clamp", [[3]], {}, /min.*max/, undefined));
  test("clamp: min above max", () => shapeError("clamp", [[3]], { min: 2, max: 1 }, /min 2 is above its max 1/, undefined));
  test("slice: a range that selects nothing", () => shapeError("slice", [[2, 5]], { start: 4, end: 2 }, /selects nothing/, 0));
  test("slice: axis out of range", () => shapeError("slice", [[2, 5]], { axis: 2, start: 0 }, /axis 2.*\[2, 5\]/, 0));
  test("embedding: scalar ids", () => shapeError("embedding", [[]], { num: 3, dim: 2 }, /rank ≥ 1/, 0));
  test("embedding: no num and ids that are not a classes input", () => shapeError("embedding", [[2, 3]], { dim: 2 }, /needs "num"/, undefined));
  test("embedding: ids with more classes than the table has rows", () =>
    assert.throws(
      () => op("embedding").outputShape!({ inputShapes: [[2, 3]], attrs: { num: 4, dim: 2 }, inputClasses: [6] }),
      (e: unknown) => e instanceof ShapeError && /6 classes but its table has 4 rows/.test(e.message) && e.inputIndex === 0,
    ));
  test("embedding: num defaults to the ids' classes", () => {
    const ctx = { inputShapes: [[2, 3]], attrs: { dim: 2 }, inputClasses: [7] };
    assert.deepEqual(op("embedding").outputShape!(ctx), [2, 3, 2]);
    assert.deepEqual(op("embedding").params!.table.shape(ctx), [7, 2]);
  });
  test("rms_norm: a scalar x", () => shapeError("rms_norm", [[]], {}, /\[\]/, 0));
  test("attention: k of another width than q", () => shapeError("attention", [[2, 3, 4], [2, 5, 3], [2, 5, 4]], {}, /k \[2, S, 4\].*\[2, 3, 4\].*\[2, 5, 3\]/, 1));
  test("attention: v with another number of keys than k", () => shapeError("attention", [[2, 3, 4], [2, 5, 4], [2, 4, 4]], {}, /v \[2, 5, dv\].*\[2, 4, 4\]/, 2));
  test("attention: a mask of the wrong shape", () => shapeError("attention", [[2, 3, 4], [2, 5, 4], [2, 5, 4], [5, 3]], {}, /mask \[3, 5\] or \[2, 3, 5\].*\[5, 3\]/, 3));
  test("attention: causal with more keys than queries", () => shapeError("attention", [[2, 3, 4], [2, 5, 4], [2, 5, 4]], { causal: true }, /causal.*\[2, 3, 4\].*\[2, 5, 4\]/, 1));

  test("outputShape gives the shape forward produces (linear on [B, T, in], conv2d with stride and padding)", () => {
    assert.deepEqual(op("linear").outputShape!({ inputShapes: [[2, 5, 3]], attrs: { units: 4 } }), [2, 5, 4]);
    assert.deepEqual(op("conv2d").outputShape!({ inputShapes: [[2, 3, 7, 6]], attrs: { filters: 4, kernel: 3, stride: 2, padding: 1 } }), [2, 4, 4, 3]);
    assert.deepEqual(op("max_pool2d").outputShape!({ inputShapes: [[2, 3, 7, 6]], attrs: { kernel: [3, 2], stride: [2, 1] } }), [2, 3, 3, 5]);
  });
});

// ------------------------------------------------------------------ params

describe("params", () => {
  test("linear and conv2d: b exists only when bias is true; shapes follow the input", () => {
    const lin = op("linear").params!;
    assert.deepEqual(lin.W.shape({ inputShapes: [[4, 3]], attrs: { units: 5 } }), [5, 3]);
    assert.equal(lin.b.enabled!({ units: 5 }), true);
    assert.equal(lin.b.enabled!({ units: 5, bias: false }), false);
    const conv = op("conv2d").params!;
    assert.deepEqual(conv.W.shape({ inputShapes: [[2, 3, 8, 8]], attrs: { filters: 4, kernel: [3, 2] } }), [4, 3, 3, 2]);
    assert.equal(conv.b.enabled!({ filters: 4, kernel: 3, bias: false }), false);
  });

  test("every param's init is seeded: same seed, same values, of the declared shape, finite and not all equal", () => {
    const ctxOf: Record<string, { inputShapes: number[][]; attrs: Attrs }> = {
      linear: { inputShapes: [[4, 3]], attrs: { units: 5 } },
      layer_norm: { inputShapes: [[4, 6]], attrs: {} },
      batch_norm: { inputShapes: [[4, 6]], attrs: {} },
      rms_norm: { inputShapes: [[4, 6]], attrs: {} },
      embedding: { inputShapes: [[2, 3]], attrs: { num: 5, dim: 4 } },
      conv2d: { inputShapes: [[2, 3, 5, 5]], attrs: { filters: 4, kernel: 3 } },
    };
    for (const o of builtinOpList) {
      if (!o.params) continue;
      const ctx = ctxOf[o.name];
      assert.ok(ctx, `a test context for ${o.name}'s params`);
      for (const [name, spec] of Object.entries(o.params)) {
        assert.equal(typeof spec.init, "function", `${o.name}.${name}: init`);
        const shape = spec.shape(ctx);
        const init = spec.init as (s: number[], r: Rng, c: typeof ctx) => Tensor;
        const a = init(shape, new Rng(3), ctx), b = init(shape, new Rng(3), ctx);
        assert.deepEqual(a.shape, shape);
        assert.deepEqual(a.data, b.data);
        assert.ok(a.data.every(Number.isFinite));
        assert.ok(new Set(a.data).size > 1, `${o.name}.${name}: not constant`);
      }
    }
  });
});

// ------------------------------------------------------------------ backward, by the engine's checker

const normal = (shape: number[], rng: Rng, f: (v: number) => number = (v) => v): Tensor => {
  const data = new Float64Array(sizeOf(shape));
  for (let i = 0; i < data.length; i++) data[i] = f(rng.normal());
  return { shape: [...shape], data };
};
const labels = (B: number, C: number, rng: Rng): Tensor => {
  const data = new Float64Array(B);
  for (let b = 0; b < B; b++) data[b] = rng.int(C);
  return { shape: [B], data };
};
/** Rows of probabilities (softmax of N(0,1) logits): positive, as cross_entropy needs. */
const probabilities = (B: number, C: number, rng: Rng): Tensor => {
  const t = normal([B, C], rng, Math.exp);
  for (let b = 0; b < B; b++) {
    let s = 0;
    for (let j = 0; j < C; j++) s += t.data[b * C + j];
    for (let j = 0; j < C; j++) t.data[b * C + j] /= s;
  }
  return t;
};

interface Case {
  label: string;
  attrs?: Attrs;
  inputs: (rng: Rng) => Tensor[];
  /** Input positions that hold integer ids (embedding's): never differentiated. */
  ids?: number[];
}

const x = (...shape: number[]) => (rng: Rng) => [normal(shape, rng)];
const xy = (a: number[], b: number[]) => (rng: Rng) => [normal(a, rng), normal(b, rng)];
/** N(0,1) pushed away from 0 (|v| ≥ 0.5): a divisor, a positive base. */
const awayFromZero = (v: number) => Math.sign(v || 1) * (0.5 + Math.abs(v));
const positive = (...shape: number[]) => (rng: Rng) => [normal(shape, rng, (v) => 0.3 + Math.abs(v))];
/** A 0/1-style mask of ±1 entries: far from the jump at 0, so ∂y/∂mask = 0 is checked too. */
const signs = (shape: number[], rng: Rng) => normal(shape, rng, (v) => (v > 0 ? 1 : -1));
const ids = (shape: number[], num: number, rng: Rng): Tensor => {
  const t = normal(shape, rng);
  for (let i = 0; i < t.data.length; i++) t.data[i] = rng.int(num);
  return t;
};
const scored = (B: number, C: number, kind: "p" | "logits" | "logp") => (rng: Rng) => {
  const s = kind === "p" ? probabilities(B, C, rng) : kind === "logp" ? normal([B, C], rng, (v) => v - 2) : normal([B, C], rng);
  return [s, labels(B, C, rng)];
};

// Shapes are rectangles (B ≠ features, H ≠ W) so that a transposition bug cannot hide.
const CASES: Record<string, Case[]> = {
  linear: [
    { label: "x [4, 3] → 5 units", attrs: { units: 5 }, inputs: x(4, 3) },
    { label: "x [2, 3, 4] → 2 units", attrs: { units: 2 }, inputs: x(2, 3, 4) },
    { label: "x [3, 2] → 4 units, no bias", attrs: { units: 4, bias: false }, inputs: x(3, 2) },
  ],
  matmul: [
    { label: "[3, 4]·[4, 2]", inputs: xy([3, 4], [4, 2]) },
    { label: "[2, 3, 4]·[4, 5] shared B", inputs: xy([2, 3, 4], [4, 5]) },
    { label: "[2, 3, 4]·[2, 4, 2] batched", inputs: xy([2, 3, 4], [2, 4, 2]) },
  ],
  ...Object.fromEntries(
    ["add", "sub", "mul"].map((name) => [
      name,
      [
        { label: "[3, 4] with [3, 4]", inputs: xy([3, 4], [3, 4]) },
        { label: "[3, 4] with [4]", inputs: xy([3, 4], [4]) },
        { label: "[2, 3, 4] with [3, 4]", inputs: xy([2, 3, 4], [3, 4]) },
        { label: "[3, 2] with scalar []", inputs: xy([3, 2], []) },
      ],
    ]),
  ),
  ...Object.fromEntries(
    ["relu", "sigmoid", "tanh", "exp", "softplus"].map((name) => [
      name,
      [
        { label: "[3, 4]", inputs: x(3, 4) },
        { label: "[2, 3, 5]", inputs: x(2, 3, 5) },
      ],
    ]),
  ),
  leaky_relu: [
    { label: "[3, 4], default slope", inputs: x(3, 4) },
    { label: "[2, 5], slope 0.3", attrs: { slope: 0.3 }, inputs: x(2, 5) },
  ],
  log: [
    { label: "[3, 4], x in 0.3 + |N(0,1)|", inputs: (rng) => [normal([3, 4], rng, (v) => 0.3 + Math.abs(v))] },
  ],
  ...Object.fromEntries(
    ["softmax", "log_softmax"].map((name) => [
      name,
      [
        { label: "[4, 3] last axis", inputs: x(4, 3) },
        { label: "[3, 4, 5] axis 1", attrs: { axis: 1 }, inputs: x(3, 4, 5) },
        { label: "[2, 3, 4] axis -3", attrs: { axis: -3 }, inputs: x(2, 3, 4) },
      ],
    ]),
  ),
  cross_entropy: [
    { label: "p [4, 3]", inputs: scored(4, 3, "p") },
    { label: "p [2, 5]", inputs: scored(2, 5, "p") },
  ],
  softmax_cross_entropy: [
    { label: "logits [4, 3]", inputs: scored(4, 3, "logits") },
    { label: "logits [2, 5]", inputs: scored(2, 5, "logits") },
  ],
  nll: [
    { label: "logp [4, 3]", inputs: scored(4, 3, "logp") },
    { label: "logp [2, 5]", inputs: scored(2, 5, "logp") },
  ],
  mse: [
    { label: "[4, 3]", inputs: xy([4, 3], [4, 3]) },
    { label: "[5]", inputs: xy([5], [5]) },
  ],
  ...Object.fromEntries(
    ["sum", "mean"].map((name) => [
      name,
      [
        { label: "[3, 4] → []", inputs: x(3, 4) },
        { label: "[2, 3, 4] axis 1", attrs: { axis: 1 }, inputs: x(2, 3, 4) },
        { label: "[2, 3, 4] axis -1", attrs: { axis: -1 }, inputs: x(2, 3, 4) },
      ],
    ]),
  ),
  reshape: [
    { label: "[2, 3, 4] → [6, -1]", attrs: { shape: [6, -1] }, inputs: x(2, 3, 4) },
    { label: "[4, 3] → [12]", attrs: { shape: [12] }, inputs: x(4, 3) },
  ],
  transpose: [
    { label: "[3, 4] default", inputs: x(3, 4) },
    { label: "[2, 3, 4] perm [2, 0, 1]", attrs: { perm: [2, 0, 1] }, inputs: x(2, 3, 4) },
    { label: "[2, 3, 4, 5] default (last two)", inputs: x(2, 3, 4, 5) },
  ],
  concat: [
    { label: "[2, 3] ++ [2, 4] last axis", inputs: xy([2, 3], [2, 4]) },
    { label: "[2, 3] ++ [1, 3] ++ [3, 3] axis 0", attrs: { axis: 0 }, inputs: (rng) => [normal([2, 3], rng), normal([1, 3], rng), normal([3, 3], rng)] },
    { label: "[2, 1, 4] ++ [2, 3, 4] axis 1", attrs: { axis: 1 }, inputs: xy([2, 1, 4], [2, 3, 4]) },
  ],
  layer_norm: [
    { label: "[4, 5]", inputs: x(4, 5) },
    { label: "[2, 3, 4]", inputs: x(2, 3, 4) },
  ],
  batch_norm: [
    { label: "[5, 3]", inputs: x(5, 3) },
    { label: "[3, 2, 4, 5]", inputs: x(3, 2, 4, 5) },
  ],
  conv2d: [
    { label: "x [2, 3, 5, 6], 4 filters 3×3", attrs: { filters: 4, kernel: 3 }, inputs: x(2, 3, 5, 6) },
    { label: "x [2, 2, 6, 5], 3 filters 3×3 stride 2 padding 1", attrs: { filters: 3, kernel: 3, stride: 2, padding: 1 }, inputs: x(2, 2, 6, 5) },
    { label: "x [1, 2, 4, 7], kernel [2, 3] stride [1, 2] padding [1, 0], no bias", attrs: { filters: 2, kernel: [2, 3], stride: [1, 2], padding: [1, 0], bias: false }, inputs: x(1, 2, 4, 7) },
  ],
  ...Object.fromEntries(
    ["silu", "abs"].map((name) => [
      name,
      [
        { label: "[3, 4]", inputs: x(3, 4) },
        { label: "[2, 3, 5], x = 3·N(0,1) (the tails)", inputs: (rng: Rng) => [normal([2, 3, 5], rng, (v) => 3 * v)] },
      ],
    ]),
  ),
  gelu: [
    { label: "[3, 4], exact", inputs: x(3, 4) },
    { label: "[2, 3, 5], exact, x = 3·N(0,1) (the tails)", inputs: (rng) => [normal([2, 3, 5], rng, (v) => 3 * v)] },
    { label: "[3, 4], approximate tanh", attrs: { approximate: "tanh" }, inputs: x(3, 4) },
    { label: "[2, 3, 5], approximate tanh, x = 3·N(0,1)", attrs: { approximate: "tanh" }, inputs: (rng) => [normal([2, 3, 5], rng, (v) => 3 * v)] },
  ],
  elu: [
    { label: "[3, 4], default alpha", inputs: x(3, 4) },
    { label: "[2, 5], alpha 0.5", attrs: { alpha: 0.5 }, inputs: x(2, 5) },
  ],
  sqrt: [{ label: "[3, 4], x in 0.3 + |N(0,1)|", inputs: positive(3, 4) }],
  pow: [
    { label: "[3, 4], exponent 3 (any sign of x)", attrs: { exponent: 3 }, inputs: x(3, 4) },
    { label: "[3, 4], exponent 2.5, x > 0", attrs: { exponent: 2.5 }, inputs: positive(3, 4) },
    { label: "[2, 5], exponent −1.5, x > 0", attrs: { exponent: -1.5 }, inputs: positive(2, 5) },
    { label: "[4], exponent 0", attrs: { exponent: 0 }, inputs: x(4) },
  ],
  scale: [
    { label: "[3, 4], factor −0.35", attrs: { factor: -0.35 }, inputs: x(3, 4) },
    { label: "[2, 3, 2], factor 1/√8", attrs: { factor: 1 / Math.sqrt(8) }, inputs: x(2, 3, 2) },
  ],
  clamp: [
    { label: "[4, 5], [−0.5, 0.7]", attrs: { min: -0.5, max: 0.7 }, inputs: x(4, 5) },
    { label: "[4, 5], min 0 only", attrs: { min: 0 }, inputs: x(4, 5) },
    { label: "[4, 5], max 0.2 only", attrs: { max: 0.2 }, inputs: x(4, 5) },
  ],
  div: [
    { label: "[3, 4] / [3, 4]", inputs: (rng) => [normal([3, 4], rng), normal([3, 4], rng, awayFromZero)] },
    { label: "[3, 4] / [4]", inputs: (rng) => [normal([3, 4], rng), normal([4], rng, awayFromZero)] },
    { label: "[2, 3, 4] / scalar []", inputs: (rng) => [normal([2, 3, 4], rng), normal([], rng, awayFromZero)] },
  ],
  ...Object.fromEntries(
    ["maximum", "minimum"].map((name) => [
      name,
      [
        { label: "[3, 4] with [3, 4]", inputs: xy([3, 4], [3, 4]) },
        { label: "[3, 4] with [4]", inputs: xy([3, 4], [4]) },
        { label: "[2, 3, 4] with scalar []", inputs: xy([2, 3, 4], []) },
      ],
    ]),
  ),
  where: [
    { label: "mask, a, b all [3, 4]", inputs: (rng) => [signs([3, 4], rng), normal([3, 4], rng), normal([3, 4], rng)] },
    { label: "mask [4], a [3, 4], b [4]", inputs: (rng) => [signs([4], rng), normal([3, 4], rng), normal([4], rng)] },
    { label: "mask [2, 3, 4], a [2, 3, 4], b scalar []", inputs: (rng) => [signs([2, 3, 4], rng), normal([2, 3, 4], rng), normal([], rng)] },
  ],
  slice: [
    { label: "[3, 5] last axis [1:4]", attrs: { start: 1, end: 4 }, inputs: x(3, 5) },
    { label: "[4, 3, 2] axis 0 [−3::2]", attrs: { axis: 0, start: -3, step: 2 }, inputs: x(4, 3, 2) },
    { label: "[2, 7, 3] axis 1 [0:100:3] (end clamped)", attrs: { axis: 1, start: 0, end: 100, step: 3 }, inputs: x(2, 7, 3) },
  ],
  embedding: [
    { label: "ids [2, 3] of 5 rows, dim 4", attrs: { num: 5, dim: 4 }, ids: [0], inputs: (rng) => [ids([2, 3], 5, rng)] },
    { label: "ids [6] of 3 rows (repeated ids), dim 2", attrs: { num: 3, dim: 2 }, ids: [0], inputs: (rng) => [ids([6], 3, rng)] },
  ],
  rms_norm: [
    { label: "[4, 5]", inputs: x(4, 5) },
    { label: "[2, 3, 4], eps 0.1", attrs: { eps: 0.1 }, inputs: x(2, 3, 4) },
  ],
  attention: [
    { label: "q, k, v [2, 3, 4]", inputs: (rng) => [normal([2, 3, 4], rng), normal([2, 3, 4], rng), normal([2, 3, 4], rng)] },
    { label: "causal, q, k, v [2, 4, 3]", attrs: { causal: true }, inputs: (rng) => [normal([2, 4, 3], rng), normal([2, 4, 3], rng), normal([2, 4, 3], rng)] },
    { label: "q [2, 3, 4], k [2, 5, 4], v [2, 5, 2]", inputs: (rng) => [normal([2, 3, 4], rng), normal([2, 5, 4], rng), normal([2, 5, 2], rng)] },
    { label: "no batch axis: q [3, 4], k, v [5, 4]", inputs: (rng) => [normal([3, 4], rng), normal([5, 4], rng), normal([5, 4], rng)] },
    { label: "shared additive mask [3, 5]", inputs: (rng) => [normal([2, 3, 4], rng), normal([2, 5, 4], rng), normal([2, 5, 3], rng), normal([3, 5], rng)] },
    { label: "causal with a mask [2, 4, 4] per batch entry", attrs: { causal: true }, inputs: (rng) => [normal([2, 4, 3], rng), normal([2, 4, 3], rng), normal([2, 4, 3], rng), normal([2, 4, 4], rng)] },
  ],
  split: [
    { label: "[3, 8] into [4, 4] (the last axis)", attrs: { sizes: [4, 4] }, inputs: x(3, 8) },
    { label: "[5, 3] into [1, 2, 2] along axis 0, named", attrs: { sizes: [1, 2, 2], axis: 0, names: ["a", "b", "c"] }, inputs: x(5, 3) },
    { label: "[2, 6, 3] into [2, 4] along axis 1", attrs: { sizes: [2, 4], axis: 1 }, inputs: x(2, 6, 3) },
  ],
  dropout: [
    { label: "[4, 6] p 0.5", attrs: { p: 0.5 }, inputs: x(4, 6) },
    { label: "[3, 2, 5] p 0.1", attrs: { p: 0.1 }, inputs: x(3, 2, 5) },
    { label: "[4, 3] p 0 (the identity)", attrs: { p: 0 }, inputs: x(4, 3) },
  ],
  max_pool2d: [
    { label: "[2, 3, 4, 6] kernel 2", attrs: { kernel: 2 }, inputs: x(2, 3, 4, 6) },
    { label: "[1, 2, 5, 4] kernel 3 stride 1 (overlapping)", attrs: { kernel: 3, stride: 1 }, inputs: x(1, 2, 5, 4) },
    { label: "[2, 1, 4, 7] kernel [2, 3] stride [1, 2]", attrs: { kernel: [2, 3], stride: [1, 2] }, inputs: x(2, 1, 4, 7) },
  ],
};

const SEEDS = 20;

/** Random N(0,1) params of the shapes the op declares for these inputs (only the enabled ones). */
function paramsFor(o: OpDef, inputs: Tensor[], attrs: Attrs, rng: Rng): Record<string, Tensor> {
  const params: Record<string, Tensor> = {};
  for (const [name, spec] of Object.entries(o.params ?? {})) {
    if (spec.enabled && !spec.enabled(attrs)) continue;
    params[name] = normal(spec.shape({ inputShapes: inputs.map((t) => t.shape), attrs }), rng);
  }
  return params;
}

describe("backward: every op's local Jacobian matches central differences (checkOpLocal)", () => {
  test("every registered op has backward cases", () => {
    assert.deepEqual(Object.keys(CASES).sort(), [...builtinOpNames].sort());
  });

  for (const [name, cases] of Object.entries(CASES)) {
    for (const c of cases) {
      test(`gradients: ${name} ${c.label}, ${SEEDS} seeds, zero false alarms`, () => {
        const o = op(name);
        let worst = 0;
        for (let seed = 0; seed < SEEDS; seed++) {
          const rng = new Rng(1000 * seed + 17);
          const inputs = c.inputs(rng);
          const attrs = c.attrs ?? {};
          // The shapes the op promises are the shapes it produces.
          const params = paramsFor(o, inputs, attrs, rng);
          const out = callOp(o, { inputs, params, attrs }, seed);
          const ctx = { inputShapes: inputs.map((t) => t.shape), attrs };
          assert.deepEqual(out.outputs.map((t) => t.shape), o.outputShapes ? Object.values(o.outputShapes(ctx)) : [o.outputShape!(ctx)]);
          const reports = checkOpLocal(o, { inputs, params, attrs, labelInputs: c.ids }, { mode: "exhaustive", seed });
          const expectedWrts = (inputs.length - (o.labelInputs?.length ?? 0) - (c.ids?.length ?? 0) + Object.keys(params).length) * out.outputs.length;
          assert.equal(reports.length, expectedWrts, "one report per output and differentiable input and param");
          for (const r of reports) {
            assert.equal(r.status, "pass", `seed ${seed}, ∂${name}/∂${r.wrt}: ${r.status}, worst ${JSON.stringify(r.worst[0])}`);
            assert.equal(r.checked, r.rows * r.cols, "every entry compared");
            worst = Math.max(worst, r.maxRelError);
          }
        }
        // Tighter than the checker's default rtol 1e-3: the agreement is close to what central differences allow.
        assert.ok(worst < 1e-5, `max relative error ${worst}`);
      });
    }
  }

  test("gradients: with bias false, a b given anyway gets a zero gradient (it does not reach the output)", () => {
    const rng = new Rng(9);
    for (const [name, attrs, shape] of [["linear", { units: 4, bias: false }, [3, 2]], ["conv2d", { filters: 2, kernel: 2, bias: false }, [2, 1, 3, 4]]] as const) {
      const inputs = [normal([...shape], rng)];
      const params = paramsFor(op(name), inputs, { ...attrs, bias: true }, rng);
      const reports = checkOpLocal(op(name), { inputs, params, attrs });
      assert.deepEqual(reports.map((r) => r.status), ["pass", "pass", "pass"], name);
      assert.ok(reports.find((r) => r.wrt === "b")!.analytic.every((v) => v === 0), `${name}: ∂y/∂b = 0`);
    }
  });

  test("gradients: relu at exactly 0 is reported as a kink, not a failure", () => {
    const reports = checkOpLocal(op("relu"), { inputs: [fromNested([[-1, 0, 2]])] });
    assert.equal(reports[0].status, "kink");
  });

  test("gradients: a max_pool2d tie is a kink, and the first max gets the gradient", () => {
    const xTie = fromNested([[[[1, 1], [0, -1]]]]);
    assert.equal(checkOpLocal(op("max_pool2d"), { inputs: [xTie], attrs: { kernel: 2 } })[0].status, "kink");
    const back = backwardOp(op("max_pool2d"), {
      inputs: [xTie], params: {}, attrs: { kernel: 2 }, output: fromNested([[[[1]]]]), gradOutput: fromNested([[[[3]]]]),
    });
    assertClose(toNested(back.inputs![0]!), [[[[3, 0], [0, 0]]]]);
  });

  test("gradients: a maximum / minimum tie is a kink, and a (the first input) gets the gradient there", () => {
    for (const name of ["maximum", "minimum"]) {
      const a = fromNested([[1, 2], [3, -1]]), b = fromNested([[1, 0], [5, -1]]);
      const reports = checkOpLocal(op(name), { inputs: [a, b] });
      assert.deepEqual(reports.map((r) => r.status), ["kink", "kink"], name);
      const back = backwardOp(op(name), { inputs: [a, b], params: {}, attrs: {}, output: forwardOp(op(name), { inputs: [a, b], params: {}, attrs: {} }), gradOutput: fromNested([[2, 2], [2, 2]]) });
      const [da, db] = back.inputs!.map((t) => toNested(t!));
      assertClose(da, name === "maximum" ? [[2, 2], [0, 2]] : [[2, 0], [2, 2]]);
      assertClose(db, name === "maximum" ? [[0, 0], [2, 0]] : [[0, 2], [0, 0]]);
    }
  });

  test("gradients: clamp at a bound, elu (alpha 2) at 0 and a where mask entry at 0 are kinks; abs at 0 passes", () => {
    // |x| at 0: the central difference (|h| − |−h|)/2h = 0 is the subgradient chosen, sign(0) = 0.
    assert.equal(checkOpLocal(op("abs"), { inputs: [fromNested([-1, 0, 2])] })[0].status, "pass");
    assert.equal(checkOpLocal(op("clamp"), { inputs: [fromNested([-1, 0.5, 2])], attrs: { min: -1, max: 1 } })[0].status, "kink");
    assert.equal(checkOpLocal(op("elu"), { inputs: [fromNested([-1, 0, 2])], attrs: { alpha: 2 } })[0].status, "kink");
    const mask = checkOpLocal(op("where"), { inputs: [fromNested([1, 0]), fromNested([1, 2]), fromNested([5, 7])] });
    assert.deepEqual(mask.map((r) => [r.wrt, r.status]), [["input1", "kink"], ["input2", "pass"], ["input3", "pass"]]);
  });

  test("gradients: embedding accumulates the rows of a repeated id (+=), and gives the ids none", () => {
    const ids = fromNested([[1, 0, 1]]), table = fromNested([[0, 0], [0, 0], [0, 0]]);
    const g = fromNested([[[1, 2], [3, 4], [10, 20]]]);
    const back = backwardOp(op("embedding"), { inputs: [ids], params: { table }, attrs: { num: 3, dim: 2 }, output: g, gradOutput: g });
    assert.equal(back.inputs![0], null);
    assertClose(toNested(back.params!.table), [[3, 4], [11, 22], [0, 0]]);
  });

  test("gradients: gelu and silu stay finite and exact in the tails (±40)", () => {
    for (const [name, attrs] of [["gelu", {}], ["gelu", { approximate: "tanh" }], ["silu", {}]] as const) {
      const x = fromNested([-40, 40]);
      const back = backwardOp(op(name), { inputs: [x], params: {}, attrs, output: forwardOp(op(name), { inputs: [x], params: {}, attrs }), gradOutput: fromNested([1, 1]) });
      assertClose(toNested(back.inputs![0]!), [0, 1], 1e-12, name);
    }
  });

  test("gradients: label inputs get null, never a gradient", () => {
    for (const name of ["cross_entropy", "nll", "softmax_cross_entropy"]) {
      const back = backwardOp(op(name), {
        inputs: [fromNested([[0.3, 0.2, 0.5]]), fromNested([2])], params: {}, attrs: {},
        output: fromNested(0), gradOutput: fromNested(1),
      });
      assert.equal(back.inputs![1], null, name);
    }
  });
});
