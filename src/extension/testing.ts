/**
 * GradLens in VS Code's Testing view: every `*.gradnet.json` / `*.gradnet.ts`
 * of the workspace is a test item (found at activation and by a file watcher),
 * its nodes' local checks and its end-to-end gradients are its children
 * (test-items.ts), and a run checks each network in the worker, as
 * "Check Gradients" does, and tells every child what it came to
 * (test-results.ts).
 *
 * Profiles: Run (also continuous: a network is checked again when it, or a
 * module it was read from, is saved), and Debug, which runs the same check and
 * then opens the GradLens panel at the first failing node — the place to debug
 * a gradient. A run honours its cancellation (the check's worker thread is
 * terminated); a .gradnet.ts in Restricted Mode is listed from its text and
 * reported skipped, never run.
 */
import * as vscode from "vscode";
import { dirname, resolve } from "node:path";
import type { CheckRunner } from "./runner.js";
import { isJsonNetwork, isNetworkFile, NETWORK_GLOB } from "./files.js";
import type { CheckOutcome, ResultStore } from "./results.js";
import { childSpecs, networkItem, networkText, parseItemId, setChildren } from "./test-items.js";
import { reportOutcome, type TestOutcomes } from "./test-results.js";

export interface TestingHost {
  runner: CheckRunner;
  store: ResultStore;
  /** Opens the panel of a checked network, with this node selected. */
  showPanel(uri: vscode.Uri, nodeId?: string): void;
}

/** Saves closer together than this are one change (Save All). */
const SAVE_SETTLE_MS = 250;

export class NetworkTests implements vscode.Disposable {
  readonly controller = vscode.tests.createTestController("gradlens", "GradLens gradient checks");
  /** What each item was last told (for the extension's API: VS Code offers no way to read results back). */
  readonly outcomes: TestOutcomes = new Map();
  /** Runs started, each with the ids it was asked for (or "all"), for the API. */
  readonly runs: { profile: "run" | "debug"; continuous: boolean; include: string[] | "all"; at: number }[] = [];
  private readonly disposables: vscode.Disposable[] = [];
  private readonly refreshTimers = new Map<string, NodeJS.Timeout>();
  private discovered: Promise<void> | undefined;
  private readonly runProfile: vscode.TestRunProfile;
  private readonly debugProfile: vscode.TestRunProfile;
  private readonly ran = new vscode.EventEmitter<void>();
  /** Fires when a run (or a continuous re-check) ended. */
  readonly onDidRun = this.ran.event;

  constructor(private readonly host: TestingHost) {
    const c = this.controller;
    c.resolveHandler = async (item) => {
      if (!item) await this.discover();
      else await this.refresh(item.uri!);
    };
    c.refreshHandler = async () => {
      this.discovered = undefined;
      await this.discover();
    };
    this.runProfile = c.createRunProfile("Check gradients", vscode.TestRunProfileKind.Run,
      (request, token) => this.run(request, token, "run"), true, undefined, true);
    this.debugProfile = c.createRunProfile("Check gradients and show the graph", vscode.TestRunProfileKind.Debug,
      (request, token) => this.run(request, token, "debug"), true);

    const watcher = vscode.workspace.createFileSystemWatcher(NETWORK_GLOB);
    // A deleted folder is one delete event for the folder, none for the networks in it.
    const folders = vscode.workspace.createFileSystemWatcher("**/*", true, true, false);
    this.disposables.push(
      c, watcher, folders, this.ran,
      folders.onDidDelete((uri) => this.forget(uri)),
      watcher.onDidCreate((uri) => void this.refresh(uri)),
      watcher.onDidChange((uri) => {
        // An open document is refreshed from its own text as it changes.
        if (!vscode.workspace.textDocuments.some((d) => d.uri.toString() === uri.toString())) void this.refresh(uri);
      }),
      watcher.onDidDelete((uri) => this.forget(uri)),
      vscode.workspace.onDidOpenTextDocument((d) => {
        if (isNetworkFile(d.uri)) void this.refresh(d.uri);
      }),
      vscode.workspace.onDidChangeTextDocument((e) => {
        if (isNetworkFile(e.document.uri) && e.contentChanges.length > 0) this.refreshSoon(e.document.uri);
      }),
      // A check by any means (the command, checkOnSave, a run) brings the children up to date with its report.
      host.store.onDidChange((record) => {
        if (record.outcome.kind === "report") void this.refresh(record.uri);
      }),
    );
    void this.discover();
  }

