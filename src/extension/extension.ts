/**
 * GradLens in VS Code: commands, the panel, hovers, Problems, CodeLens, the
 * Testing view and a status bar item over the engine, which runs in worker
 * threads kept warm between checks. Everything here is registered at
 * activation; nothing runs until a network file or a command needs it (one idle
 * worker thread is started and primed, off the main thread, so the first check
 * does not wait for it).
 */
import { basename } from "node:path";
import * as vscode from "vscode";
import type { WebviewMessage, WebviewState } from "../shared/protocol.js";
import { NetworkCodeLensProvider } from "./codelens.js";
import { Diagnostics } from "./diagnostics.js";
import { isNetworkFile, resolveNetwork } from "./files.js";
import { CHECK_COMMAND, NetworkHoverProvider, SHOW_NODE_COMMAND } from "./hover.js";
import { graphWithoutCheck, NetworkPanel, PANEL_TYPE, restoredFile, type PanelHost } from "./panel.js";
import { ResultStore, type CheckOutcome, type CheckRecord } from "./results.js";
import { CheckRunner, userOutput, type WorkerState } from "./runner.js";
import { TeachRunner } from "./teacher.js";
import { registerWalkthrough } from "./walkthrough.js";
import { readSettings } from "./settings.js";
import { NetworkStatusBar, type StatusBarView } from "./status-bar.js";
import { NetworkTests } from "./testing.js";
import type { ItemOutcome } from "./test-results.js";
import { WarmWorkers, type WarmStats } from "../worker/client.js";

/** What `activate()` returns: read-only views of real state, for integration tests and other extensions. */
export interface GradLensApi {
  lastCheck(uri: vscode.Uri): CheckRecord | undefined;
  /** The worker of the latest run of this file, or of any file. */
  worker(uri?: vscode.Uri): Readonly<WorkerState>;
  /** Messages the panel of this network received from its page, oldest first. */
  panelMessages(uri: vscode.Uri): readonly WebviewMessage[];
  hasPanel(uri: vscode.Uri): boolean;
  /** Resolves with the next message of this type from the network's panel page. */
  nextPanelMessage(uri: vscode.Uri, type: WebviewMessage["type"]): Promise<WebviewMessage>;
  /** Fires after every check, with its record. */
  onDidCheck: vscode.Event<CheckRecord>;
  /** How many teaching questions (explain, descent, sweep, values) the worker answered, per kind. */
  taught(): Readonly<Record<"explain" | "descent" | "sweep" | "values", number>>;
  /** The worker threads kept warm between checks. */
  workers(): WarmStats;
  /** The status bar item as it shows now. */
  statusBar(): StatusBarView;
  /** The Testing view's items: each network's id, label and children (id, label, 0-based line). */
  testItems(): { id: string; label: string; children: { id: string; label: string; line?: number }[] }[];
  /** What the Testing view was told about an item in the last run that reached it. */
  testOutcome(id: string): ItemOutcome | undefined;
  /** Test runs started (profile, continuous, the items asked for). */
  testRuns(): readonly { profile: "run" | "debug"; continuous: boolean; include: string[] | "all"; at: number }[];
  /** Fires when a test run (or a continuous re-check) ended. */
  onDidRunTests: vscode.Event<void>;
  /** The files the network was read from in its last check (absolute paths). */
  sourcesOf(uri: vscode.Uri): readonly string[] | undefined;
}

const DOCUMENT_SELECTOR: vscode.DocumentSelector = [
  { scheme: "file", pattern: "**/*.gradnet.json" },
  { scheme: "file", pattern: "**/*.gradnet.ts" },
];

