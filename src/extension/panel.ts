/**
 * The GradLens panel, one per network file, updated in place when the network
 * is checked again. Its state survives a reload through the webview's own
 * `setState` and the serializer registered at activation (no
 * retainContextWhenHidden: the page re-renders from state when shown again).
 */
import { basename } from "node:path";
import * as vscode from "vscode";
import { randomBytes } from "node:crypto";
import type { GraphView, Report } from "../shared/report.js";
import { panelHtml } from "../shared/page.js";
import type { HostMessage, WebviewMessage, WebviewState } from "../shared/protocol.js";
import { findDefinitions } from "./definitions.js";
import { describeDocument, isJsonNetwork, networkName } from "./files.js";
import { summarize, type CheckOutcome, type ResultStore } from "./results.js";
import type { TeachAnswer, TeachRequest } from "../shared/teach.js";

export const PANEL_TYPE = "gradlens.panel";
const FILES_KEY = "gradlens.panelFiles";

export interface PanelHost {
  readonly extensionUri: vscode.Uri;
  readonly store: ResultStore;
  readonly memento: vscode.Memento;
  recheck(uri: vscode.Uri): void;
  /** Computes what a teaching view shows (in a worker thread). */
  teach(uri: vscode.Uri, request: TeachRequest): Promise<TeachAnswer>;
  /** Stops what is being computed for this network's panel. */
  stopTeaching(uri: vscode.Uri): void;
}

export class NetworkPanel {
  private static readonly panels = new Map<string, NetworkPanel>();
  /** Every message the page sent (the test API shows them). */
  readonly received: WebviewMessage[] = [];
  private readonly disposables: vscode.Disposable[] = [];
  private ready = false;
  /** What the page should show; re-sent whenever the page (re)loads. */
  private content: HostMessage | undefined;
  private pendingSelect: string | undefined;
  /** A teaching view a command asked for before the page was ready. */
  private pendingTeach: TeachRequest | undefined;
  /** The panel most recently shown or revealed: where Explain Entry and Show Descent go without a file. */
  static lastShown: NetworkPanel | undefined;
  private readonly messageSeen = new vscode.EventEmitter<WebviewMessage>();
  readonly onDidReceive = this.messageSeen.event;

  static get(uri: vscode.Uri): NetworkPanel | undefined {
    return NetworkPanel.panels.get(uri.toString());
  }

  /** The panel of this network, revealed (created when there is none). */
  static show(host: PanelHost, uri: vscode.Uri, preserveFocus = false): NetworkPanel {
    const existing = NetworkPanel.get(uri);
    if (existing) {
      existing.panel.reveal(undefined, preserveFocus);
      return existing;
    }
    const panel = vscode.window.createWebviewPanel(PANEL_TYPE, title(uri),
      { viewColumn: vscode.ViewColumn.Beside, preserveFocus }, panelOptions(host.extensionUri));
    return new NetworkPanel(host, panel, uri);
  }

  /** Recreates a panel VS Code restored after a reload. */
  static revive(host: PanelHost, panel: vscode.WebviewPanel, uri: vscode.Uri, state: WebviewState | undefined): NetworkPanel {
    panel.webview.options = panelOptions(host.extensionUri);
    const p = new NetworkPanel(host, panel, uri);
    // A check in this window (or the saved last report) wins; else what the page
    // showed before, rather than the unchecked graph.
    if (host.store.get(uri)?.outcome.kind !== "report") {
      if (state?.report) p.content = { type: "report", report: state.report };
      else if (state?.view && !p.content) p.content = { type: "graph", view: state.view };
    }
    if (state?.selected) p.pendingSelect = state.selected;
    return p;
  }

