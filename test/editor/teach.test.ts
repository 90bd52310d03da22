/**
 * The teaching views and the walkthrough in a real VS Code (code-server's
 * workbench and Node extension host): the walkthrough opens and its first
 * step's button runs its command (the lecture's network copied into the
 * workspace and opened); Explain Gradient Entry and Show Gradient Descent draw
 * their views in the panel with numbers computed in worker threads; the node
 * summaries and the Step size plot answer the page's own questions.
 */
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import * as vscode from "vscode";
import type { GradLensApi } from "../../src/extension/extension.js";
import { clickInWebview, clickText, hasDriver, inWebview, needsDriver, screenshot, until, waitInWebview, workbenchText } from "./ui.js";

const EXTENSION_ID = "gradlens.gradlens";
const artifacts = process.env.GRADLENS_ARTIFACTS ?? path.resolve(__dirname, "../../artifacts");
const ws = () => vscode.workspace.workspaceFolders![0].uri;
const copies = () => vscode.Uri.joinPath(ws(), "gradlens-walkthrough");

interface Step {
  id: string;
  title: string;
  description: string;
}

function walkthrough(): { id: string; title: string; steps: Step[] } {
  const pkg = vscode.extensions.getExtension(EXTENSION_ID)!.packageJSON as { contributes: { walkthroughs: { id: string; title: string; steps: Step[] }[] } };
  return pkg.contributes.walkthroughs[0];
}

/** A step's button: its label and the command with its arguments, as the `command:` link encodes them. */
function buttonOf(step: Step): { label: string; command: string; args: unknown[] } {
  const m = /\[([^\]]+)\]\(command:([\w.]+)(?:\?([^)]+))?\)/.exec(step.description);
  assert.ok(m, `step ${step.id} has no command link`);
  return { label: m[1], command: m[2], args: m[3] ? (JSON.parse(decodeURIComponent(m[3])) as unknown[]) : [] };
}

let api: GradLensApi;

