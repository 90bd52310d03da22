/**
 * Panel restore, phase 2 (after the reload): VS Code restored the GradLens
 * panel, activated GradLens for it and the serializer revived it from the
 * page's saved state, drawn in its check colours, without checking again.
 */
import * as assert from "node:assert/strict";
import * as vscode from "vscode";
import type { GradLensApi } from "../../src/extension/extension.js";
import { statusStyles } from "../../src/shared/mermaid.js";
import { hasDriver, inWebview, until, waitInWebview } from "./ui.js";

describe("panel restore, after the reload", function () {
  this.timeout(120_000);

  it("the serializer revives the panel with its last report", async () => {
    const ext = vscode.extensions.getExtension<GradLensApi>("gradlens.gradlens")!;
    await until("activation", () => ext.isActive, 30_000);
    const api = ext.exports;
    const uri = vscode.Uri.joinPath(vscode.workspace.workspaceFolders![0].uri, "examples", "seed-mlp.gradnet.json");
    await until("the revived panel", () => api.hasPanel(uri), 60_000);
    await until("the revived page to render", () => api.panelMessages(uri).find((m) => m.type === "rendered"), 60_000);
    assert.equal(api.worker().startedAt, undefined, "nothing was checked in this window");
    const record = api.lastCheck(uri);
    assert.equal(record?.restored, true, "the last report was restored from workspace storage");
    assert.equal(record?.outcome.kind, "report");
    const tab = vscode.window.tabGroups.all.flatMap((g) => g.tabs).find((t) => t.label === "GradLens: seed-mlp");
    assert.ok(tab?.input instanceof vscode.TabInputWebview);
    if (hasDriver()) {
      await waitInWebview("GradLens: seed-mlp", 'g.node[data-node-id="fc"]');
      const fill = await inWebview("GradLens: seed-mlp", () => {
        const shape = document.querySelector('g.node[data-node-id="fc"]')?.querySelector("rect, polygon, path");
        return shape ? getComputedStyle(shape).fill : "";
      });
      const hex = /fill:#([0-9a-f]{6})/i.exec(statusStyles.pass)![1];
      assert.equal(fill, `rgb(${[0, 2, 4].map((i) => parseInt(hex.slice(i, i + 2), 16)).join(", ")})`);
    }
  });
});
