/**
 * Panel restore, phase 1: check a network so its panel holds a report. The
 * harness then reloads the window (same profile and folder); phase 2
 * (restore-2.test.ts) finds the panel revived by the WebviewPanelSerializer.
 */
import * as assert from "node:assert/strict";
import * as vscode from "vscode";
import type { GradLensApi } from "../../src/extension/extension.js";
import { until } from "./ui.js";

describe("panel restore, before the reload", function () {
  this.timeout(120_000);

  it("checks seed-mlp and leaves its panel open", async () => {
    const ext = vscode.extensions.getExtension<GradLensApi>("gradlens.gradlens")!;
    await until("activation", () => ext.isActive, 30_000);
    const api = ext.exports;
    await vscode.commands.executeCommand("workbench.action.closeAllEditors");
    const uri = vscode.Uri.joinPath(vscode.workspace.workspaceFolders![0].uri, "examples", "seed-mlp.gradnet.json");
    await vscode.window.showTextDocument(await vscode.workspace.openTextDocument(uri));
    const outcome = await vscode.commands.executeCommand<{ kind: string }>("gradlens.checkGradients", uri);
    assert.equal(outcome.kind, "report");
    await until("the panel to render the report", () => api.panelMessages(uri).filter((m) => m.type === "rendered").length > 0, 60_000);
    await new Promise((r) => setTimeout(r, 1000));   // the page's setState reaches the workbench
  });
});
