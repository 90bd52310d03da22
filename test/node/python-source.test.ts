// The editor's reading of a layer file's text (src/config/python-source.ts): where a Python layer's
// forward and backward are written, found without running Python — the same places the interpreter
// reports (checked against the runner on every layer of the examples, where Python is installed).
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, test } from "node:test";
import { findPythonLayer } from "../../src/config/python-source.js";
import { PythonSession } from "../../src/worker/python/session.js";

const root = join(import.meta.dirname, "..", "..");
const examples = join(root, "examples", "python");
const PY = process.env.GRADLENS_TEST_PYTHON ?? "/usr/bin/python3";
const runs = (code: string) => {
  try {
    execFileSync(PY, ["-c", code], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
};
const hasTorch = existsSync(PY) && runs("import numpy, torch");

describe("findPythonLayer", () => {
  test("a NumPy pair: its forward and backward lines and the forward's doc; by its name or its forward's", () => {
    const text = readFileSync(join(examples, "layers.py"), "utf8");
    const affine = findPythonLayer(text, "affine")!;
    assert.equal(affine.kind, "numpy");
    assert.equal(affine.forward.name, "affine_forward");
    assert.equal(affine.backward.name, "affine_backward");
    assert.equal(text.split("\n")[affine.backward.line - 1], "def affine_backward(dout, cache):");
    assert.equal(affine.doc, "out = x·w + b: x [N, D], w [D, M], b [M].");
    assert.deepEqual(findPythonLayer(text, "affine_forward"), affine);
    assert.equal(findPythonLayer(text, "affine_backward"), undefined, "a backward names no layer");
    assert.equal(findPythonLayer(text, "conv"), undefined);
  });

  test("a torch.autograd.Function: its class, forward and backward (indented) lines", () => {
    const text = readFileSync(join(examples, "torch_ops.py"), "utf8");
    const affine = findPythonLayer(text, "Affine")!;
    assert.equal(affine.kind, "torch");
    assert.deepEqual([affine.forward.name, affine.backward.name], ["Affine.forward", "Affine.backward"]);
    const lines = text.split("\n");
    assert.match(lines[affine.class!.line - 1], /^class Affine\(torch\.autograd\.Function\):/);
    assert.equal(lines[affine.backward.line - 1], "    def backward(ctx, grad_output):");
    assert.equal(affine.backward.column, 5);
    // Tanh's forward is Tanh's, not Affine's: each class's own body.
    const tanh = findPythonLayer(text, "Tanh")!;
    assert.ok(tanh.forward.line > affine.backward.line);
  });

  test("the same places the interpreter reports, on every layer of the examples", { skip: hasTorch ? false : `${PY} with NumPy and PyTorch is not installed here` }, () => {
    const session = PythonSession.start({ python: PY, cwd: examples });
    try {
      for (const [file, names] of [["layers.py", ["affine", "relu", "softmax_loss"]], ["buggy_layers.py", ["affine", "relu", "softmax_loss"]], ["torch_ops.py", ["Affine", "Tanh"]]] as const) {
        const path = join(examples, file);
        const text = readFileSync(path, "utf8");
        for (const name of names) {
          const op = session.load(path, name);
          const found = findPythonLayer(text, name)!;
          assert.equal(found.kind, op.kind, `${file}#${name}`);
          assert.deepEqual([found.forward.name, found.backward.name], [op.forwardName, op.backwardName]);
          assert.deepEqual({ line: found.forward.line, column: found.forward.column }, { line: op.forwardLocation!.line, column: op.forwardLocation!.column }, `${file}#${name} forward`);
          assert.deepEqual({ line: found.backward.line, column: found.backward.column }, { line: op.backwardLocation!.line, column: op.backwardLocation!.column }, `${file}#${name} backward`);
        }
      }
    } finally {
      session.close();
    }
  });
});