export function activate(context: vscode.ExtensionContext): GradLensApi {
  const store = new ResultStore(context.storageUri && vscode.Uri.joinPath(context.storageUri, "checks"));
  const workers = new WarmWorkers({
    workerPath: vscode.Uri.joinPath(context.extensionUri, "dist", "worker.js").fsPath,
    // esbuild is started in a fresh thread only where a .gradnet.ts may be checked.
    esbuild: () => vscode.workspace.isTrusted && hasTypeScriptNetworks,
  });
  let hasTypeScriptNetworks = false;
  const runner = new CheckRunner(store, workers);
  const teacher = new TeachRunner(userOutput);
  const host: PanelHost = {
    extensionUri: context.extensionUri, store, memento: context.workspaceState,
    recheck: (uri) => void checkAndShow(uri),
    teach: (uri, request) => teacher.answer(uri, request),
    stopTeaching: (uri) => teacher.cancel(uri),
  };

  async function checkAndShow(uri: vscode.Uri): Promise<CheckOutcome> {
    // What the panel was computing for the last report is stale now.
    teacher.cancel(uri);
    const panel = NetworkPanel.show(host, uri, true);
    panel.busy();
    const outcome = await runner.check(uri);
    if (outcome.kind === "untrusted") void vscode.window.showWarningMessage(outcome.message, "Manage Workspace Trust")
      .then((pick) => pick && vscode.commands.executeCommand("workbench.trust.manage"));
    else if (outcome.kind === "timeout") void vscode.window.showErrorMessage(
      `GradLens stopped checking after ${outcome.seconds} s. Raise gradlens.userCodeTimeoutSeconds if the network is just slow.`);
    else if (outcome.kind === "config-error" || outcome.kind === "user-error") void vscode.window.showErrorMessage(
      `GradLens: ${outcome.message}` + (outcome.line !== undefined ? ` (${outcome.kind === "user-error" && outcome.file ? `${basename(outcome.file)}, ` : ""}line ${outcome.line})` : ""));
    return outcome;
  }

  const statusBar = new NetworkStatusBar(store, (uri) => runner.isRunning(uri), runner.onDidStart);
  const tests = new NetworkTests({
    runner, store,
    showPanel: (uri, nodeId) => {
      NetworkPanel.show(host, uri);
      if (nodeId) NetworkPanel.get(uri)?.select(nodeId);
    },
  });
  // One thread started and primed now, off the main thread: the first check finds it ready.
  void vscode.workspace.findFiles("**/*.gradnet.ts", "**/node_modules/**", 1).then((ts) => {
    hasTypeScriptNetworks = ts.length > 0;
    workers.prestart();
  }, () => workers.prestart());

  context.subscriptions.push(
    store, runner, teacher, statusBar, tests, { dispose: () => workers.dispose() },
    ...registerWalkthrough({ context, store, check: checkAndShow }),
    new Diagnostics(store),
    vscode.languages.registerHoverProvider(DOCUMENT_SELECTOR, new NetworkHoverProvider(store)),
    vscode.languages.registerCodeLensProvider(DOCUMENT_SELECTOR,
      new NetworkCodeLensProvider(store, (uri) => runner.isRunning(uri), runner.onDidStart)),

    vscode.commands.registerCommand(CHECK_COMMAND, async (arg?: unknown) => {
      const uri = await resolveNetwork(arg);
      return uri ? checkAndShow(uri) : undefined;
    }),
    vscode.commands.registerCommand("gradlens.showGraph", async (arg?: unknown) => {
      const uri = await resolveNetwork(arg);
      if (!uri) return undefined;
      const panel = NetworkPanel.show(host, uri);
      if (!store.get(uri)) {
        // No check yet: draw the unchecked graph (JSON in-process, TypeScript in the worker).
        if (!vscode.workspace.textDocuments.some((d) => d.uri.toString() === uri.toString())) {
          await vscode.workspace.openTextDocument(uri);
        }
        const view = graphWithoutCheck(uri) ?? await runner.graph(uri);
        if ("nodes" in view) panel.showGraph(view);
        else panel.showOutcome(view);
      }
      return uri;
    }),
    vscode.commands.registerCommand(SHOW_NODE_COMMAND, async (arg?: unknown, nodeId?: unknown) => {
      const uri = await resolveNetwork(arg);
      if (!uri) return;
      await vscode.commands.executeCommand("gradlens.showGraph", uri);
      if (typeof nodeId === "string") NetworkPanel.get(uri)?.select(nodeId);
    }),

    vscode.window.registerWebviewPanelSerializer(PANEL_TYPE, {
      async deserializeWebviewPanel(panel: vscode.WebviewPanel, state: WebviewState | undefined) {
        const uri = restoredFile(context.workspaceState, panel, state);
        if (!uri) {
          panel.dispose();   // nothing to show: better no panel than an empty one
          return;
        }
        await store.restore(uri);   // the last report, if the page's own state lost it
        NetworkPanel.revive(host, panel, uri, state);
      },
    }),

    vscode.workspace.onDidSaveTextDocument((document) => {
      // A save during a check of this file restarts it (the check reads the file from disk).
      if (isNetworkFile(document.uri) && readSettings(document.uri).checkOnSave && !runner.isSavingForCheck(document.uri)) {
        void checkAndShow(document.uri);
      }
    }),
  );

  return {
    lastCheck: (uri) => store.get(uri),
    worker: (uri) => runner.workerState(uri),
    panelMessages: (uri) => [...(NetworkPanel.get(uri)?.received ?? [])],
    hasPanel: (uri) => NetworkPanel.get(uri) !== undefined,
    nextPanelMessage: (uri, type) => {
      const panel = NetworkPanel.get(uri);
      return panel ? panel.next(type) : Promise.reject(new Error(`no GradLens panel for ${uri.fsPath}`));
    },
    onDidCheck: store.onDidChange,
    taught: () => ({ ...teacher.answered }),
    workers: () => workers.snapshot(),
    statusBar: () => ({ ...statusBar.view }),
    testItems: () => {
      const out: ReturnType<GradLensApi["testItems"]> = [];
      tests.controller.items.forEach((item) => {
        const children: { id: string; label: string; line?: number }[] = [];
        item.children.forEach((c) => children.push({ id: c.id, label: c.label, line: c.range?.start.line }));
        out.push({ id: item.id, label: item.label, children });
      });
      return out;
    },
    testOutcome: (id) => tests.outcomes.get(id),
    testRuns: () => [...tests.runs],
    onDidRunTests: tests.onDidRun,
    sourcesOf: (uri) => runner.sourcesOf(uri),
  };
}

/**
 * Nothing to do: workers stop with the runner (a subscription), and panels are
 * left to VS Code, which serializes them on reload (disposing them here would
 * close them for good).
 */
export function deactivate(): void {}
