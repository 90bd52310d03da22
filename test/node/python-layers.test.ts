/**
 * Python layers in JSON networks, end to end through the real `gradlens` process (DESIGN.md
 * "Python layers"): the examples pass or fail at the right node with the right diagnosis and the
 * backward's .py line, and every bad input and fault is one clear message with exit 2. Against
 * Debian's /usr/bin/python3 with NumPy and PyTorch (or GRADLENS_TEST_PYTHON); where a module is
 * missing the tests say so and skip. The interpreters without NumPy / PyTorch are real ones too:
 * virtual environments made here from /usr/bin/python3.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runTask } from "../../src/worker/run-task.js";
import { loadNetworkFile } from "../../src/config/load.js";
import { checkGraph } from "../../src/engine/check.js";
import { PythonLayers } from "../../src/worker/python/layers.js";
import { PythonSession } from "../../src/worker/python/session.js";
import type { NodeReport, Report } from "../../src/shared/report.js";

const root = join(__dirname, "..", "..");
const cli = join(root, "bin", "gradlens.js");
const fixtures = join(root, "test", "fixtures", "python");
const examples = join(root, "examples", "python");
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

function gradlens(args: string[], options: { python?: string | null; env?: Record<string, string>; cwd?: string } = {}) {
  const python = options.python === undefined ? PY : options.python;
  const r = spawnSync(process.execPath, [cli, ...args, ...(python === null ? [] : ["--python", python])], {
    cwd: options.cwd ?? root, encoding: "utf8", timeout: 120_000, env: { ...process.env, ...options.env },
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}
const checked = (file: string, ...args: string[]) => {
  const r = gradlens(["check", file, "--json", ...args]);
  assert.ok(r.status === 0 || r.status === 1, `exit ${r.status}: ${r.stderr}`);
  return JSON.parse(r.stdout) as Report;
};
const node = (report: Report, id: string): NodeReport => report.nodes.find((n) => n.id === id)!;
/** The 1-based line of the first line of `file` that contains `text`. */
const lineOf = (file: string, text: string) => readFileSync(file, "utf8").split("\n").findIndex((l) => l.includes(text)) + 1;

let dir = "";
before(() => {
  dir = mkdtempSync(join(tmpdir(), "gradlens-pylayers-"));
  for (const f of ["net_faults.py", "trust_marker.py", "torch_buggy.py"]) copyFileSync(join(fixtures, f), join(dir, f));
});
after(() => rmSync(dir, { recursive: true, force: true }));

/** A network file in the test's folder, beside the layer files. */
function network(name: string, spec: object): string {
  const file = join(dir, `${name}.gradnet.json`);
  writeFileSync(file, JSON.stringify(spec, null, 2));
  return file;
}
/** One layer of net_faults.py on x [2, 3], then a sum. */
const faultNet = (name: string, layer: string, extra: object = {}) => network(name, {
  ops: { [layer]: `./net_faults.py#${layer}` },
  inputs: { x: { shape: [2, 3] } },
  nodes: [{ id: "f", op: layer, ...extra }, { id: "loss", op: "sum" }],
});

