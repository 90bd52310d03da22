/**
 * GradLens in VS Code's Testing view and status bar, in a real VS Code: the
 * view lists the workspace's networks with their nodes, "Run All Tests" checks
 * them (the buggy softmax's p failed with its diagnosis at its backward, the
 * correct networks passed, a run cancelled midway skips the rest), the gutter's
 * run button checks one node, a continuous run checks a network again when a
 * module it imports is saved, the status bar item follows the active network,
 * and a 200-node network of groups opens with its groups collapsed but the
 * failing one. Runs after extension.test.ts in the same window.
 */
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import * as vscode from "vscode";
import type { GradLensApi } from "../../src/extension/extension.js";
import { clickGutterRun, clickInWorkbench, hasDriver, inWebview, inWorkbench, needsDriver, screenshot, sleep, until, waitInWebview } from "./ui.js";

const artifacts = process.env.GRADLENS_ARTIFACTS ?? path.resolve(__dirname, "../../artifacts");
const ws = () => vscode.workspace.workspaceFolders![0].uri;
const fileIn = (...parts: string[]) => vscode.Uri.joinPath(ws(), ...parts);
const nodeItem = (uri: vscode.Uri, id: string) => `${uri.toString()}#node:${id}`;
const gradItem = (uri: vscode.Uri, name: string) => `${uri.toString()}#grad:${name}`;

let api: GradLensApi;

async function open(uri: vscode.Uri): Promise<vscode.TextEditor> {
  const doc = await vscode.workspace.openTextDocument(uri);
  return vscode.window.showTextDocument(doc, { viewColumn: vscode.ViewColumn.One, preview: false });
}

function lineOf(doc: vscode.TextDocument, needle: string): number {
  const i = doc.getText().indexOf(needle);
  assert.ok(i >= 0, `${needle} not in ${doc.uri.fsPath}`);
  return doc.positionAt(i).line;
}

/** Resolves when a test run that started after now has ended. */
function nextRunEnd(): Promise<void> {
  return new Promise((resolve) => {
    const sub = api.onDidRunTests(() => {
      sub.dispose();
      resolve();
    });
  });
}

const outcome = (id: string) => api.testOutcome(id);