  /** A deleted network file, or a deleted folder: its items and their outcomes go. */
  private forget(uri: vscode.Uri): void {
    const gone = uri.toString();
    const under = (id: string) => id === gone || id.startsWith(`${gone}/`);
    const ids: string[] = [];
    this.controller.items.forEach((item) => void (under(item.id) && ids.push(item.id)));
    for (const id of ids) this.controller.items.delete(id);
    for (const id of [...this.outcomes.keys()]) if (under(parseItemId(id).uri)) this.outcomes.delete(id);
  }

  /** Every network file of the workspace as an item (children come when resolved or opened). */
  discover(): Promise<void> {
    this.discovered ??= (async () => {
      const files = await vscode.workspace.findFiles(NETWORK_GLOB, "**/node_modules/**", 5000);
      const known = new Set(files.map((f) => f.toString()));
      this.controller.items.forEach((item) => {
        if (!known.has(item.id)) this.controller.items.delete(item.id);
      });
      for (const uri of files) networkItem(this.controller, uri);
      for (const d of vscode.workspace.textDocuments) if (isNetworkFile(d.uri)) await this.refresh(d.uri);
    })();
    return this.discovered;
  }

  /** The network's item with its children read from its current text (and its last report). */
  async refresh(uri: vscode.Uri): Promise<vscode.TestItem | undefined> {
    if (!isNetworkFile(uri)) return undefined;
    const item = networkItem(this.controller, uri);
    try {
      const { text } = await networkText(uri);
      setChildren(this.controller, item, childSpecs(uri, text, this.host.store.report(uri)));
      item.error = undefined;
    } catch (e) {
      item.error = `GradLens could not read this network: ${e instanceof Error ? e.message : String(e)}`;
    }
    return item;
  }

  private refreshSoon(uri: vscode.Uri): void {
    const key = uri.toString();
    clearTimeout(this.refreshTimers.get(key));
    this.refreshTimers.set(key, setTimeout(() => {
      this.refreshTimers.delete(key);
      void this.refresh(uri);
    }, SAVE_SETTLE_MS));
  }

  /** The networks a request covers, each with the items of it that were asked for (its own item when all of it was). */
  private async plan(request: vscode.TestRunRequest): Promise<Map<string, { network: vscode.TestItem; items: vscode.TestItem[] }>> {
    await this.discover();
    const excluded = new Set((request.exclude ?? []).map((i) => i.id));
    const plan = new Map<string, { network: vscode.TestItem; items: vscode.TestItem[] }>();
    const roots: vscode.TestItem[] = [];
    if (request.include) roots.push(...request.include);
    else this.controller.items.forEach((i) => roots.push(i));
    for (const asked of roots) {
      if (excluded.has(asked.id)) continue;
      const { uri } = parseItemId(asked.id);
      const network = this.controller.items.get(uri);
      if (!network) continue;
      if (network.canResolveChildren) await this.refresh(network.uri!);
      const entry = plan.get(uri) ?? { network, items: [] };
      plan.set(uri, entry);
      const wanted = asked === network ? [network, ...childrenOf(network)] : [asked];
      for (const item of wanted) if (!excluded.has(item.id) && !entry.items.includes(item)) entry.items.push(item);
    }
    // Networks in path order: a run goes through the workspace as the explorer lists it.
    return new Map([...plan].sort(([, a], [, b]) => a.network.uri!.fsPath.localeCompare(b.network.uri!.fsPath)));
  }

  private async run(request: vscode.TestRunRequest, token: vscode.CancellationToken, profile: "run" | "debug"): Promise<void> {
    this.runs.push({ profile, continuous: request.continuous === true, include: request.include?.map((i) => i.id) ?? "all", at: Date.now() });
    if (request.continuous) return this.watch(request, token);
    const plan = await this.plan(request);
    const run = this.controller.createTestRun(request, undefined, true);
    try {
      const outcomes = await this.check(run, plan, token);
      if (profile === "debug") {
        // The first network that failed (else the first checked), at its first failing node.
        const shown = outcomes.find((o) => o.outcome.kind === "report" && !o.outcome.report.ok) ?? outcomes[0];
        if (shown) {
          const report = shown.outcome.kind === "report" ? shown.outcome.report : undefined;
          this.host.showPanel(shown.uri, report?.nodes.find((n) => n.status === "fail")?.id);
        }
      }
    } finally {
      run.end();
      this.ran.fire();
    }
  }