  private constructor(private readonly host: PanelHost, readonly panel: vscode.WebviewPanel, readonly uri: vscode.Uri) {
    NetworkPanel.panels.set(uri.toString(), this);
    NetworkPanel.lastShown = this;
    void rememberFile(host.memento, panel.title, uri);
    panel.iconPath = vscode.Uri.joinPath(host.extensionUri, "media", "icon.png");
    this.content = initialContent(host.store, uri);
    panel.webview.html = this.html();
    panel.onDidDispose(() => this.dispose(), null, this.disposables);
    panel.webview.onDidReceiveMessage((m: WebviewMessage) => this.receive(m), null, this.disposables);
    // Hidden webviews are unloaded; when shown again the page sends "ready" and gets its content back.
    panel.onDidChangeViewState(() => {
      if (!panel.visible) this.ready = false;
      if (panel.active) NetworkPanel.lastShown = this;
    }, null, this.disposables);
    host.store.onDidChange((r) => {
      if (r.uri.toString() === uri.toString()) this.showOutcome(r.outcome);
    }, null, this.disposables);
  }

  /** A check is running: shown on the page until its outcome arrives (also after the page reloads). */
  private busyMessage: string | undefined;

  /** A check started: the page shows it is working. */
  busy(): void {
    this.busyMessage = `Checking ${networkName(this.uri)}…`;
    this.post({ type: "busy", message: this.busyMessage });
  }

  showOutcome(outcome: CheckOutcome): void {
    this.busyMessage = undefined;
    if (outcome.kind === "report") this.setContent({ type: "report", report: outcome.report });
    else if (outcome.kind !== "cancelled") this.setContent({ type: "error", message: summarize(outcome).replace(/^\$\([\w-]+\) /, "") + explain(outcome) });
    else this.post({ type: "error", message: "Check cancelled." });
  }

  showGraph(view: GraphView): void {
    this.setContent({ type: "graph", view });
  }

  /** Open a teaching view on the page (Explain Entry, Show Descent); the page then asks for its numbers. */
  teach(request: TeachRequest): void {
    if (this.ready) this.post({ type: "teach", request });
    else this.pendingTeach = request;
  }

  select(nodeId: string): void {
    if (this.ready) this.post({ type: "select", nodeId });
    else this.pendingSelect = nodeId;
  }

  /** Resolves with the next message of this type from the page. */
  next<T extends WebviewMessage["type"]>(type: T): Promise<Extract<WebviewMessage, { type: T }>> {
    return new Promise((resolve) => {
      const sub = this.onDidReceive((m) => {
        if (m.type === type) {
          sub.dispose();
          resolve(m as Extract<WebviewMessage, { type: T }>);
        }
      });
    });
  }

  private setContent(message: HostMessage): void {
    this.content = message;
    this.panel.title = title(this.uri);
    this.post(message);
  }

  private post(message: HostMessage): void {
    if (this.ready) void this.panel.webview.postMessage(message);
  }

  private receive(m: WebviewMessage): void {
    this.received.push(m);
    switch (m.type) {
      case "ready":
        this.ready = true;
        if (this.content) void this.panel.webview.postMessage(this.content);
        if (this.busyMessage) void this.panel.webview.postMessage({ type: "busy", message: this.busyMessage } satisfies HostMessage);
        if (this.pendingSelect) {
          void this.panel.webview.postMessage({ type: "select", nodeId: this.pendingSelect } satisfies HostMessage);
          this.pendingSelect = undefined;
        }
        if (this.pendingTeach) {
          void this.panel.webview.postMessage({ type: "teach", request: this.pendingTeach } satisfies HostMessage);
          this.pendingTeach = undefined;
        }
        break;
      case "teach": {
        const request = m.request;
        void this.host.teach(this.uri, request).then((answer) => this.post({ type: "taught", request, answer }));
        break;
      }
      case "reveal":
        void revealNode(this.host.store, this.uri, m.nodeId);
        break;
      case "recheck":
        this.host.recheck(this.uri);
        break;
      case "selected":
      case "rendered":
      case "shown":
        break;
    }
    this.messageSeen.fire(m);
  }

  private html(): string {
    const webview = this.panel.webview;
    const media = (name: string) => webview.asWebviewUri(vscode.Uri.joinPath(this.host.extensionUri, "media", name)).toString();
    return panelHtml({
      cspSource: webview.cspSource,
      nonce: randomBytes(16).toString("base64"),
      scriptUri: media("webview.js"),
      mermaidUri: media("mermaid.min.js"),
      styleUri: media("webview.css"),
      title: title(this.uri),
    });
  }