describe("the Testing view and the status bar", function () {
  this.timeout(240_000);

  before(async () => {
    const ext = vscode.extensions.getExtension<GradLensApi>("gradlens.gradlens")!;
    await until("activation", () => ext.isActive, 30_000);
    api = ext.exports;
    await vscode.commands.executeCommand("workbench.action.closeAllEditors");
    await vscode.workspace.getConfiguration("gradlens").update("userCodeTimeoutSeconds", 3, vscode.ConfigurationTarget.Workspace);
  });

  after(async () => {
    await vscode.workspace.getConfiguration("gradlens").update("userCodeTimeoutSeconds", undefined, vscode.ConfigurationTarget.Workspace);
  });

  it("the Testing view lists every network of the workspace, with a child per node and per gradient at its line", async () => {
    const seed = fileIn("examples", "seed-mlp.gradnet.json");
    const buggy = fileIn("fixtures", "buggy-softmax.gradnet.ts");
    const items = await until("the networks as test items", () => {
      const all = api.testItems();
      return all.some((i) => i.id === seed.toString()) && all.some((i) => i.id === buggy.toString()) ? all : undefined;
    }, 30_000);
    const files = (await vscode.workspace.findFiles("**/*.gradnet.{json,ts}")).map((u) => u.toString()).sort();
    assert.deepEqual(items.map((i) => i.id).sort(), files, "one item per network file");
    // A JSON network's children come from its text: nodes, then gradients.
    await open(seed);
    const seedItem = await until("seed-mlp's children", () => api.testItems().find((i) => i.id === seed.toString() && i.children.length > 0));
    const doc = await vscode.workspace.openTextDocument(seed);
    assert.deepEqual(seedItem.children.map((c) => c.label), ["fc", "p", "loss", "∂L/∂fc.W", "∂L/∂fc.b", "∂L/∂x"],
      "nodes in file order, then the gradients in the report's order (parameters, then inputs), checked or not");
    assert.equal(seedItem.children.find((c) => c.label === "p")?.line, lineOf(doc, '"id": "p"'));
    // A .gradnet.ts's nodes from its text, without running it.
    await open(buggy);
    const buggyDoc = await vscode.workspace.openTextDocument(buggy);
    const buggyItem = await until("buggy-softmax's children", () => api.testItems().find((i) => i.id === buggy.toString() && i.children.length >= 3));
    assert.deepEqual(buggyItem.children.slice(0, 3).map((c) => [c.label, c.line]), [["fc", lineOf(buggyDoc, '{ id: "fc"')], ["p", lineOf(buggyDoc, '{ id: "p"')], ["loss", lineOf(buggyDoc, '{ id: "loss"')]]);
    if (!hasDriver()) return;
    // What VS Code shows: the Testing view's rows.
    await vscode.commands.executeCommand("workbench.view.testing.focus");
    const rows = await until("the Testing view's rows", async () => {
      const r = await inWorkbench(() => [...document.querySelectorAll(".test-explorer .monaco-list-row")].map((row) => row.getAttribute("aria-label") ?? ""));
      return r.some((l) => l.includes("fixtures/buggy-softmax.gradnet.ts")) ? r : undefined;
    }, 30_000);
    for (const file of ["examples/seed-mlp.gradnet.json", "fixtures/buggy-softmax.gradnet.ts", "fixtures/big-groups.gradnet.json"]) {
      assert.ok(rows.some((l) => l.startsWith(file)), `${file} in the Testing view: ${rows.join(" | ")}`);
    }
    await screenshot(path.join(artifacts, "testing-view.png"));
  });

  it("Run All Tests checks every network: p of the buggy softmax fails with its diagnosis at its backward, correct networks pass; Cancel skips the rest", async () => {
    const buggy = fileIn("fixtures", "buggy-softmax.gradnet.ts");
    const seed = fileIn("examples", "seed-mlp.gradnet.json");
    const slow = fileIn("fixtures", "slow-mlp.gradnet.json");
    const ended = nextRunEnd();
    const runs = api.testRuns().length;
    void vscode.commands.executeCommand("testing.runAll");
    await until("the run to start", () => api.testRuns().length > runs, 30_000);
    const started = api.testRuns().at(-1)!;
    assert.deepEqual([started.profile, started.continuous, started.include], ["run", false, "all"]);
    // Networks go in path order: examples/…, then fixtures/…; slow-mlp takes a minute: cancel the run once it is under way.
    await until("the run to reach slow-mlp", () => api.worker(slow).running, 180_000);
    await vscode.commands.executeCommand("testing.cancelRun");
    await ended;

    const p = outcome(nodeItem(buggy, "p"));
    assert.equal(p?.state, "failed", JSON.stringify(p));
    assert.match(p!.messages[0].split("\n")[0], /^p: ∂p\/∂fc has the wrong sign$/, "the first line says the diagnosis in words");
    const report = api.lastCheck(buggy)!.outcome as { kind: string; report: { nodes: { id: string; diagnosis?: { detail: string } }[] } };
    assert.ok(p!.messages[0].includes(report.report.nodes.find((n) => n.id === "p")!.diagnosis!.detail), "and then the engine's diagnosis");
    assert.ok(p!.expected && p!.actual && p!.expected !== p!.actual, "expected (numeric) and actual (analytic) entries");
    assert.match(p!.expected!, /^∂p\[\d+, \d+\]\/∂fc\[\d+, \d+\] = -?\d/m);
    const doc = await vscode.workspace.openTextDocument(buggy);
    assert.deepEqual(p!.location, { file: buggy.fsPath, line: lineOf(doc, "backward:") }, "at the wrong backward");
    assert.equal(outcome(nodeItem(buggy, "fc"))?.state, "passed");
    assert.equal(outcome(buggy.toString())?.state, "failed");
    for (const id of ["fc", "p", "loss"]) assert.equal(outcome(nodeItem(seed, id))?.state, "passed", `seed-mlp's ${id}`);
    for (const g of ["fc.W", "fc.b", "x"]) assert.equal(outcome(gradItem(seed, g))?.state, "passed", `seed-mlp's ∂L/∂${g}`);
    assert.equal(outcome(seed.toString())?.state, "passed");
    // The other buggy examples fail, the hanging one errs at the time limit.
    assert.equal(outcome(fileIn("examples", "buggy", "softmax-diagonal.gradnet.ts").toString())?.state, "failed");
    const hang = outcome(fileIn("fixtures", "hang.gradnet.ts").toString());
    assert.equal(hang?.state, "errored");
    assert.match(hang!.messages[0], /stopped after 3 s/);
    // Cancelled at slow-mlp: it and the networks after it were skipped, and its worker thread ended.
    assert.equal(outcome(slow.toString())?.state, "skipped",
      JSON.stringify({ slow: outcome(slow.toString()), last: api.lastCheck(slow)?.outcome, worker: api.worker(slow), runs: api.testRuns() }));
    assert.equal(outcome(fileIn("fixtures", "throws.gradnet.ts").toString())?.state, "skipped");
    assert.equal(api.worker(slow).running, false);
    if (hasDriver()) {
      await vscode.commands.executeCommand("workbench.view.testing.focus");
      await sleep(500);
      await screenshot(path.join(artifacts, "testing-run-all.png"));
    }
  });

  it("the gutter's run button beside node p checks that node", async function () {
    needsDriver(this);
    const buggy = fileIn("fixtures", "buggy-softmax.gradnet.ts");
    const editor = await open(buggy);
    const line = lineOf(editor.document, '{ id: "p"');
    editor.revealRange(new vscode.Range(line, 0, line, 0), vscode.TextEditorRevealType.InCenter);
    await sleep(500);
    const runs = api.testRuns().length;
    const ended = nextRunEnd();
    const glyph = await clickGutterRun(line + 1);
    assert.match(glyph.classes, /testing/);
    await ended;
    assert.deepEqual(api.testRuns().slice(runs).map((r) => r.include), [[nodeItem(buggy, "p")]], "one run, of node p");
    assert.equal(outcome(nodeItem(buggy, "p"))?.state, "failed");
    await screenshot(path.join(artifacts, "testing-gutter.png"));
  });

  it("a continuous run checks a network again when a module it imports is saved", async function () {
    const net = fileIn("fixtures", "big-groups.gradnet.json");
    const layer = fileIn("fixtures", "sign-tanh.ts");
    // Its last check (Run All) read the network and its "ops" module.
    assert.ok(api.sourcesOf(net)?.includes(layer.fsPath), JSON.stringify(api.sourcesOf(net)));
    const runs = api.testRuns().length;
    await vscode.commands.executeCommand("testing.startContinuousRun");
    await until("a continuous run", () => api.testRuns().slice(runs).some((r) => r.continuous), 30_000);
    try {
      const editor = await open(layer);
      const checked = new Promise<void>((resolve) => {
        const sub = api.onDidCheck((r) => {
          if (r.uri.toString() === net.toString()) {
            sub.dispose();
            resolve();
          }
        });
      });
      const ended = nextRunEnd();
      await editor.edit((b) => b.insert(new vscode.Position(editor.document.lineCount, 0), "\n"));
      await editor.document.save();
      await checked;
      await ended;
      assert.equal(outcome(nodeItem(net, "b13_act3"))?.state, "failed");
      assert.equal(outcome(nodeItem(net, "b12_act3"))?.state, "passed");
    } finally {
      await vscode.commands.executeCommand("testing.stopContinuousRun");
    }
  });

  it("the status bar item shows the active network's last result, and a click checks it", async () => {
    // A network no check has seen yet.
    const residual = fileIn("scratch", "status-bar.gradnet.json");
    fs.mkdirSync(path.dirname(residual.fsPath), { recursive: true });
    fs.copyFileSync(fileIn("examples", "residual.gradnet.json").fsPath, residual.fsPath);
    await open(residual);
    const shown = await until("the status bar item", () => (api.statusBar().file === residual.fsPath ? api.statusBar() : undefined));
    assert.equal(shown.text, "$(beaker) GradLens: not checked");
    const checked = new Promise<void>((resolve) => {
      const sub = api.onDidCheck((r) => {
        if (r.uri.toString() === residual.toString()) {
          sub.dispose();
          resolve();
        }
      });
    });
    if (hasDriver()) await clickInWorkbench('[id="gradlens.gradlens.gradlens.status"]');
    else void vscode.commands.executeCommand("gradlens.checkGradients", residual);
    await checked;
    await until("pass in the status bar", () => api.statusBar().text === "$(pass) GradLens: pass");
    await open(fileIn("fixtures", "buggy-softmax.gradnet.ts"));
    await until("1 failing in the status bar", () => api.statusBar().text === "$(error) GradLens: 1 failing");
    if (hasDriver()) {
      // The workbench draws the item's new text a moment after the extension sets it.
      await until("1 failing drawn in the status bar", async () =>
        /GradLens: 1 failing/.test(await inWorkbench(() => (document.querySelector('[id="gradlens.gradlens.gradlens.status"]') as HTMLElement | null)?.innerText ?? "")), 10_000);
    }
    await vscode.commands.executeCommand("workbench.action.closeAllEditors");
    await until("hidden without a network", () => !api.statusBar().visible);
  });

  it("a 200-node network of 20 groups opens with its groups collapsed but the failing one, its failing node selected", async function () {
    const net = fileIn("fixtures", "big-groups.gradnet.json");
    await open(net);
    const since = api.panelMessages(net).length;
    const outcome = await vscode.commands.executeCommand<{ kind: string }>("gradlens.checkGradients", net);
    assert.equal(outcome.kind, "report");
    const drawn = await until("the graph drawn", () => api.panelMessages(net).slice(since).find((m) => m.type === "rendered"), 60_000) as { nodes: number; renderer?: string };
    assert.equal(drawn.renderer, "layered");
    assert.equal(drawn.nodes, 1 + 19 + 10 + 1, "the input, 19 collapsed groups, block13's nodes, the loss");
    if (!hasDriver()) return;
    const title = "GradLens: big-groups";
    await waitInWebview(title, 'g.node[data-node-id="b13_act3"]');
    const page = await inWebview(title, () => {
      const failing = document.querySelector('g.node[data-node-id="b13_act3"]')!;
      const vp = document.querySelector(".graph-viewport")!.getBoundingClientRect();
      const r = failing.getBoundingClientRect();
      return {
        collapsed: document.querySelectorAll("g.node.group-box.collapsed").length,
        open: [...document.querySelectorAll("[data-group-title]")].map((g) => (g as SVGElement).dataset.groupTitle),
        selected: failing.classList.contains("selected") && failing.classList.contains("fail"),
        inView: r.left >= vp.left && r.right <= vp.right && r.top >= vp.top && r.bottom <= vp.bottom,
        detail: document.querySelector(".detail")?.getAttribute("data-node"),
      };
    });
    assert.deepEqual(page, { collapsed: 19, open: ["block13"], selected: true, inView: true, detail: "b13_act3" });
    await screenshot(path.join(artifacts, "panel-big-groups.png"));
  });
});
