/**
 * Python layers in a real VS Code (DESIGN.md "Python layers"): a JSON network whose "ops" name a
 * .py file, checked from the palette, with the failing node, its diagnosis and a Problems entry at
 * the backward's line in the .py file; hovers read from the .py text; an exception in a layer at
 * its line; a `while True:` stopped by the time limit with the interpreter gone; the interpreter
 * from gradlens.pythonPath, else (no Python extension here) python3 on the PATH.
 *
 * The interpreter: Debian's /usr/bin/python3 with NumPy (GRADLENS_TEST_PYTHON overrides it); without
 * NumPy the suite says so and is skipped.
 */
import * as assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as vscode from "vscode";
import type { GradLensApi } from "../../src/extension/extension.js";
import type { Report } from "../../src/shared/report.js";
import { needsDriver, runFromPalette, sleep, until, waitInWebview, inWebview } from "./ui.js";

const PY = process.env.GRADLENS_TEST_PYTHON ?? "/usr/bin/python3";
const fileIn = (...parts: string[]) => vscode.Uri.joinPath(vscode.workspace.workspaceFolders![0].uri, ...parts);
const config = () => vscode.workspace.getConfiguration("gradlens");

function hasNumpy(python: string): boolean {
  try {
    execFileSync(python, ["-c", "import numpy"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

async function open(uri: vscode.Uri): Promise<vscode.TextEditor> {
  return vscode.window.showTextDocument(await vscode.workspace.openTextDocument(uri), { viewColumn: vscode.ViewColumn.One, preview: false });
}

function reportOf(outcome: { kind: string }): Report {
  assert.equal(outcome.kind, "report", `expected a report, got ${JSON.stringify(outcome)}`);
  return (outcome as unknown as { report: Report }).report;
}

/** The 0-based line of the first line of the document containing `needle`. */
function lineOf(doc: vscode.TextDocument, needle: string): number {
  const i = doc.getText().indexOf(needle);
  assert.ok(i >= 0, `${needle} not in ${doc.uri.fsPath}`);
  return doc.positionAt(i).line;
}

async function hoverText(uri: vscode.Uri, position: vscode.Position): Promise<string> {
  const hovers = await vscode.commands.executeCommand<vscode.Hover[]>("vscode.executeHoverProvider", uri, position);
  return hovers.flatMap((h) => h.contents).map((c) => typeof c === "string" ? c : "value" in c ? c.value : "").join("\n");
}

const gradlensDiagnostics = (uri: vscode.Uri) => vscode.languages.getDiagnostics(uri).filter((d) => d.source === "GradLens");

describe("Python layers in a real VS Code", function () {
  this.timeout(180_000);
  let api: GradLensApi;

  before(async function () {
    if (!hasNumpy(PY)) {
      console.log(`      (skipped: ${PY} with NumPy is not installed here; Debian: apt-get install python3-numpy)`);
      this.skip();
    }
    const ext = vscode.extensions.getExtension<GradLensApi>("gradlens.gradlens")!;
    await until("activation", () => ext.isActive, 30_000);
    api = ext.exports;
    await config().update("pythonPath", PY, vscode.ConfigurationTarget.Workspace);
  });

  after(async () => {
    await config().update("pythonPath", undefined, vscode.ConfigurationTarget.Workspace);
  });

  describe("the buggy two-layer network (examples/python)", () => {
    const network = () => fileIn("examples", "python", "buggy-two-layer.gradnet.json");
    const layers = () => fileIn("examples", "python", "buggy_layers.py");
    let report: Report;

    it("the check from the palette names fc1 and fc2 (transpose) and loss (scale ×4), with the interpreter of gradlens.pythonPath", async () => {
      await open(network());
      const checked = new Promise<{ kind: string }>((resolve) => {
        const sub = api.onDidCheck((r) => {
          if (r.uri.toString() === network().toString()) {
            sub.dispose();
            resolve(r.outcome);
          }
        });
      });
      await runFromPalette("GradLens: Check Gradients");
      report = reportOf(await checked);
      assert.equal(report.ok, false);
      assert.deepEqual(report.nodes.filter((n) => n.status === "fail").map((n) => [n.id, n.diagnosis?.kind]), [["fc1", "transpose"], ["fc2", "transpose"], ["loss", "scale"]]);
      assert.equal(report.nodes.find((n) => n.id === "loss")!.diagnosis!.factor, 4);
      assert.equal(report.python?.requested, PY);
      assert.deepEqual(api.worker(network()).python, { python: PY, source: "setting" });
    });

    it("Problems: each failure at its node in the network, and at the backward's line in buggy_layers.py", async () => {
      const doc = await vscode.workspace.openTextDocument(network());
      const inNetwork = await until("the network's GradLens diagnostics", () => gradlensDiagnostics(network()).length >= 3 && gradlensDiagnostics(network()));
      for (const id of ["fc1", "fc2", "loss"]) {
        const d = inNetwork.find((x) => x.message.includes(`node "${id}"`));
        assert.ok(d, `a diagnostic for ${id}: ${inNetwork.map((x) => x.message).join("\n")}`);
        assert.equal(d.range.start.line, lineOf(doc, `"id": "${id}"`));
        assert.equal(path.basename(d.relatedInformation![0].location.uri.fsPath), "buggy_layers.py", "related: the backward in the .py");
      }
      const py = await vscode.workspace.openTextDocument(layers());
      const inPython = await until("diagnostics in buggy_layers.py", () => gradlensDiagnostics(layers()).length >= 3 && gradlensDiagnostics(layers()));
      const affineLine = lineOf(py, "def affine_backward");
      const atAffine = inPython.filter((d) => d.range.start.line === affineLine);
      assert.deepEqual(atAffine.map((d) => /node "(\w+)"/.exec(d.message)?.[1]).sort(), ["fc1", "fc2"]);
      assert.ok(atAffine.every((d) => d.severity === vscode.DiagnosticSeverity.Error && /transpose/.test(d.message)), atAffine.map((d) => d.message).join("\n"));
      assert.equal(py.getText(atAffine[0].range), "def affine_backward(dout, cache):", "the range covers the def line");
      const atLoss = inPython.find((d) => d.range.start.line === lineOf(py, "def softmax_loss_backward"));
      assert.match(atLoss?.message ?? "", /node "loss" \(softmax_loss\).*scale/);
      assert.equal(atLoss!.relatedInformation![0].location.uri.toString(), network().toString());
    });

    it("a hover on a Python node: its kind, file, forward and backward lines, and the last result", async () => {
      const doc = await vscode.workspace.openTextDocument(network());
      const line = lineOf(doc, '"id": "fc1"');
      const text = await hoverText(network(), new vscode.Position(line, doc.lineAt(line).text.indexOf('"op"') + 2));
      const py = fs.readFileSync(layers().fsPath, "utf8").split("\n");
      const lineNo = (needle: string) => py.findIndex((l) => l.includes(needle)) + 1;
      for (const expected of ["node `fc1`", "op `affine`", "Python layer: NumPy pair in [`buggy_layers.py`]", `\`affine_forward\`](`, `(line ${lineNo("def affine_forward")})`,
        `\`affine_backward\`](`, `(line ${lineNo("def affine_backward")})`, "**fail**", "Diagnosis: **transpose**", "`w` [5, 5] (25)"]) {
        assert.ok(text.includes(expected), `hover has ${expected}:\n${text}`);
      }
      assert.match(text, new RegExp(`\\(file:///[^)]*buggy_layers\\.py#L${lineNo("def affine_backward")}(,|%2C)1\\)`), "a link to the backward's line");
    });

    it("a hover on the \"ops\" entry, before any check of the correct twin: read from the .py text", async () => {
      const twin = fileIn("examples", "python", "two-layer.gradnet.json");
      const doc = await vscode.workspace.openTextDocument(twin);
      const line = lineOf(doc, '"softmax_loss": "./layers.py#softmax_loss"');
      const text = await hoverText(twin, new vscode.Position(line, 8));
      assert.ok(text.includes("custom op `softmax_loss`"), text);
      assert.ok(text.includes("Python layer: NumPy pair in [`layers.py`]"), text);
      assert.ok(text.includes("Used by `loss`"), text);
      assert.ok(text.includes("Mean cross-entropy of softmax(x)"), `the forward's docstring:\n${text}`);
      assert.equal(api.lastCheck(twin), undefined, "no check ran for the hover");
      assert.deepEqual(gradlensDiagnostics(twin), [], "a valid network with Python layers shows no error while typing");
    });

    it("the panel draws the network and shows a failing node's diagnosis", async function () {
      needsDriver(this);
      const title = "GradLens: buggy-two-layer";
      await waitInWebview(title, 'g.node[data-node-id="fc1"]');
      const ids = await inWebview(title, () => [...document.querySelectorAll<SVGGElement>("g.node[data-node-id]")].map((g) => g.dataset.nodeId!));
      for (const id of ["x", "y", "fc1", "h", "fc2", "loss"]) assert.ok(ids.includes(id), `${id} drawn: ${ids.join(", ")}`);
      await vscode.commands.executeCommand("gradlens.showNode", network().toString(), "loss");
      const diagnosis = await until("the loss node's diagnosis in the panel", async () => {
        const text = await inWebview(title, () => document.querySelector(".detail-pane .detail[data-node=\"loss\"] .diagnosis")?.textContent ?? "");
        return text || undefined;
      });
      assert.match(diagnosis, /4/);
    });
  });

  // (After the suite above: mocha runs a suite's own tests before its child suites.)
  describe("the correct twin, faults, trust and the interpreter", () => {
    it("the correct twin passes, and its Problems in layers.py stay empty", async () => {
      const twin = fileIn("examples", "python", "two-layer.gradnet.json");
      const outcome = await vscode.commands.executeCommand<{ kind: string }>("gradlens.checkGradients", twin);
      assert.equal(reportOf(outcome).ok, true);
      await sleep(300);
      assert.deepEqual(gradlensDiagnostics(fileIn("examples", "python", "layers.py")), []);
    });

    it("an exception in a layer's backward: reported at its line in the .py, in Problems", async () => {
      const uri = fileIn("fixtures", "python-raises.gradnet.json");
      const outcome = await vscode.commands.executeCommand<{ kind: string; message: string; line?: number; file?: string }>("gradlens.checkGradients", uri);
      assert.equal(outcome.kind, "user-error", JSON.stringify(outcome));
      assert.match(outcome.message, /KeyError: 'four' \(in raises_in_backward_backward\)/);
      const layer = fileIn("fixtures", "net_faults.py");
      const py = await vscode.workspace.openTextDocument(layer);
      const raiseLine = lineOf(py, 'scale["four"]');
      assert.equal(outcome.line, raiseLine + 1);
      const [d] = await until("the diagnostic in net_faults.py", () => gradlensDiagnostics(layer).length > 0 && gradlensDiagnostics(layer));
      assert.equal(d.range.start.line, raiseLine);
      assert.match(d.message, /KeyError/);
    });

    it("a `while True:` in a layer is stopped by gradlens.userCodeTimeoutSeconds, and the interpreter is gone", async () => {
      const pidFile = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "gradlens-pyhang-")), "pid");
      process.env.GRADLENS_TEST_PID_FILE = pidFile;   // inherited by the worker thread, then by Python
      await config().update("userCodeTimeoutSeconds", 3, vscode.ConfigurationTarget.Workspace);
      try {
        const outcome = await vscode.commands.executeCommand<{ kind: string }>("gradlens.checkGradients", fileIn("fixtures", "python-hang.gradnet.json"));
        assert.deepEqual(outcome, { kind: "timeout", seconds: 3 });
        const pid = Number(fs.readFileSync(pidFile, "utf8"));
        const alive = () => {
          try {
            return !/\) [ZX] /.test(fs.readFileSync(`/proc/${pid}/stat`, "utf8"));
          } catch {
            return false;
          }
        };
        await until(`the interpreter (pid ${pid}) to be gone`, () => !alive(), 2000);
      } finally {
        delete process.env.GRADLENS_TEST_PID_FILE;
        await config().update("userCodeTimeoutSeconds", undefined, vscode.ConfigurationTarget.Workspace);
      }
    });

    it("checking a network with a Python layer imports the layer file (the side effect the Restricted Mode suite must not see)", async () => {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), "gradlens-trust-py-"));
      process.env.GRADLENS_TRUST_MARKER_DIR = dir;
      try {
        const outcome = await vscode.commands.executeCommand<{ kind: string }>("gradlens.checkGradients", fileIn("fixtures", "trust-py.gradnet.json"));
        assert.equal(reportOf(outcome).ok, true);
        assert.deepEqual(fs.readdirSync(dir), ["trust_marker.py.ran"]);
      } finally {
        delete process.env.GRADLENS_TRUST_MARKER_DIR;
        fs.rmSync(dir, { recursive: true, force: true });
      }
    });

    it("without gradlens.pythonPath, and no Python extension installed: python3 from the PATH", async () => {
      assert.equal(vscode.extensions.getExtension("ms-python.python"), undefined, "this host has no Python extension");
      await config().update("pythonPath", undefined, vscode.ConfigurationTarget.Workspace);
      try {
        const uri = fileIn("examples", "python", "two-layer.gradnet.json");
        const outcome = await vscode.commands.executeCommand<{ kind: string; message?: string }>("gradlens.checkGradients", uri);
        assert.deepEqual(api.worker(uri).python, { python: "python3", source: "default" });
        // python3 on this PATH may lack NumPy: then the message names it; either way it was python3 that ran.
        if (outcome.kind === "report") assert.equal(reportOf(outcome).python?.requested, "python3");
        else assert.match(outcome.message ?? "", /`python3`/, JSON.stringify(outcome));
        console.log(`      (python3 on the PATH: ${outcome.kind === "report" ? `${reportOf(outcome).python?.executable}, NumPy ${reportOf(outcome).python?.numpy}` : outcome.message})`);
      } finally {
        await config().update("pythonPath", PY, vscode.ConfigurationTarget.Workspace);
      }
    });
  });
});
