/**
 * The Python runner against a real interpreter: Debian's /usr/bin/python3 with NumPy (and PyTorch
 * for the torch tests), or GRADLENS_TEST_PYTHON. Where they are missing the tests say so and are skipped. The interpreters
 * without NumPy / PyTorch are real ones too: virtual environments made here from /usr/bin/python3.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Worker } from "node:worker_threads";
import { PythonError, PythonSession, splitArguments, type PythonOp } from "../../src/worker/python/session.js";
import type { Tensor } from "../../src/engine/tensor.js";

const fixtures = join(__dirname, "..", "fixtures", "python");
const layers = join(fixtures, "layers.py");
const faults = join(fixtures, "faults.py");
const torchOps = join(fixtures, "torch_ops.py");
// Debian's interpreter by default; GRADLENS_TEST_PYTHON runs the same tests against another one.
const PY = process.env.GRADLENS_TEST_PYTHON ?? "/usr/bin/python3";

function runs(python: string, code: string): boolean {
  try {
    execFileSync(python, ["-c", code], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}
const hasNumpy = existsSync(PY) && runs(PY, "import numpy");
const hasTorch = hasNumpy && runs(PY, "import torch");
const needNumpy = hasNumpy ? false : `${PY} with NumPy is not installed here (Debian: apt-get install python3-numpy)`;
const needTorch = hasTorch ? false : `${PY} with PyTorch is not installed here (Debian: apt-get install python3-torch)`;

const t = (shape: number[], values: number[]): Tensor => ({ shape, data: Float64Array.from(values) });
const seq = (shape: number[], f: (i: number) => number): Tensor => {
  const n = shape.reduce((a, b) => a * b, 1);
  return { shape, data: Float64Array.from({ length: n }, (_, i) => f(i)) };
};
const close = (a: ArrayLike<number>, b: ArrayLike<number>, what: string, tol = 1e-12) => {
  assert.equal(a.length, b.length, `${what}: length`);
  for (let i = 0; i < a.length; i++) assert.ok(Math.abs(a[i] - b[i]) <= tol * Math.max(1, Math.abs(b[i])), `${what}[${i}]: ${a[i]} vs ${b[i]}`);
};
/** C = A·B for row-major A [m, k], B [k, n]. */
function matmul(a: Float64Array, b: Float64Array, m: number, k: number, n: number): Float64Array {
  const c = new Float64Array(m * n);
  for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) for (let p = 0; p < k; p++) c[i * n + j] += a[i * k + p] * b[p * n + j];
  return c;
}
function transposed(a: Float64Array, rows: number, cols: number): Float64Array {
  const out = new Float64Array(a.length);
  for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) out[j * rows + i] = a[i * cols + j];
  return out;
}

/** Whether the process runs (a zombie has exited: it only waits for a parent to collect its status). */
function running(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const state = stat.slice(stat.lastIndexOf(")") + 2).split(" ")[0];
    return state !== "Z" && state !== "X";
  } catch {
    return false;
  }
}
/** Not even a zombie: its exit status was collected. */
const reaped = (pid: number) => !existsSync(`/proc/${pid}`);
async function until(condition: () => boolean, ms: number): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (condition()) return true;
    await new Promise((r) => setTimeout(r, 10));
  }
  return condition();
}
function expectPythonError(f: () => unknown, kind: string): PythonError {
  try {
    f();
  } catch (e) {
    assert.ok(e instanceof PythonError, `a PythonError, got ${String(e)}`);
    assert.equal(e.kind, kind, `kind of: ${e.message}`);
    return e;
  }
  assert.fail(`expected a ${kind} PythonError`);
}

/** A real virtual environment from /usr/bin/python3 without the system's packages; `numpyOnly` links the system's NumPy into it. */
function venv(numpyOnly: boolean): { python: string; dir: string } {
  const dir = mkdtempSync(join(tmpdir(), "gradlens-venv-"));
  execFileSync(PY, ["-m", "venv", "--without-pip", dir], { stdio: "ignore" });
  if (numpyOnly) {
    const numpyDir = execFileSync(PY, ["-c", "import numpy, os; print(os.path.dirname(numpy.__file__))"], { encoding: "utf8" }).trim();
    const lib = join(dir, "lib");
    const site = join(lib, readdirSync(lib).find((d) => d.startsWith("python"))!, "site-packages");
    symlinkSync(numpyDir, join(site, "numpy"));
  }
  return { python: join(dir, "bin", "python"), dir };
}