describe("the lecture, live: teaching views and the walkthrough", function () {
  this.timeout(180_000);

  before(async () => {
    const ext = vscode.extensions.getExtension<GradLensApi>(EXTENSION_ID)!;
    api = ext.isActive ? ext.exports : await ext.activate();
    await vscode.commands.executeCommand("workbench.action.closeAllEditors");
    fs.rmSync(copies().fsPath, { recursive: true, force: true });
  });

  after(async () => {
    await vscode.commands.executeCommand("workbench.action.closeAllEditors");
    fs.rmSync(copies().fsPath, { recursive: true, force: true });
  });

  it("every step of the walkthrough links a command GradLens registers, with markdown the extension ships", async () => {
    const commands = new Set(await vscode.commands.getCommands(true));
    const w = walkthrough();
    assert.deepEqual(w.steps.map((s) => s.id), ["open-lecture", "check-lecture", "open-buggy", "read-diagnosis", "explain-entry", "see-descent", "fix-it", "check-again"]);
    for (const step of w.steps) {
      const { command } = buttonOf(step);
      assert.ok(commands.has(command), `${step.id}: ${command} is not registered`);
      const media = (step as unknown as { media: { markdown: string } }).media.markdown;
      assert.ok(fs.existsSync(path.join(vscode.extensions.getExtension(EXTENSION_ID)!.extensionPath, media)), media);
    }
  });

  it("the walkthrough opens, and its first step's button copies the lecture's network into the workspace and opens it", async () => {
    const w = walkthrough();
    const first = buttonOf(w.steps[0]);
    assert.deepEqual([first.command, first.args], ["gradlens.openExample", ["seed-mlp.gradnet.json"]]);
    await vscode.commands.executeCommand("workbench.action.openWalkthrough", `${EXTENSION_ID}#${w.id}`, false);
    const target = vscode.Uri.joinPath(copies(), "seed-mlp.gradnet.json");
    if (hasDriver()) {
      // The walkthrough page itself: its title, the first step's title, then a click on its button.
      assert.match(await workbenchText(".gettingStartedContainer"), new RegExp(w.title.replace(/[()]/g, "\\$&")));
      await clickText(w.steps[0].title, ".gettingStartedContainer");
      await clickText(first.label, ".gettingStartedContainer");
      await screenshot(path.join(artifacts, "walkthrough.png"));
    } else {
      await vscode.commands.executeCommand(first.command, ...first.args);
    }
    await until("the copied seed-mlp to be open", () => vscode.window.visibleTextEditors.some((e) => e.document.uri.toString() === target.toString()), 30_000);
    const copy = JSON.parse(fs.readFileSync(target.fsPath, "utf8"));
    const shipped = JSON.parse(fs.readFileSync(path.join(vscode.extensions.getExtension(EXTENSION_ID)!.extensionPath, "examples", "seed-mlp.gradnet.json"), "utf8"));
    delete shipped.$schema;
    assert.deepEqual(copy, shipped);
    // A second run keeps the copy (and whatever the user changed in it).
    fs.writeFileSync(target.fsPath, fs.readFileSync(target.fsPath, "utf8").replace('"seed": 7', '"seed": 8'));
    await vscode.commands.executeCommand(first.command, ...first.args);
    assert.match(fs.readFileSync(target.fsPath, "utf8"), /"seed": 8/);
  });

  describe("the buggy softmax, opened as the walkthrough does", () => {
    const uri = () => vscode.Uri.joinPath(copies(), "softmax-diagonal.gradnet.ts");
    const title = "GradLens: softmax-diagonal";

    it("Explain Gradient Entry: checks the network, then the panel's Explain view shows the chain with the departure at p", async () => {
      const step = buttonOf(walkthrough().steps[2]);
      const opened = await vscode.commands.executeCommand<vscode.Uri>(step.command, ...step.args);
      assert.equal(opened?.toString(), uri().toString());
      assert.match(vscode.window.activeTextEditor!.document.lineAt(vscode.window.activeTextEditor!.selection.start.line).text, /BUG/);
      const before = api.taught().explain;
      await vscode.commands.executeCommand("gradlens.explainEntry", "fc.W[1,0]", uri());
      await until("the worker to explain fc.W[1,0]", () => api.taught().explain > before, 60_000);
      const shown = await until("the page to show the explanation", () =>
        api.panelMessages(uri()).find((m) => m.type === "shown" && m.view === "explain"), 60_000);
      assert.deepEqual(shown, { type: "shown", view: "explain", subject: "fc.W[1,0]" });
      const record = api.lastCheck(uri());
      assert.equal(record?.outcome.kind, "report", "the network was checked first");
      if (!hasDriver()) return;
      await waitInWebview(title, '.explanation[data-entry="fc.W[1, 0]"] li.chain-step.departure[data-node="p"]');
      const view = await inWebview(title, () => ({
        steps: [...document.querySelectorAll(".explanation li.chain-step")].map((li) => (li as HTMLElement).dataset.node),
        identity: document.querySelector(".explanation .identity")?.textContent ?? "",
      }));
      assert.deepEqual(view.steps, ["loss", "p", "fc"]);
      assert.match(view.identity, /✓ the numeric value/);
      await screenshot(path.join(artifacts, "editor-explain.png"));
    });

    it("Show Gradient Descent: the Descent tab's two curves part", async () => {
      const before = api.taught().descent;
      await vscode.commands.executeCommand("gradlens.showDescent", uri());
      await until("the worker to run both descents", () => api.taught().descent > before, 60_000);
      await until("the page to show the descent", () => api.panelMessages(uri()).some((m) => m.type === "shown" && m.view === "descent"), 60_000);
      if (!hasDriver()) return;
      await waitInWebview(title, '.plot.descent[data-agree="false"] svg.chart g.series[data-series]');
      const legend = await inWebview(title, () => [...document.querySelectorAll(".plot.descent .legend-row text")].map((t) => t.textContent));
      assert.deepEqual(legend, ["analytic gradient (backprop)", "numeric gradient (finite differences)", "the curves part (step 1)"]);
      await screenshot(path.join(artifacts, "editor-descent.png"));
    });

    it("the page asks for the rest itself: values and dL/d on the nodes, the Step size plot of p", async function () {
      needsDriver(this);
      await clickInWebview(title, 'button[data-tab="details"]');
      await clickInWebview(title, ".summary-toggle");
      await until("node values in the labels", async () =>
        /dL\/d/.test(await inWebview(title, () => document.querySelector('g.node[data-node-id="fc"]')?.textContent ?? "")), 60_000);
      assert.ok(api.taught().values >= 1);
      await clickInWebview(title, 'g.node[data-node-id="p"]');
      await clickInWebview(title, 'button[data-tab="sweep"]');
      await waitInWebview(title, '.plot.sweep[data-node="p"][data-verdict="floor"] svg.chart', 60_000);
      assert.ok(api.taught().sweep >= 1);
      await screenshot(path.join(artifacts, "editor-step-size.png"));
    });
  });
});
