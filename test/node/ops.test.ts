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

// The ops issue 10 adds, beside DESIGN.md's list (its "Network language" section names the language they use).
const ISSUE_10_OPS = ["split", "dropout"];

describe("registry", () => {
  test("every op named in DESIGN.md is registered, and nothing else", () => {
    assert.deepEqual([...builtinOpNames].sort(), [...DESIGN_OPS, ...ISSUE_10_OPS].sort());
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
});

// ------------------------------------------------------------------ shape errors

describe("shape errors name both shapes and the offending input", () => {
  const shapeError = (name: string, inputShapes: number[][], attrs: Attrs, pattern: RegExp, inputIndex: number) => {
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
}

const x = (...shape: number[]) => (rng: Rng) => [normal(shape, rng)];
const xy = (a: number[], b: number[]) => (rng: Rng) => [normal(a, rng), normal(b, rng)];
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
          const reports = checkOpLocal(o, { inputs, params, attrs }, { mode: "exhaustive", seed });
          const expectedWrts = (inputs.length - (o.labelInputs?.length ?? 0) + Object.keys(params).length) * out.outputs.length;
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