  dispose(): void {
    this.host.stopTeaching(this.uri);
    NetworkPanel.panels.delete(this.uri.toString());
    if (NetworkPanel.lastShown === this) NetworkPanel.lastShown = undefined;
    for (const d of this.disposables) d.dispose();
    this.messageSeen.dispose();
    this.panel.dispose();
  }
}

function panelOptions(extensionUri: vscode.Uri): vscode.WebviewPanelOptions & vscode.WebviewOptions {
  return {
    enableScripts: true,
    enableFindWidget: true,
    // The page loads only its own bundle, styles and Mermaid from media/.
    localResourceRoots: [vscode.Uri.joinPath(extensionUri, "media")],
  };
}

function title(uri: vscode.Uri): string {
  return `GradLens: ${networkName(uri)}`;
}

function explain(outcome: CheckOutcome): string {
  if (outcome.kind === "config-error") return ` (line ${outcome.line}, column ${outcome.column})`;
  if (outcome.kind === "user-error" && outcome.line !== undefined) return ` (${outcome.file ? `${basename(outcome.file)}, ` : ""}line ${outcome.line})`;
  if (outcome.kind === "untrusted") return `. ${outcome.message}`;
  return "";
}

/** What a new panel shows first: the last check, else (JSON) the unchecked graph. */
function initialContent(store: ResultStore, uri: vscode.Uri): HostMessage | undefined {
  const record = store.get(uri);
  if (record?.outcome.kind === "report") return { type: "report", report: record.outcome.report };
  const view = graphWithoutCheck(uri);
  return view ? { type: "graph", view } : undefined;
}

/** A JSON network's graph, built in-process (no user code runs). */
export function graphWithoutCheck(uri: vscode.Uri): GraphView | undefined {
  if (!isJsonNetwork(uri)) return undefined;
  const document = vscode.workspace.textDocuments.find((d) => d.uri.toString() === uri.toString());
  if (!document) return undefined;
  try {
    // With each node's location, so the page offers "Go to definition" before any check ran.
    return describeDocument(document).view;
  } catch {
    return undefined;
  }
}

/** Opens the network file with the node's definition selected. */
export async function revealNode(store: ResultStore, uri: vscode.Uri, nodeId: string): Promise<vscode.TextEditor> {
  const document = await vscode.workspace.openTextDocument(uri);
  const def = findDefinitions(document.getText(), isJsonNetwork(uri) ? "json" : "ts").nodes.find((n) => n.id === nodeId);
  let selection: vscode.Range | undefined;
  if (def) {
    selection = new vscode.Range(document.positionAt(def.idSpan.start), document.positionAt(def.idSpan.end));
  } else {
    const loc = store.report(uri)?.nodes.find((n) => n.id === nodeId)?.location;
    if (loc) selection = new vscode.Range(loc.line - 1, loc.column - 1, loc.line - 1, loc.column - 1);
  }
  const editor = await vscode.window.showTextDocument(document, { viewColumn: vscode.ViewColumn.One, selection });
  if (selection) editor.revealRange(selection, vscode.TextEditorRevealType.InCenterIfOutsideViewport);
  return editor;
}

/** Panel title → file, so a restored panel without a report in its state still knows its network. */
async function rememberFile(memento: vscode.Memento, panelTitle: string, uri: vscode.Uri): Promise<void> {
  const files = memento.get<Record<string, string>>(FILES_KEY, {});
  if (files[panelTitle] === uri.toString()) return;
  await memento.update(FILES_KEY, { ...files, [panelTitle]: uri.toString() });
}

/** Which network a restored panel belongs to. */
export function restoredFile(memento: vscode.Memento, panel: vscode.WebviewPanel, state: WebviewState | undefined): vscode.Uri | undefined {
  const file = state?.report?.network.file;
  if (file) return vscode.Uri.file(file);
  const remembered = memento.get<Record<string, string>>(FILES_KEY, {})[panel.title];
  return remembered ? vscode.Uri.parse(remembered) : undefined;
}

export type { Report };