  /** Checks each planned network in turn and reports it to `run`. */
  private async check(run: vscode.TestRun, plan: Map<string, { network: vscode.TestItem; items: vscode.TestItem[] }>,
    token: vscode.CancellationToken): Promise<{ uri: vscode.Uri; outcome: CheckOutcome }[]> {
    const done: { uri: vscode.Uri; outcome: CheckOutcome }[] = [];
    for (const { items } of plan.values()) for (const item of items) run.enqueued(item);
    for (const { network, items } of plan.values()) {
      const uri = network.uri!;
      if (token.isCancellationRequested) {
        // Not reached: told (and recorded) as skipped, like the network the cancel stopped.
        reportOutcome(run, network, items, { kind: "cancelled" }, undefined, this.outcomes);
        continue;
      }
      for (const item of items) run.started(item);
      const cancel = token.onCancellationRequested(() => void this.host.runner.cancel(uri));
      let outcome: CheckOutcome;
      try {
        outcome = await this.host.runner.check(uri);
      } finally {
        cancel.dispose();
      }
      await this.refresh(uri);
      const { text } = await networkText(uri).catch(() => ({ text: undefined }));
      reportOutcome(run, network, items, outcome, text, this.outcomes);
      done.push({ uri, outcome });
    }
    return done;
  }

  /**
   * Continuous run: until the request is cancelled, a saved file re-checks the
   * networks of the request that it is (or that were read from it: a module of
   * custom ops, a layers file it imports), each save in a run of its own.
   */
  private watch(request: vscode.TestRunRequest, token: vscode.CancellationToken): Promise<void> {
    return new Promise((done) => {
      const pending = new Set<string>();
      let timer: NodeJS.Timeout | undefined;
      const flush = async () => {
        timer = undefined;
        const saved = [...pending];
        pending.clear();
        const plan = await this.plan(request);
        for (const [uri, entry] of plan) if (!saved.some((file) => this.dependsOn(entry.network.uri!, file))) plan.delete(uri);
        if (plan.size === 0 || token.isCancellationRequested) return;
        const run = this.controller.createTestRun(new vscode.TestRunRequest(request.include, request.exclude, request.profile, true), undefined, true);
        try {
          await this.check(run, plan, token);
        } finally {
          run.end();
          this.ran.fire();
        }
      };
      const saves = vscode.workspace.onDidSaveTextDocument((d) => {
        if (d.uri.scheme !== "file" || this.host.runner.isSavingForCheck(d.uri)) return;
        pending.add(d.uri.fsPath);
        clearTimeout(timer);
        timer = setTimeout(() => void flush(), SAVE_SETTLE_MS);
      });
      token.onCancellationRequested(() => {
        saves.dispose();
        clearTimeout(timer);
        done();
      });
    });
  }

  /** Whether saving `file` can change the check of `network`: it is the network, or a file it was read from. */
  private dependsOn(network: vscode.Uri, file: string): boolean {
    if (network.fsPath === file) return true;
    const sources = this.host.runner.sourcesOf(network);
    if (sources) return sources.includes(file);
    // Never checked in this window: the modules its text names ("ops" paths, relative imports).
    return namedModules(network).some((m) => m === file || m.replace(/\.(ts|js)$/, "") === file.replace(/\.(ts|js)$/, ""));
  }

  /** Runs "Run All Tests" would start, for the API (the profile kinds). */
  get profiles(): { run: vscode.TestRunProfile; debug: vscode.TestRunProfile } {
    return { run: this.runProfile, debug: this.debugProfile };
  }

  dispose(): void {
    for (const t of this.refreshTimers.values()) clearTimeout(t);
    for (const d of this.disposables) d.dispose();
  }
}

function childrenOf(item: vscode.TestItem): vscode.TestItem[] {
  const out: vscode.TestItem[] = [];
  item.children.forEach((c) => out.push(c));
  return out;
}

/** Modules a network's open text names: JSON "ops" paths, a .gradnet.ts's relative imports (absolute paths). */
function namedModules(network: vscode.Uri): string[] {
  const document = vscode.workspace.textDocuments.find((d) => d.uri.toString() === network.toString());
  if (!document) return [];
  const text = document.getText();
  const base = dirname(network.fsPath);
  const specifiers = isJsonNetwork(network)
    ? [...text.matchAll(/"(\.\.?\/[^"#]+)#/g)].map((m) => m[1])
    : [...text.matchAll(/\bfrom\s*["'](\.\.?\/[^"']+)["']/g)].map((m) => m[1]);
  return specifiers.map((s) => resolve(base, s)).flatMap((p) => (/\.\w+$/.test(p) ? [p] : [`${p}.ts`, p]));
}
