/**
 * A status bar item for the active network file: its last result ("pass",
 * "1 failing", "not checked", "checking…"), and a click checks it. Hidden
 * when the active editor holds no network.
 */
import * as vscode from "vscode";
import { CHECK_COMMAND } from "./hover.js";
import { isNetworkFile, networkName } from "./files.js";
import { summarize, type CheckOutcome, type ResultStore } from "./results.js";

/** What the item shows (the extension's API hands it to the editor tests). */
export interface StatusBarView {
  visible: boolean;
  text: string;
  tooltip: string;
  /** The file a click checks. */
  file?: string;
}

/** The item's words for a check's outcome: "pass", "2 failing", "bad file"… */
export function statusWords(outcome: CheckOutcome | undefined): { icon: string; words: string } {
  if (!outcome) return { icon: "$(beaker)", words: "not checked" };
  switch (outcome.kind) {
    case "report": {
      const r = outcome.report;
      const nodes = r.nodes.filter((n) => n.status === "fail").length;
      const gradients = r.gradients.filter((g) => g.status === "fail").length;
      if (r.ok) return { icon: "$(pass)", words: r.nodes.some((n) => n.status === "kink") ? "pass (kinks)" : "pass" };
      return { icon: "$(error)", words: `${nodes || gradients} failing` };
    }
    case "config-error": return { icon: "$(error)", words: "bad file" };
    case "user-error": return { icon: "$(error)", words: "error in its code" };
    case "internal-error": return { icon: "$(bug)", words: "check failed" };
    case "timeout": return { icon: "$(watch)", words: "timed out" };
    case "cancelled": return { icon: "$(circle-slash)", words: "cancelled" };
    case "untrusted": return { icon: "$(shield)", words: "not checked (Restricted Mode)" };
  }
}

export class NetworkStatusBar implements vscode.Disposable {
  private readonly item = vscode.window.createStatusBarItem("gradlens.status", vscode.StatusBarAlignment.Left, 50);
  private readonly subscriptions: vscode.Disposable[];
  view: StatusBarView = { visible: false, text: "", tooltip: "" };

  constructor(private readonly store: ResultStore, private readonly isRunning: (uri: vscode.Uri) => boolean, onDidStart: vscode.Event<vscode.Uri>) {
    this.item.name = "GradLens";
    this.subscriptions = [
      vscode.window.onDidChangeActiveTextEditor(() => this.update()),
      store.onDidChange(() => this.update()),
      onDidStart(() => this.update()),
    ];
    this.update();
  }

  update(): void {
    const uri = vscode.window.activeTextEditor?.document.uri;
    if (!isNetworkFile(uri)) {
      this.item.hide();
      this.view = { visible: false, text: "", tooltip: "" };
      return;
    }
    const record = this.store.get(uri);
    const running = this.isRunning(uri);
    const { icon, words } = running ? { icon: "$(sync~spin)", words: "checking…" } : statusWords(record?.outcome);
    const text = `${icon} GradLens: ${words}`;
    const tooltip = running ? `Checking the gradients of ${networkName(uri)}…`
      : `${networkName(uri)}: ${record ? summarize(record.outcome).replace(/^\$\([\w-]+\) /, "") : "not checked yet"}\nClick to check its gradients${record ? " again" : ""}.`;
    this.item.text = text;
    this.item.tooltip = tooltip;
    this.item.command = { command: CHECK_COMMAND, title: "Check Gradients", arguments: [uri] };
    this.item.accessibilityInformation = { label: `GradLens: ${words}`, role: "button" };
    this.item.backgroundColor = record?.outcome.kind === "report" && !record.outcome.report.ok && !running
      ? new vscode.ThemeColor("statusBarItem.errorBackground") : undefined;
    this.item.show();
    this.view = { visible: true, text, tooltip, file: uri.fsPath };
  }

  dispose(): void {
    for (const s of this.subscriptions) s.dispose();
    this.item.dispose();
  }
}