describe("the examples, through the CLI", { skip: needNumpy }, () => {
  test("examples/python/two-layer: every node and gradient passes; each node names its NumPy pair and its backward's line", () => {
    const r = gradlens(["check", "examples/python/two-layer.gradnet.json"]);
    assert.equal(r.status, 0, r.stderr + r.stdout);
    assert.match(r.stdout, /fc1\s+affine\s+pass/);
    assert.match(r.stdout, /loss\s+softmax_loss\s+pass/);
    assert.match(r.stdout, /fc2\.w\s+\[5, 5\]\s+25\/25\s+pass/);
    const report = checked("examples/python/two-layer.gradnet.json");
    const layers = join(examples, "layers.py");
    assert.deepEqual(node(report, "fc1").pythonLayer, {
      kind: "numpy", ref: "layers.py#affine", file: layers, forwardName: "affine_forward", backwardName: "affine_backward",
      forwardLocation: { file: layers, line: lineOf(layers, "def affine_forward"), column: 1 },
      backwardLocation: { file: layers, line: lineOf(layers, "def affine_backward"), column: 1 },
    });
    assert.deepEqual(node(report, "loss").backwardLocation, { file: layers, line: lineOf(layers, "def softmax_loss_backward"), column: 1 });
    assert.deepEqual(node(report, "fc1").params.map((p) => [p.name, p.shape]), [["w", [5, 5]], ["b", [5]]]);
    assert.equal(report.python?.requested, PY);
    assert.match(report.python?.version ?? "", /^3\.\d+\.\d+$/);
    assert.match(report.python?.numpy ?? "", /^\d+\./);
  });

  test("examples/python/buggy-two-layer: fc1 and fc2 fail with transpose, loss with scale ×4 (the batch size), at several seeds", () => {
    const buggy = join(examples, "buggy_layers.py");
    for (const seed of ["5", "0", "11"]) {
      const report = checked("examples/python/buggy-two-layer.gradnet.json", "--seed", seed);
      assert.equal(report.ok, false);
      assert.deepEqual(report.nodes.filter((n) => n.status === "fail").map((n) => n.id), ["fc1", "fc2", "loss"], `seed ${seed}`);
      for (const id of ["fc1", "fc2"]) {
        assert.equal(node(report, id).diagnosis?.kind, "transpose", `seed ${seed}, ${id}: ${node(report, id).diagnosis?.detail}`);
        assert.deepEqual(node(report, id).backwardLocation, { file: buggy, line: lineOf(buggy, "def affine_backward"), column: 1 });
      }
      const loss = node(report, "loss").diagnosis!;
      assert.equal(loss.kind, "scale", `seed ${seed}: ${loss.detail}`);
      assert.ok(Math.abs(loss.factor! - 4) < 1e-9, `factor ${loss.factor}`);
      assert.match(loss.detail, /batch size/);
      assert.equal(node(report, "h").status, "pass");
    }
    const table = gradlens(["check", "examples/python/buggy-two-layer.gradnet.json"]);
    assert.equal(table.status, 1);
    assert.match(table.stdout, /fc1\s+affine\s+FAIL\s+\S+\s+transpose/);
    assert.match(table.stdout, /loss\s+softmax_loss\s+FAIL\s+\S+\s+scale ×4/);
  });

  test("examples/python/torch-mlp: torch.autograd.Functions beside built-in ops, all pass; the Function's backward is located", { skip: needTorch }, () => {
    const report = checked("examples/python/torch-mlp.gradnet.json");
    assert.equal(report.ok, true, JSON.stringify(report.nodes.map((n) => [n.id, n.status])));
    const torchOps = join(examples, "torch_ops.py");
    const fc1 = node(report, "fc1");
    assert.equal(fc1.pythonLayer?.kind, "torch");
    assert.equal(fc1.pythonLayer?.backwardName, "Affine.backward");
    assert.deepEqual(fc1.backwardLocation, { file: torchOps, line: lineOf(torchOps, "def backward(ctx, grad_output):"), column: 5 });
    assert.equal(node(report, "loss").pythonLayer, undefined, "a built-in op has no Python layer");
    assert.match(report.python?.torch ?? "", /^\d+\./);
  });

  test("grads --json and graph work on a Python network", () => {
    const g = gradlens(["grads", "examples/python/two-layer.gradnet.json", "--json"]);
    assert.equal(g.status, 0, g.stderr);
    const grads = JSON.parse(g.stdout);
    assert.deepEqual(Object.keys(grads.grads).sort(), ["fc1.b", "fc1.w", "fc2.b", "fc2.w", "x"]);
    assert.ok(Number.isFinite(grads.loss));
    const m = gradlens(["graph", "examples/python/two-layer.gradnet.json"]);
    assert.equal(m.status, 0, m.stderr);
    assert.match(m.stdout, /fc1.*affine/);
  });
});