function inThread(workerData: Record<string, unknown>): Worker {
  const entry = join(fixtures, "session-thread.ts");
  return new Worker(`require("tsx/cjs"); require(${JSON.stringify(entry)});`, { eval: true, workerData });
}
const firstMessage = (w: Worker, type: string) =>
  new Promise<Record<string, unknown>>((resolve, reject) => {
    w.on("message", (m) => m.type === type && resolve(m));
    w.on("error", reject);
  });

describe("one session, NumPy ops", { skip: needNumpy }, () => {
  let session: PythonSession;
  const output: [string, string][] = [];
  before(() => {
    session = PythonSession.start({ python: PY, cwd: fixtures, onOutput: (text, stream) => output.push([stream, text]) });
  });
  after(() => session?.close());

  test("start: the interpreter's pid is a running process, with its Python and NumPy versions", () => {
    assert.ok(running(session.pid));
    assert.match(session.info.python, /^3\.\d+\.\d+$/);
    assert.match(session.info.numpy, /^\d+\.\d+/);
  });

  test("load: a NumPy pair, its arguments split by the node's params, and where forward and backward are written", () => {
    const op = session.load(layers, "affine", { params: ["w", "b"] });
    assert.equal(op.kind, "numpy");
    assert.equal(op.ref, "layers.py#affine");
    assert.deepEqual(op.args.map((a) => a.name), ["x", "w", "b"]);
    assert.deepEqual(op.inputs, ["x"]);
    assert.deepEqual(op.params, ["w", "b"]);
    assert.deepEqual(op.forwardLocation, { file: layers, line: 6, column: 1 });
    assert.deepEqual(op.backwardLocation, { file: layers, line: 13, column: 1 });
    assert.equal(op.doc, "y = x·w + b; x [N, D], w [D, M], b [M].");
    // The same pair named by its forward's full name.
    assert.equal(session.load(layers, "affine_forward").forwardName, "affine_forward");
  });

  test("affine with a cache: forward is x·w + b, backward gives dx = dout·wᵀ, dw = xᵀ·dout, db = Σ dout", () => {
    const op = session.load(layers, "affine", { params: ["w", "b"] });
    const x = seq([2, 3], (i) => i * 0.5 - 1), w = seq([3, 4], (i) => Math.sin(i)), b = seq([4], (i) => i / 10);
    const { output: out, handle, mutated } = session.forward(op, [x], { w, b });
    assert.deepEqual(out.shape, [2, 4]);
    const xw = matmul(x.data, w.data, 2, 3, 4);
    close(out.data, xw.map((v, i) => v + b.data[i % 4]), "out");
    assert.deepEqual(mutated, []);
    const dout = seq([2, 4], (i) => (i % 3) - 1);
    const grads = session.backward(op, handle, dout);
    close(grads.inputs[0]!.data, matmul(dout.data, transposed(w.data, 3, 4), 2, 4, 3), "dx");
    close(grads.params.w!.data, matmul(transposed(x.data, 2, 3), dout.data, 3, 2, 4), "dw");
    close(grads.params.b!.data, [0, 1, 2, 3].map((j) => dout.data[j] + dout.data[4 + j]), "db");
    assert.deepEqual(grads.params.w!.shape, [3, 4]);
    // A handle serves many backward calls (one per upstream gradient), until released.
    close(session.backward(op, handle, dout).params.b!.data, grads.params.b!.data, "db again");
    session.release([handle]);
    expectPythonError(() => session.backward(op, handle, dout), "bad-request");
  });

  test("the argument-name split: params by name, in any order, inputs in order", () => {
    const x = seq([2, 3], (i) => i), w = seq([3, 2], (i) => i - 2), b = t([2], [1, -1]);
    const wb = session.load(layers, "affine", { params: ["b", "w"] });
    const onlyW = session.load(layers, "affine", { params: ["w"] });
    assert.deepEqual(onlyW.inputs, ["x", "b"]);
    assert.deepEqual(onlyW.params, ["w"]);
    const a = session.forward(wb, [x], { b, w });
    const c = session.forward(onlyW, [x, b], { w });
    assert.deepEqual(Array.from(c.output.data), Array.from(a.output.data));
    const grads = session.backward(onlyW, c.handle, seq([2, 2], () => 1));
    assert.equal(grads.inputs.length, 2, "x and b are inputs 0 and 1");
    close(grads.inputs[1]!.data, [2, 2], "db as input 1");
    assert.deepEqual(Object.keys(grads.params), ["w"]);
    assert.deepEqual(splitArguments([{ name: "x", default: false, variadic: false }, { name: "gamma", default: false, variadic: false }], ["gamma"]), { inputs: ["x"], params: ["gamma"] });
  });

  test("no cache: forward returns only out, backward(dout) takes the upstream gradient alone", () => {
    const op = session.load(layers, "double");
    const { output: out, handle } = session.forward(op, [t([3], [1, 2, 3])]);
    assert.deepEqual(Array.from(out.data), [2, 4, 6]);
    assert.deepEqual(Array.from(session.backward(op, handle, t([3], [1, 0, -1])).inputs[0]!.data), [2, 0, -2]);
  });

  test("one argument: backward may return the gradient alone, not in a tuple", () => {
    const op = session.load(layers, "relu");
    const { handle } = session.forward(op, [t([4], [-1, 2, 0, 3])]);
    assert.deepEqual(Array.from(session.backward(op, handle, t([4], [5, 6, 7, 8])).inputs[0]!.data), [0, 6, 0, 8]);
  });

  test("integer labels travel as int64 (NumPy indexes with them); their gradient is null", () => {
    const op = session.load(layers, "softmax_loss");
    const x = t([2, 3], [1, 2, 3, 0, 0, 0]), y = t([2], [2, 0]);
    const { output: loss, handle } = session.forward(op, [x, y], {}, { labels: [1] });
    assert.deepEqual(loss.shape, [], "a NumPy float64 scalar is a 0-d tensor");
    const lse = Math.log(Math.exp(1) + Math.exp(2) + Math.exp(3));
    close(loss.data, [((lse - 3) + Math.log(3)) / 2], "loss");
    const grads = session.backward(op, handle, { shape: [], data: Float64Array.of(1) });
    assert.equal(grads.inputs[1], null);
    const p0 = [1, 2, 3].map((v) => Math.exp(v - lse));
    close(grads.inputs[0]!.data, [p0[0] / 2, p0[1] / 2, (p0[2] - 1) / 2, (1 / 3 - 1) / 2, 1 / 6, 1 / 6], "dx = (p − onehot)/N");
  });

  test("an argument that is neither input nor param takes a plain value (attrs), and backward's gradients may leave it out", () => {
    const op = session.load(layers, "scale", { params: ["gamma"] });
    assert.deepEqual(op.inputs, ["x", "options"], "the split alone cannot tell: the caller passes options as an attr");
    const x = t([2, 2], [1, 2, 3, 4]), gamma = t([2], [10, 100]);
    const { output: out, handle } = session.forward(op, [x], { gamma }, { attrs: { options: { factor: 3 } } });
    assert.deepEqual(Array.from(out.data), [30, 600, 90, 1200]);
    const grads = session.backward(op, handle, t([2, 2], [1, 1, 1, 1]));
    assert.deepEqual(Array.from(grads.inputs[0]!.data), [30, 300, 30, 300]);
    assert.deepEqual(Array.from(grads.params.gamma!.data), [12, 18]);
  });

  test("forward_batch: each perturbed output equals a single forward at x ± h·eᵢ, bit for bit", () => {
    const op = session.load(layers, "affine", { params: ["w", "b"] });
    const x = seq([2, 3], (i) => Math.cos(i)), w = seq([3, 2], (i) => i / 7), b = t([2], [0.25, -0.5]);
    const h = 1e-6;
    const indices = [0, 4, 5];
    const batch = session.forwardBatch(op, [x], { w, b }, { input: 0, indices, h });
    assert.deepEqual(batch.plus.shape, [3, 2, 2]);
    indices.forEach((i, k) => {
      for (const [sign, got] of [[1, batch.plus], [-1, batch.minus]] as const) {
        const moved = { shape: x.shape, data: Float64Array.from(x.data) };
        moved.data[i] = sign > 0 ? moved.data[i] + h : moved.data[i] - h;
        const single = session.forward(op, [moved], { w, b }).output;
        assert.deepEqual(Array.from(got.data.subarray(4 * k, 4 * k + 4)), Array.from(single.data), `entry ${i}, sign ${sign}`);
      }
    });
    // A parameter, by name, and whole directions.
    const directions = seq([2, 3, 2], (i) => (i % 2 ? 1 : -1) * i);
    const byDirection = session.forwardBatch(op, [x], { w, b }, { param: "w", directions, h });
    const v = { shape: [3, 2], data: directions.data.subarray(6, 12) };
    const plus = session.forward(op, [x], { w: { shape: w.shape, data: w.data.map((wi, i) => wi + h * v.data[i]) }, b }).output;
    assert.deepEqual(Array.from(byDirection.plus.data.subarray(4, 8)), Array.from(plus.data));
    session.release("all");
  });

  test("forward_many: k whole values of one argument in one call, each as a single forward gives", () => {
    const op = session.load(layers, "affine", { params: ["w", "b"] });
    const x = seq([2, 3], (i) => i / 5), w = seq([3, 2], (i) => Math.sqrt(i)), b = t([2], [1, 2]);
    const values = seq([3, 2, 3], (i) => Math.sin(i * 1.7));
    const outputs = session.forwardMany(op, [x], { w, b }, { input: 0, values });
    assert.deepEqual(outputs.shape, [3, 2, 2]);
    for (let k = 0; k < 3; k++) {
      const single = session.evaluate(op, [{ shape: [2, 3], data: values.data.slice(6 * k, 6 * k + 6) }], { w, b });
      assert.deepEqual(Array.from(outputs.data.subarray(4 * k, 4 * k + 4)), Array.from(single.data), `value ${k}`);
    }
    const wrong = expectPythonError(() => session.forwardMany(op, [x], { w, b }, { param: "w", values }), "bad-request");
    assert.equal(wrong.message, "forward_many: values of shape [3, 2, 3] for w of shape [3, 2]");
  });

  test("backward_batch: k upstream gradients in one call, each row as its own backward gives", () => {
    const op = session.load(layers, "affine", { params: ["w", "b"] });
    const x = seq([2, 3], (i) => i - 1), w = seq([3, 2], (i) => 1 / (i + 1)), b = t([2], [0, 0]);
    const { handle } = session.forward(op, [x], { w, b });
    const eye = seq([4, 2, 2], (i) => (i % 5 === 0 ? 1 : 0)); // the four one-hot upstream gradients
    const batch = session.backwardBatch(op, handle, eye);
    assert.deepEqual(batch.inputs[0]!.shape, [4, 2, 3]);
    assert.deepEqual(batch.params.w!.shape, [4, 3, 2]);
    for (let k = 0; k < 4; k++) {
      const one = session.backward(op, handle, { shape: [2, 2], data: eye.data.slice(4 * k, 4 * k + 4) });
      assert.deepEqual(Array.from(batch.inputs[0]!.data.subarray(6 * k, 6 * k + 6)), Array.from(one.inputs[0]!.data));
      assert.deepEqual(Array.from(batch.params.w!.data.subarray(6 * k, 6 * k + 6)), Array.from(one.params.w!.data));
    }
    session.release([handle]);
  });

  test("print() in user code reaches onOutput, in order and before the call returns, and the protocol is intact", () => {
    const op = session.load(layers, "chatty");
    output.length = 0;
    const { output: out, handle } = session.forward(op, [t([2], [1, 2])]);
    assert.deepEqual(Array.from(out.data), [2, 3]);
    const printed = output.filter(([s]) => s === "stdout").map(([, text]) => text).join("");
    assert.equal(printed, "chatty forward sees (2,)\na second line");
    assert.deepEqual(Array.from(session.backward(op, handle, t([2], [7, 8])).inputs[0]!.data), [7, 8]);
    assert.ok(output.some(([s, text]) => s === "stderr" && text === "chatty backward\n"), "sys.stderr too");
    // A write to fd 1 underneath Python goes to stderr, not into the protocol; it may arrive later.
    session.release([handle]);
    assert.ok(output.some(([, text]) => text.includes("straight to fd 1")), JSON.stringify(output));
  });

  test("a user exception: its type, message and the innermost frame in the user's file", () => {
    const op = session.load(faults, "raises");
    const e = expectPythonError(() => session.forward(op, [t([2, 3], [1, 2, 3, 4, 5, 6])]), "user-exception");
    assert.equal(e.file, faults);
    assert.equal(e.line, 8, "the x.dot line, not NumPy's internals");
    assert.match(e.message, /^ValueError: shapes \(2,3\) and \(7,7\) not aligned.* \(in raises_forward\)$/);
    assert.equal(e.details.exceptionType, "ValueError");
    assert.match(e.format(), new RegExp(`^${faults}:8:\\d+: error: ValueError`));
    const divide = session.load(faults, "divide");
    const { handle } = session.forward(divide, [t([1], [1])]);
    const z = expectPythonError(() => session.backward(divide, handle, t([1], [1])), "user-exception");
    assert.equal(z.line, 21);
    assert.match(z.message, /^ZeroDivisionError: .* \(in divide_backward\)$/);
    if (Number(session.info.python.split(".")[1]) >= 11) assert.equal(z.column, 20, "Python 3.11+ gives the column of the failing expression");
    assert.ok(session.alive, "an exception is a reply, the session goes on");
  });

  test("input() in user code reads end-of-file, never the protocol", () => {
    const op = session.load(faults, "reads_stdin");
    const e = expectPythonError(() => session.forward(op, [t([1], [1])]), "user-exception");
    assert.match(e.message, /^EOFError/);
  });

  test("a gradient of the wrong shape: the op, the argument and both shapes, at the backward's def", () => {
    const op = session.load(faults, "wrong_shape", { params: ["w"] });
    const { handle } = session.forward(op, [seq([2, 3], (i) => i)], { w: seq([3, 4], (i) => i) });
    const e = expectPythonError(() => session.backward(op, handle, seq([2, 4], () => 1)), "bad-return");
    assert.equal(e.message, "wrong_shape_backward returned the gradient for w (value 2 of 2 returned) of shape [4, 3]; w has shape [3, 4]");
    assert.equal(e.file, faults);
    assert.equal(e.line, 28);
  });

  test("a float32 output, a list instead of an array, and too few gradients are each a clear error", () => {
    const x = t([2], [1, 2]);
    const dtype = expectPythonError(() => session.forward(session.load(faults, "wrong_dtype"), [x]), "bad-return");
    assert.match(dtype.message, /^wrong_dtype_forward returned out as an array of dtype float32 \(GradLens checks in float64/);
    const type = expectPythonError(() => session.forward(session.load(faults, "wrong_type"), [x]), "bad-return");
    assert.match(type.message, /^wrong_type_forward returned out as a value of type list, not an array/);
    const few = session.load(faults, "too_few", { params: ["w"] });
    const { handle } = session.forward(few, [x], { w: x });
    const count = expectPythonError(() => session.backward(few, handle, x), "bad-return");
    assert.match(count.message, /^too_few_backward returned a single numpy\.ndarray; it must return one gradient per argument of too_few_forward \(x, w\)/);
  });

  test("inputs and params that do not fit the forward's arguments", () => {
    const op = session.load(layers, "affine", { params: ["w", "b"] });
    const missing = expectPythonError(() => session.forward(op, [t([1, 1], [1])], { w: t([1, 1], [1]) }), "bad-arguments");
    assert.equal(missing.message, "affine_forward takes (x, w, b); the node gives 1 input and the params w, so b has no value");
    const unknown = expectPythonError(() => session.forward(op, [t([1], [1])], { weight: t([1], [1]) }), "bad-arguments");
    assert.match(unknown.message, /affine_forward has no argument named weight \(its arguments: x, w, b\)/);
  });

  test("a forward that changes its input in place is reported as mutating it", () => {
    const op = session.load(faults, "mutates");
    const x = t([2], [1, 2]);
    const r = session.forward(op, [x]);
    assert.deepEqual(r.mutated, ["x"]);
    assert.deepEqual(Array.from(x.data), [1, 2], "the caller's tensor is never touched");
  });

  test("ops that cannot be resolved: no such name (with what the file has), a plain class, no such file", () => {
    const none = expectPythonError(() => session.load(layers, "affline"), "not-found");
    assert.match(none.message, /^layers\.py has no affline_forward \/ affline_backward pair nor a torch\.autograd\.Function named affline; it has affine \(affine_forward \/ affine_backward\), chatty/);
    const missing = expectPythonError(() => session.load(join(fixtures, "no-such.py"), "affine"), "not-found");
    assert.match(missing.message, /^no Python file at .*no-such\.py$/);
  });

  test("a syntax error in the layer file, at its line", () => {
    const e = expectPythonError(() => session.load(join(fixtures, "syntax_error.py"), "broken"), "user-exception");
    assert.equal(e.file, join(fixtures, "syntax_error.py"));
    assert.equal(e.line, 5);
    assert.match(e.message, /^SyntaxError: invalid syntax/);
  });

  test("a layer file importing a module the interpreter lacks: which module, at the import line", () => {
    const e = expectPythonError(() => session.load(join(fixtures, "needs_scipy.py"), "f"), "missing-module");
    assert.equal(e.line, 2);
    assert.equal(e.message, `\`${PY}\` has no module 'scipy_that_is_not_installed', which needs_scipy.py imports: install it into that interpreter (\`pip install scipy_that_is_not_installed\`)`);
  });
});

describe("PyTorch ops", { skip: needTorch }, () => {
  let session: PythonSession;
  let op: PythonOp;
  before(() => {
    session = PythonSession.start({ python: PY, onOutput: () => {} });
    op = session.load(torchOps, "MyAffine", { params: ["w", "b"] });
  });
  after(() => session?.close());

  test("a torch.autograd.Function: its arguments after ctx, and the def lines past @staticmethod", () => {
    assert.equal(op.kind, "torch");
    assert.deepEqual(op.args.map((a) => a.name), ["x", "w", "b"]);
    assert.deepEqual(op.inputs, ["x"]);
    assert.deepEqual(op.forwardLocation, { file: torchOps, line: 8, column: 5 });
    assert.deepEqual(op.backwardLocation, { file: torchOps, line: 13, column: 5 });
    assert.deepEqual(op.classLocation, { file: torchOps, line: 4, column: 1 });
    assert.match(op.torchVersion!, /^\d+\./);
  });

  test("forward and backward in float64 through ctx.saved_tensors", () => {
    const x = seq([2, 3], (i) => i / 3), w = seq([4, 3], (i) => Math.sin(i)), b = seq([4], (i) => -i);
    const { output: out, handle } = session.forward(op, [x], { w, b });
    assert.deepEqual(out.shape, [2, 4]);
    close(out.data, matmul(x.data, transposed(w.data, 4, 3), 2, 3, 4).map((v, i) => v + b.data[i % 4]), "x·wᵀ + b");
    const g = seq([2, 4], (i) => i % 2);
    const grads = session.backward(op, handle, g);
    close(grads.inputs[0]!.data, matmul(g.data, w.data, 2, 4, 3), "dx = g·w");
    close(grads.params.w!.data, matmul(transposed(g.data, 2, 4), x.data, 4, 2, 3), "dw = gᵀ·x");
    close(grads.params.b!.data, [0, 1, 0, 1].map((v) => 2 * v), "db = Σ g");
    const batch = session.forwardBatch(op, [x], { w, b }, { param: "b", indices: [1], h: 0.5 });
    close(batch.plus.data.subarray(0, 4), Array.from(out.data.subarray(0, 4)).map((v, j) => v + (j === 1 ? 0.5 : 0)), "b[1] + h");
  });

  test("a float32 result and a class that is no Function are clear errors", () => {
    const f32 = session.load(torchOps, "Float32Out");
    const e = expectPythonError(() => session.forward(f32, [t([2], [1, 2])]), "bad-return");
    assert.match(e.message, /^Float32Out\.forward returned a tensor of dtype float32 \(GradLens checks in float64/);
    assert.equal(e.line, 20);
    const plain = expectPythonError(() => session.load(torchOps, "NotAFunction"), "not-found");
    assert.equal(plain.message, "NotAFunction in torch_ops.py is a class but not a torch.autograd.Function subclass");
  });
});

describe("a hung or dying interpreter", { skip: needNumpy }, () => {
  test("while True: terminating the calling thread returns at once and leaves no Python process", async () => {
    const worker = inThread({ python: PY, file: faults, name: "hang", mode: "call" });
    const { pid } = (await firstMessage(worker, "started")) as { pid: number };
    assert.ok(running(pid));
    await new Promise((r) => setTimeout(r, 1000)); // the forward is inside its loop by now
    const t0 = Date.now();
    await worker.terminate();
    assert.ok(Date.now() - t0 < 1000, `terminate took ${Date.now() - t0} ms`);
    assert.ok(await until(() => !running(pid), 1000), `pid ${pid} still runs 1 s after the thread ended`);
  });

  test("a thread that ends with its session open leaves no Python process", async () => {
    const worker = inThread({ python: PY, file: layers, name: "double", mode: "end-without-close" });
    const { pid } = (await firstMessage(worker, "started")) as { pid: number };
    await new Promise((r) => worker.on("exit", r));
    assert.ok(await until(() => !running(pid), 1000), `pid ${pid} outlived its thread`);
  });

  test("the process killed mid-request: the call fails with a clear error, it does not hang", async () => {
    const worker = inThread({ python: PY, file: faults, name: "hang", mode: "call" });
    const { pid } = (await firstMessage(worker, "started")) as { pid: number };
    const error = firstMessage(worker, "error");
    await new Promise((r) => setTimeout(r, 300));
    process.kill(pid, "SIGKILL");
    const e = await error;
    await worker.terminate();
    assert.equal(e.kind, "died");
    assert.equal(e.message, `the Python process (\`${PY}\`, pid ${pid}) ended during forward of faults.py#hang (killed by SIGKILL)`);
  });

  test("a layer that kills its own process: died, and the session says so on the next call", () => {
    const session = PythonSession.start({ python: PY, onOutput: () => {} });
    const op = session.load(faults, "suicide");
    const e = expectPythonError(() => session.forward(op, [t([1], [1])]), "died");
    assert.match(e.message, /ended during forward of faults\.py#suicide \(killed by SIGKILL\)/);
    assert.equal(session.alive, false);
    assert.equal(expectPythonError(() => session.forward(op, [t([1], [1])]), "died"), e);
    session.close();
  });

  test("callTimeoutMs: a call past it kills the process and throws", async () => {
    const session = PythonSession.start({ python: PY, onOutput: () => {}, callTimeoutMs: 1500 });
    const op = session.load(faults, "hang");
    const t0 = Date.now();
    const e = expectPythonError(() => session.forward(op, [t([1], [1])]), "timeout");
    assert.ok(Date.now() - t0 < 3000);
    assert.match(e.message, /^Python did not answer within 1\.5 s \(forward of faults\.py#hang\); the process was stopped$/);
    assert.ok(await until(() => reaped(session.pid), 1000), "killed, and its exit collected");
    session.close();
  });

  test("close: the runner exits, and a call after it says the session is closed", async () => {
    const session = PythonSession.start({ python: PY, onOutput: () => {} });
    session.close();
    assert.ok(reaped(session.pid), "close returns once the process has exited and its exit is collected");
    expectPythonError(() => session.load(layers, "affine"), "closed");
  });
});

describe("no interpreter, no NumPy, no PyTorch", () => {
  test("no interpreter at that path, or not on the PATH", () => {
    const e = expectPythonError(() => PythonSession.start({ python: "/usr/bin/no-such-python3" }), "no-interpreter");
    assert.equal(e.message, "there is no Python interpreter at `/usr/bin/no-such-python3`: install Python 3 with NumPy, or name one with `--python PATH` / the `gradlens.pythonPath` setting");
    const bare = expectPythonError(() => PythonSession.start({ python: "no-such-python3" }), "no-interpreter");
    assert.match(bare.message, /^`no-such-python3` is not on the PATH: /);
  });

  test("a program that is not Python", () => {
    const e = expectPythonError(() => PythonSession.start({ python: "/bin/true", onOutput: () => {} }), "not-python");
    assert.equal(e.message, "`/bin/true` ended before the GradLens runner started (exit code 0): it must be Python 3.6 or newer");
  });

  test("an interpreter without NumPy: one sentence naming it and what to install", { skip: existsSync(PY) && runs(PY, "import venv") ? false : `${PY} with venv is not installed here` }, () => {
    const { python, dir } = venv(false);
    try {
      const e = expectPythonError(() => PythonSession.start({ python, onOutput: () => {} }), "missing-module");
      assert.equal(e.message, `\`${python}\` has no NumPy: install it (\`pip install numpy\` or Debian's python3-numpy)`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test("NumPy without PyTorch: NumPy ops work, a torch op says what to install, at its import", { skip: needNumpy }, () => {
    const { python, dir } = venv(true);
    try {
      const session = PythonSession.start({ python, onOutput: () => {} });
      const op = session.load(layers, "double");
      assert.deepEqual(Array.from(session.forward(op, [t([1], [4])]).output.data), [8]);
      const e = expectPythonError(() => session.load(torchOps, "MyAffine"), "missing-module");
      assert.equal(e.message, `\`${python}\` has no PyTorch, which torch_ops.py needs: install it (\`pip install torch\` or Debian's python3-torch)`);
      assert.equal(e.file, torchOps);
      assert.equal(e.line, 1);
      session.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
