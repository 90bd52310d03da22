/**
 * Workspace Trust: in Restricted Mode GradLens still checks JSON networks (no
 * user code runs), and refuses a .gradnet.ts with the reason instead of running
 * it. Run in its own window, opened untrusted (host.mjs --restricted).
 */
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as vscode from "vscode";
import type { GradLensApi } from "../../src/extension/extension.js";
import { runFromPalette, sleep, until } from "./ui.js";

const fileIn = (...parts: string[]) => vscode.Uri.joinPath(vscode.workspace.workspaceFolders![0].uri, ...parts);

describe("GradLens in Restricted Mode", function () {
  this.timeout(120_000);
  let api: GradLensApi;

  before(async () => {
    assert.equal(vscode.workspace.isTrusted, false, "the window should open in Restricted Mode");
    const ext = vscode.extensions.getExtension<GradLensApi>("gradlens.gradlens")!;
    await until("activation in an untrusted workspace (supported: limited)", () => ext.isActive, 30_000);
    api = ext.exports;
    // The fixtures trust-marker.gradnet.ts and trust-ops.ts write a marker file here
    // when their top level runs (the trusted suite shows that they do).
    markers = fs.mkdtempSync(path.join(os.tmpdir(), "gradlens-untrusted-"));
    process.env.GRADLENS_TRUST_MARKER_DIR = markers;
  });

  after(() => {
    delete process.env.GRADLENS_TRUST_MARKER_DIR;
    fs.rmSync(markers, { recursive: true, force: true });
  });

  let markers = "";
  const ran = () => fs.readdirSync(markers);

  it("checks a JSON network", async () => {
    const uri = fileIn("examples", "seed-mlp.gradnet.json");
    await vscode.window.showTextDocument(await vscode.workspace.openTextDocument(uri));
    await runFromPalette("GradLens: Check Gradients");
    const record = await until("the check", () => api.lastCheck(uri));
    assert.equal(record.outcome.kind, "report");
  });

  it("does not run a .gradnet.ts, and says why", async () => {
    const uri = fileIn("fixtures", "buggy-softmax.gradnet.ts");
    await vscode.window.showTextDocument(await vscode.workspace.openTextDocument(uri));
    const startedBefore = api.worker().startedAt;
    await runFromPalette("GradLens: Check Gradients");
    const record = await until("the refusal", () => api.lastCheck(uri));
    assert.equal(record.outcome.kind, "untrusted");
    assert.match((record.outcome as { message: string }).message, /Restricted Mode.*Trust the workspace/s);
    assert.equal(api.worker().startedAt, startedBefore, "no worker was started");
    const lenses = await vscode.commands.executeCommand<vscode.CodeLens[]>("vscode.executeCodeLensProvider", uri, 10);
    assert.ok(lenses.some((l) => /workspace not trusted/.test(l.command?.title ?? "")));
  });

  it("runs none of a .gradnet.ts's code: not on opening it, nor for hovers, CodeLens, diagnostics, the graph or the check", async () => {
    const uri = fileIn("fixtures", "trust-marker.gradnet.ts");
    const doc = await vscode.workspace.openTextDocument(uri);
    await vscode.window.showTextDocument(doc);
    await sleep(2000);   // whatever opening a file starts (diagnostics, language features) has had its time
    assert.deepEqual(ran(), [], "opening it ran nothing");

    const line = doc.getText().split("\n").findIndex((l) => l.includes('{ id: "h"'));
    const hovers = await vscode.commands.executeCommand<vscode.Hover[]>("vscode.executeHoverProvider", uri, new vscode.Position(line, 8));
    const text = hovers.flatMap((h) => h.contents).map((c) => typeof c === "string" ? c : c.value).join("\n");
    assert.ok(text.includes("node `h`"), `the GradLens hover still works from the text:\n${text}`);
    await vscode.commands.executeCommand<vscode.CodeLens[]>("vscode.executeCodeLensProvider", uri, 10);
    assert.deepEqual(vscode.languages.getDiagnostics(uri).filter((d) => d.source === "GradLens"), []);
    assert.deepEqual(ran(), [], "hover, CodeLens and diagnostics ran nothing");

    const startedBefore = api.worker().startedAt;
    await vscode.commands.executeCommand("gradlens.showGraph", uri);
    const outcome = await vscode.commands.executeCommand<{ kind: string }>("gradlens.checkGradients", uri);
    assert.equal(outcome.kind, "untrusted");
    assert.equal(api.worker().startedAt, startedBefore, "no worker was started for the graph or the check");
    await sleep(500);
    assert.deepEqual(ran(), [], "the graph and the check ran nothing");
  });

  it("checks a JSON network whose \"ops\" name a .ts module without running that module, and says why", async () => {
    const uri = fileIn("fixtures", "trust-ops.gradnet.json");
    const doc = await vscode.workspace.openTextDocument(uri);
    await vscode.window.showTextDocument(doc);
    const outcome = await vscode.commands.executeCommand<{ kind: string; message?: string }>("gradlens.checkGradients", uri);
    assert.equal(outcome.kind, "config-error", JSON.stringify(outcome));
    assert.match(outcome.message ?? "", /not trusted/);
    const line = doc.getText().split("\n").findIndex((l) => l.includes('"id": "d"'));
    await vscode.commands.executeCommand<vscode.Hover[]>("vscode.executeHoverProvider", uri, new vscode.Position(line, 8));
    await vscode.commands.executeCommand("gradlens.showGraph", uri);
    await sleep(500);
    assert.deepEqual(ran(), [], "trust-ops.ts did not run");
  });

  it("checks no Python: a JSON network whose \"ops\" name a .py file is refused with the reason, and its hovers read the .py's text without running it", async () => {
    const uri = fileIn("fixtures", "trust-py.gradnet.json");
    const doc = await vscode.workspace.openTextDocument(uri);
    await vscode.window.showTextDocument(doc);
    const outcome = await vscode.commands.executeCommand<{ kind: string; message?: string }>("gradlens.checkGradients", uri);
    assert.equal(outcome.kind, "config-error", JSON.stringify(outcome));
    assert.match(outcome.message ?? "", /not trusted: custom ops in "ops" run Python code/);
    const line = doc.getText().split("\n").findIndex((l) => l.includes('"id": "t"'));
    const hovers = await vscode.commands.executeCommand<vscode.Hover[]>("vscode.executeHoverProvider", uri, new vscode.Position(line, 8));
    const text = hovers.flatMap((h) => h.contents).map((c) => typeof c === "string" ? c : c.value).join("\n");
    assert.ok(text.includes("Python layer: NumPy pair in [`trust_marker.py`]"), `the hover reads the layer file's text:\n${text}`);
    const problems = vscode.languages.getDiagnostics(uri).filter((d) => d.source === "GradLens");
    assert.ok(problems.some((d) => /not trusted/.test(d.message)), "the refusal is in Problems, at the \"ops\" entry");
    await vscode.commands.executeCommand("gradlens.showGraph", uri);
    await sleep(500);
    assert.deepEqual(ran(), [], "trust_marker.py was not imported");
  });
});