describe("the check's batched calls on Python layers (forwardBatch / backwardBatch)", { skip: needNumpy }, () => {
  test("the same report, number for number; the local checks in far fewer round trips than one call per forward and backward", async () => {
    const layers = new PythonLayers({ python: PY });
    // Counting the session's round trips: the real calls, only counted.
    const proto = PythonSession.prototype as unknown as { call: (...a: unknown[]) => unknown };
    const call = proto.call;
    let trips = 0;
    proto.call = function (this: unknown, ...a: unknown[]) {
      trips++;
      return call.apply(this, a);
    };
    try {
      const loaded = await loadNetworkFile(join(examples, "buggy-two-layer.gradnet.json"), { resolvePythonOps: layers.resolve });
      const pythonNodes = loaded.graph.nodes.filter((n) => !n.op.builtin);
      assert.ok(pythonNodes.length >= 3 && pythonNodes.every((n) => n.op.forwardBatch && n.op.backwardBatch), "each Python op has both hooks");
      const options = { mode: "exhaustive" as const };
      const batched = checkGraph(loaded.graph, options);
      // The local checks alone: the end-to-end evaluator recomputes a Python node whole, one call per entry.
      trips = 0;
      checkGraph(loaded.graph, { ...options, endToEnd: false });
      const batchedTrips = trips;
      for (const n of pythonNodes) {
        delete (n.op as { forwardBatch?: unknown }).forwardBatch;
        delete (n.op as { backwardBatch?: unknown }).backwardBatch;
      }
      const single = checkGraph(loaded.graph, options);
      trips = 0;
      checkGraph(loaded.graph, { ...options, endToEnd: false });
      const singleTrips = trips;
      const summary = (r: Report) => r.nodes.map((n) => ({ id: n.id, status: n.status, kind: n.diagnosis?.kind, factor: n.diagnosis?.factor, errors: n.jacobians.map((j) => j.maxRelError) }));
      assert.deepEqual(summary(batched), summary(single));
      assert.deepEqual(batched.gradients.map((g) => [g.name, g.status, g.maxRelError]), single.gradients.map((g) => [g.name, g.status, g.maxRelError]));
      assert.deepEqual(batched.nodes.filter((n) => n.status === "fail").map((n) => [n.id, n.diagnosis?.kind]), [["fc1", "transpose"], ["fc2", "transpose"], ["loss", "scale"]]);
      assert.ok(batchedTrips * 10 < singleTrips, `local checks batched: ${batchedTrips} round trips, one by one: ${singleTrips}`);
    } finally {
      proto.call = call;
      layers.close();
    }
  });
});

describe("diagnoses and conventions on Python layers", { skip: needNumpy }, () => {
  test("a torch.autograd.Function with the wrong sign: sign, at its backward", { skip: needTorch }, () => {
    const file = network("torch-sign", { ops: { Square: "./torch_buggy.py#Square" }, inputs: { x: { shape: [3, 2] } }, nodes: [{ id: "sq", op: "Square" }, { id: "loss", op: "sum" }] });
    const report = checked(file);
    assert.equal(node(report, "sq").status, "fail");
    assert.equal(node(report, "sq").diagnosis?.kind, "sign");
    assert.equal(node(report, "sq").backwardLocation?.line, lineOf(join(dir, "torch_buggy.py"), "def backward"));
  });

  test("a plain-value argument comes from the node's own key (an attribute); params by name, seeded from { shape }", () => {
    const file = faultNet("scaled", "scaled", { options: { factor: 3 }, params: { w: { shape: [3] } } });
    const report = checked(file);
    assert.equal(report.ok, true, JSON.stringify(report.nodes));
    assert.deepEqual(node(report, "f").params.map((p) => p.name), ["w"]);
    assert.deepEqual(report.gradients.map((g) => g.name), ["f.w", "x"]);
  });

  test("None for a parameter's gradient is a zero gradient: the node fails with zero, not a crash", () => {
    const report = checked(faultNet("no-param-grad", "no_param_grad", { params: { w: [[1, 2, 3], [4, 5, 6]] } }));
    const f = node(report, "f");
    assert.equal(f.status, "fail");
    assert.equal(f.diagnosis?.kind, "zero", f.diagnosis?.detail);
  });
});

