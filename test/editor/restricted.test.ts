/**
 * Workspace Trust: in Restricted Mode GradLens still checks JSON networks (no
 * user code runs), and refuses a .gradnet.ts with the reason instead of running
 * it. Run in its own window, opened untrusted (host.mjs --restricted).
 */
import * as assert from "node:assert/strict";
import * as vscode from "vscode";
import type { GradLensApi } from "../../src/extension/extension.js";
import { runFromPalette, until } from "./ui.js";

const fileIn = (...parts: string[]) => vscode.Uri.joinPath(vscode.workspace.workspaceFolders![0].uri, ...parts);

describe("GradLens in Restricted Mode", function () {
  this.timeout(120_000);
  let api: GradLensApi;

  before(async () => {
    assert.equal(vscode.workspace.isTrusted, false, "the window should open in Restricted Mode");
    const ext = vscode.extensions.getExtension<GradLensApi>("gradlens.gradlens")!;
    await until("activation in an untrusted workspace (supported: limited)", () => ext.isActive, 30_000);
    api = ext.exports;
  });

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
});
