/**
 * Which files are networks, and how to find one when the user did not say.
 */
import * as vscode from "vscode";
import { describeNetworkText, type NetworkDescription } from "../config/describe.js";
import { LIMIT_HINTS } from "../shared/defaults.js";

export const NETWORK_GLOB = "**/*.gradnet.{json,ts}";

export function isNetworkFile(uri: vscode.Uri | undefined): uri is vscode.Uri {
  return !!uri && uri.scheme === "file" && /\.gradnet\.(json|ts)$/i.test(uri.fsPath);
}

export function isJsonNetwork(uri: vscode.Uri): boolean {
  return /\.gradnet\.json$/i.test(uri.fsPath);
}

/** A short name for titles and messages: the file name without `.gradnet.json`/`.gradnet.ts`. */
export function networkName(uri: vscode.Uri): string {
  const base = uri.path.slice(uri.path.lastIndexOf("/") + 1);
  return base.replace(/\.gradnet\.(json|ts)$/i, "");
}

/**
 * A JSON network document as the user typed it: its graph, or its problems
 * (config's describeNetworkText, in this thread, no user code), with the same
 * advice on limits as a check gives.
 */
export function describeDocument(document: vscode.TextDocument): NetworkDescription {
  return describeNetworkText(document.getText(), document.uri.fsPath, { limitHints: LIMIT_HINTS });
}

/**
 * The network a command should act on: the argument (explorer / title menu /
 * CodeLens / hover link), else the active editor's file, else the one network
 * file on show, else one the user picks from the workspace's network files.
 */
export async function resolveNetwork(arg: unknown): Promise<vscode.Uri | undefined> {
  if (arg instanceof vscode.Uri) return arg;
  if (typeof arg === "string" && arg) return vscode.Uri.parse(arg);
  const active = vscode.window.activeTextEditor?.document.uri;
  if (isNetworkFile(active)) return active;
  // The walkthrough (or a panel) has the focus and one network file is on show beside it: that one.
  const visible = [...new Set(vscode.window.visibleTextEditors.map((e) => e.document.uri).filter(isNetworkFile).map((u) => u.toString()))];
  if (visible.length === 1) return vscode.Uri.parse(visible[0]);
  const files = (await vscode.workspace.findFiles(NETWORK_GLOB, "**/node_modules/**", 500))
    .sort((a, b) => a.fsPath.localeCompare(b.fsPath));
  if (files.length === 0) {
    void vscode.window.showInformationMessage(
      "GradLens: no network file here. Open or create a *.gradnet.json or *.gradnet.ts file.");
    return undefined;
  }
  const picked = await vscode.window.showQuickPick(
    files.map((uri) => ({ label: networkName(uri), description: vscode.workspace.asRelativePath(uri), uri })),
    { title: "GradLens: which network?", placeHolder: "Pick a network file", matchOnDescription: true });
  return picked?.uri;
}