describe("bad input and faults: one clear message, exit 2", { skip: needNumpy }, () => {
  const venvs: string[] = [];
  /** A real virtual environment from PY without the system's packages; `numpy` links the system's NumPy into it. */
  function venv(numpy: boolean): string {
    const at = mkdtempSync(join(tmpdir(), "gradlens-venv-"));
    venvs.push(at);
    execFileSync(PY, ["-m", "venv", "--without-pip", at], { stdio: "ignore" });
    if (numpy) {
      const numpyDir = execFileSync(PY, ["-c", "import numpy, os; print(os.path.dirname(numpy.__file__))"], { encoding: "utf8" }).trim();
      const lib = join(at, "lib");
      symlinkSync(numpyDir, join(lib, readdirSync(lib).find((d) => d.startsWith("python"))!, "site-packages", "numpy"));
    }
    return join(at, "bin", "python");
  }
  after(() => venvs.forEach((v) => rmSync(v, { recursive: true, force: true })));

  const opsLine = (file: string) => lineOf(file, '"ops"') + 1;

  test("no interpreter at --python: the interpreter tried and what to do, at the \"ops\" entry", () => {
    const file = faultNet("no-python", "double");
    const r = gradlens(["check", file], { python: "/nonexistent/python3" });
    assert.equal(r.status, 2);
    assert.equal(r.stdout, "");
    assert.equal(r.stderr.trim(), `${file}:${opsLine(file)}:15: error: a Python layer cannot run: there is no Python interpreter at \`/nonexistent/python3\`: install Python 3 with NumPy, or name one with \`--python PATH\` / the \`gradlens.pythonPath\` setting`);
    const onPath = gradlens(["check", file], { python: "python3-not-here" });
    assert.match(onPath.stderr, /error: a Python layer cannot run: `python3-not-here` is not on the PATH: install Python 3 with NumPy/);
  });

  test("an interpreter without NumPy: named, with what to install", () => {
    const python = venv(false);
    const r = gradlens(["check", faultNet("no-numpy", "double")], { python });
    assert.equal(r.status, 2);
    assert.match(r.stderr, new RegExp(`error: a Python layer cannot run: \`${python}\` has no NumPy: install it \\(\`pip install numpy\` or Debian's python3-numpy\\)\\n$`));
  });

  test("a torch layer on an interpreter without PyTorch: named, with what to install, at the import", () => {
    const python = venv(true);
    const file = network("no-torch", { ops: { Square: "./torch_buggy.py#Square" }, inputs: { x: { shape: [2] } }, nodes: [{ id: "sq", op: "Square" }, { id: "loss", op: "sum" }] });
    const r = gradlens(["check", file], { python });
    assert.equal(r.status, 2);
    assert.equal(r.stderr.trim(), `${join(dir, "torch_buggy.py")}:2:1: error: \`${python}\` has no PyTorch, which torch_buggy.py needs: install it (\`pip install torch\` or Debian's python3-torch)`);
  });

  test("an exception in the user's backward: at the user's file:line, with its type and where", () => {
    const r = gradlens(["check", faultNet("raises", "raises_in_backward")]);
    assert.equal(r.status, 2);
    assert.match(r.stderr, new RegExp(`^${join(dir, "net_faults.py")}:21:\\d+: error: KeyError: 'four' \\(in raises_in_backward_backward\\)\\n$`));
  });

  test("a gradient of the wrong shape, an output of the wrong dtype: the function, the argument and what is wrong", () => {
    const shape = gradlens(["check", faultNet("wrong-shape", "wrong_shape")]);
    assert.equal(shape.status, 2);
    assert.match(shape.stderr, /net_faults\.py:\d+:1: error: wrong_shape_backward returned the gradient for x \(value 1 of 1 returned\) of shape \[3\]; x has shape \[2, 3\]/);
    assert.equal(Number(/net_faults\.py:(\d+)/.exec(shape.stderr)![1]), lineOf(join(dir, "net_faults.py"), "def wrong_shape_backward"));
    const dtype = gradlens(["check", faultNet("float32", "float32")]);
    assert.equal(dtype.status, 2);
    assert.match(dtype.stderr, /net_faults\.py:\d+:1: error: float32_forward returned out as an array of dtype float32 \(GradLens checks in float64/);
  });

  test("a while True: stopped by --timeout, the interpreter gone with the check", () => {
    const pidFile = join(dir, "hang.pid");
    const started = Date.now();
    const r = gradlens(["check", faultNet("hang", "hang"), "--timeout", "3"], { env: { GRADLENS_TEST_PID_FILE: pidFile } });
    assert.equal(r.status, 2);
    assert.match(r.stderr, /error: user code did not finish within 3 s \(an endless loop in a forward or backward\?\); stopped/);
    assert.ok(Date.now() - started < 20_000, `took ${Date.now() - started} ms`);
    const pid = Number(readFileSync(pidFile, "utf8"));
    const stat = () => { try { return readFileSync(`/proc/${pid}/stat`, "utf8"); } catch { return ""; } };
    const end = Date.now() + 3000;
    while (Date.now() < end && stat() && !/\) [ZX] /.test(stat())) execFileSync("sleep", ["0.05"]);
    assert.ok(!stat() || /\) [ZX] /.test(stat()), `the interpreter (pid ${pid}) still runs: ${stat()}`);
  });

  test("the interpreter dies in the middle of the check: said so, with the call it died in", () => {
    const r = gradlens(["check", faultNet("dies", "dies")]);
    assert.equal(r.status, 2);
    assert.match(r.stderr, /error: the Python process \(`.+`, pid \d+\) ended during backward of net_faults\.py#dies \(killed by SIGKILL\)/);
  });

  test("print() and writes to fd 1 in the user's code go to stderr; --json on stdout stays one JSON document", () => {
    const r = gradlens(["check", faultNet("chatty", "chatty"), "--json"]);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(JSON.parse(r.stdout).ok, true);
    assert.match(r.stderr, /chatty_forward: x has shape \(2, 3\)/);
    assert.match(r.stderr, /chatty_forward: straight to fd 1/);
    assert.match(r.stderr, /chatty_backward: called/);
  });

  test("an \"ops\" entry naming no layer, a missing file: at the entry; a node that does not fit the forward: at the node", () => {
    const missing = network("missing-layer", { ops: { nothing: "./net_faults.py#nothing" }, inputs: { x: { shape: [2] } }, nodes: [{ id: "f", op: "nothing" }] });
    const r = gradlens(["check", missing]);
    assert.equal(r.status, 2);
    assert.match(r.stderr, new RegExp(`^${missing}:${opsLine(missing)}:16: error: custom op 'nothing' \\(./net_faults.py#nothing\\): net_faults.py has no nothing_forward / nothing_backward pair nor a torch.autograd.Function named nothing; it has .*double \\(double_forward / double_backward\\)`));
    const noFile = network("no-file", { ops: { f: "./absent.py#f" }, inputs: { x: { shape: [2] } }, nodes: [{ id: "f", op: "f" }] });
    assert.match(gradlens(["check", noFile]).stderr, /error: custom op 'f': cannot read "\.\/absent\.py" \(no such file: .*absent\.py\)/);
    const badParam = faultNet("bad-param", "scaled", { options: { factor: 1 }, params: { W: { shape: [3] } } });
    const p = gradlens(["check", badParam]);
    assert.equal(p.status, 2);
    assert.match(p.stderr, new RegExp(`^${badParam}:${lineOf(badParam, '"W"')}:\\d+: error: scaled_forward\\(x, w, options\\) has no argument 'W'; did you mean 'w'\\?`));
    const badAttr = faultNet("bad-attr", "double", { factor: 2 });
    assert.match(gradlens(["check", badAttr]).stderr, /error: unknown attribute 'factor' for double: double_forward\(x\) has no argument 'factor'/);
    const twoInputs = network("two-inputs", { ops: { double: "./net_faults.py#double" }, inputs: { x: { shape: [2] }, z: { shape: [2] } }, nodes: [{ id: "f", op: "double", inputs: ["x", "z"] }] });
    const n = gradlens(["check", twoInputs]);
    assert.match(n.stderr, new RegExp(`^${twoInputs}:${lineOf(twoInputs, '"inputs": [')}:\\d+: error: double_forward\\(x\\) takes the input x: 1 input, but the node gives 2`));
  });
});

