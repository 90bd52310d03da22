/**
 * A CodeLens at the top of each network file: the last result, and a click
 * runs the check again.
 */
import * as vscode from "vscode";
import { isNetworkFile } from "./files.js";
import { summarize, type ResultStore } from "./results.js";

export class NetworkCodeLensProvider implements vscode.CodeLensProvider, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChangeCodeLenses = this.changed.event;
  private readonly subscription: vscode.Disposable;

  constructor(private readonly store: ResultStore, private readonly isRunning: (uri: vscode.Uri) => boolean,
    onDidStart: vscode.Event<vscode.Uri>) {
    this.subscription = vscode.Disposable.from(
      store.onDidChange(() => this.changed.fire()),
      onDidStart(() => this.changed.fire()),
    );
  }

  provideCodeLenses(document: vscode.TextDocument): vscode.CodeLens[] {
    if (!isNetworkFile(document.uri)) return [];
    const top = new vscode.Range(0, 0, 0, 0);
    const args = [document.uri];
    const record = this.store.get(document.uri);
    if (this.isRunning(document.uri)) {
      return [new vscode.CodeLens(top, { title: "$(sync~spin) GradLens: checking…", command: "" })];
    }
    if (!record) {
      return [new vscode.CodeLens(top, { title: "$(beaker) GradLens: Check gradients", command: "gradlens.checkGradients", arguments: args })];
    }
    return [
      new vscode.CodeLens(top, {
        title: `GradLens: ${summarize(record.outcome)}`, command: "gradlens.showGraph", arguments: args,
        tooltip: "Show the computation graph with this result",
      }),
      new vscode.CodeLens(top, { title: "$(refresh) Check again", command: "gradlens.checkGradients", arguments: args }),
    ];
  }

  dispose(): void {
    this.subscription.dispose();
    this.changed.dispose();
  }
}