describe("the interpreter and the workspace's trust", { skip: needNumpy }, () => {
  test("without --python: python3 from the PATH", () => {
    const bin = join(dir, "bin");
    mkdirSync(bin, { recursive: true });
    if (!existsSync(join(bin, "python3"))) symlinkSync(PY, join(bin, "python3"));
    const r = gradlens(["check", faultNet("default-python", "double"), "--json"], { python: null, env: { PATH: `${bin}:${process.env.PATH}` } });
    assert.equal(r.status, 0, r.stderr);
    const report = JSON.parse(r.stdout) as Report;
    assert.equal(report.python?.requested, "python3");
  });

  test("an untrusted workspace runs no Python: the network is refused with the reason, the layer file never imported", async () => {
    const markers = mkdtempSync(join(tmpdir(), "gradlens-trust-"));
    const file = network("trust", { ops: { twice: "./trust_marker.py#twice" }, inputs: { x: { shape: [2] } }, nodes: [{ id: "t", op: "twice" }, { id: "loss", op: "sum" }] });
    process.env.GRADLENS_TRUST_MARKER_DIR = markers;
    try {
      const refused = await runTask({ task: "check", file, allowUserCode: false, python: PY });
      assert.equal(refused.kind, "config-error");
      assert.match(refused.kind === "config-error" ? refused.errors[0].message : "", /not trusted: custom ops in "ops" run Python code/);
      assert.deepEqual(readdirSync(markers), []);
      // The control: trusted, the same network imports the file (so the marker proves something).
      const trusted = await runTask({ task: "check", file, python: PY });
      assert.equal(trusted.kind, "report");
      assert.deepEqual(readdirSync(markers), ["trust_marker.py.ran"]);
    } finally {
      delete process.env.GRADLENS_TRUST_MARKER_DIR;
      rmSync(markers, { recursive: true, force: true });
    }
  });
});
