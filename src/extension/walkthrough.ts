/**
 * The walkthrough's commands, and the teaching views reached from the palette:
 * - GradLens: Open Example (`gradlens.openExample`, e.g. `["buggy/softmax-diagonal.gradnet.ts", "BUG"]`):
 *   copies an example shipped with the extension into the workspace (`gradlens-walkthrough/`, or the
 *   extension's storage without a folder) so it can be edited and fixed, and opens it — a copy made
 *   earlier is kept, edits and all; the second argument selects the first line containing it;
 * - GradLens: Explain Gradient Entry (`gradlens.explainEntry`, `["fc.W[1,0]"]`): the chain rule for one
 *   entry in the panel's Explain view;
 * - GradLens: Show Gradient Descent (`gradlens.showDescent`): the panel's Descent tab.
 * Both check the network first when it has no report yet.
 */
import * as vscode from "vscode";
import { parseEntry } from "../shared/names.js";
import type { TeachRequest } from "../shared/teach.js";
import { isNetworkFile, resolveNetwork } from "./files.js";
import { NetworkPanel } from "./panel.js";
import type { ResultStore } from "./results.js";

export const OPEN_EXAMPLE_COMMAND = "gradlens.openExample";
export const EXPLAIN_COMMAND = "gradlens.explainEntry";
export const DESCENT_COMMAND = "gradlens.showDescent";
export const WALKTHROUGH_ID = "gradlens.gradlens#lecture";

export interface WalkthroughHost {
  context: vscode.ExtensionContext;
  store: ResultStore;
  /** Checks the network and shows its panel. */
  check(uri: vscode.Uri): Promise<unknown>;
}

/** The walkthrough's examples, by file name: the context key that marks each step done. */
const LECTURE = "seed-mlp.gradnet.json", BUGGY = "softmax-diagonal.gradnet.ts";
const progress = (key: string) => void vscode.commands.executeCommand("setContext", `gradlens.walkthrough.${key}`, true);
const copyOf = (uri: vscode.Uri, name: string) => uri.path.endsWith(`/gradlens-walkthrough/${name}`);

/** Marks the steps done as they happen: the lecture checked, the bug seen, the copy edited, then passing. */
function trackProgress(store: ResultStore): vscode.Disposable[] {
  return [
    store.onDidChange((r) => {
      if (r.outcome.kind !== "report") return;
      if (copyOf(r.uri, LECTURE)) progress("lectureChecked");
      if (copyOf(r.uri, BUGGY)) progress(r.outcome.report.ok ? "buggyFixed" : "buggyFailed");
    }),
    vscode.workspace.onDidSaveTextDocument((d) => {
      if (copyOf(d.uri, BUGGY)) progress("buggyEdited");
    }),
  ];
}

export function registerWalkthrough(host: WalkthroughHost): vscode.Disposable[] {
  return [
    ...trackProgress(host.store),
    vscode.commands.registerCommand(OPEN_EXAMPLE_COMMAND, async (name?: unknown, reveal?: unknown) =>
      openExample(host.context, typeof name === "string" && name ? name : await pickExample(host.context), reveal)),
    vscode.commands.registerCommand(EXPLAIN_COMMAND, async (entry?: unknown, file?: unknown) => {
      const text = typeof entry === "string" && entry ? entry : await askEntry();
      return text ? teachIn(host, file, { kind: "explain", entry: text }) : undefined;
    }),
    vscode.commands.registerCommand(DESCENT_COMMAND, (file?: unknown) => teachIn(host, file, { kind: "descent" })),
  ];
}

async function askEntry(): Promise<string | undefined> {
  return vscode.window.showInputBox({
    title: "GradLens: explain one entry of a gradient",
    prompt: "A parameter's entry (node.param[i,j]) or an input's (input[i,j])",
    placeHolder: "fc.W[1,0]",
    validateInput: (v) => {
      const e = parseEntry(v);
      return "error" in e ? e.error : undefined;
    },
  });
}

/** The network a teaching command is about: its argument, the active or a visible network editor, the last panel, or one picked. */
async function networkFor(file: unknown): Promise<vscode.Uri | undefined> {
  if (file instanceof vscode.Uri || (typeof file === "string" && file)) return resolveNetwork(file);
  const shown = [vscode.window.activeTextEditor?.document.uri, ...vscode.window.visibleTextEditors.map((e) => e.document.uri)].filter(isNetworkFile);
  return shown[0] ?? NetworkPanel.lastShown?.uri ?? resolveNetwork(undefined);
}

async function teachIn(host: WalkthroughHost, file: unknown, request: TeachRequest): Promise<vscode.Uri | undefined> {
  const uri = await networkFor(file);
  if (!uri) return undefined;
  if (host.store.get(uri)?.outcome.kind !== "report" || !NetworkPanel.get(uri)) await host.check(uri);
  NetworkPanel.get(uri)?.teach(request);
  return uri;
}

/** One of the examples the extension ships (examples/*.gradnet.json, examples/buggy/*). */
async function pickExample(context: vscode.ExtensionContext): Promise<string | undefined> {
  const list = async (dir: string) => (await vscode.workspace.fs.readDirectory(vscode.Uri.joinPath(context.extensionUri, "examples", ...(dir ? [dir] : []))))
    .filter(([f, type]) => type === vscode.FileType.File && /\.gradnet\.(json|ts)$/.test(f)).map(([f]) => (dir ? `${dir}/${f}` : f));
  const names = [...(await list("")), ...(await list("buggy"))];
  const picked = await vscode.window.showQuickPick(names.map((label) => ({ label, description: label.startsWith("buggy/") ? "deliberately wrong" : "" })),
    { title: "GradLens: open an example network (copied into your workspace)" });
  return picked?.label;
}

/** Copies `examples/<name>` from the extension into the workspace (once) and opens it. */
export async function openExample(context: vscode.ExtensionContext, name: unknown, reveal?: unknown): Promise<vscode.Uri | undefined> {
  if (name === undefined) return undefined;
  const file = String(name);
  if (!/^[\w-]+(\/[\w-]+)*\.gradnet\.(json|ts)$/.test(file)) {
    void vscode.window.showErrorMessage(`GradLens: no example named ${file}`);
    return undefined;
  }
  const source = vscode.Uri.joinPath(context.extensionUri, "examples", ...file.split("/"));
  const folder = vscode.workspace.workspaceFolders?.[0]?.uri;
  const target = vscode.Uri.joinPath(folder ? vscode.Uri.joinPath(folder, "gradlens-walkthrough") : vscode.Uri.joinPath(context.globalStorageUri, "walkthrough"), file.replace(/^.*\//, ""));
  if (!(await exists(target))) {
    const text = new TextDecoder().decode(await vscode.workspace.fs.readFile(source));
    await vscode.workspace.fs.createDirectory(vscode.Uri.joinPath(target, ".."));
    // The example's "$schema" points into the repository; a copy is validated by the extension's jsonValidation.
    await vscode.workspace.fs.writeFile(target, new TextEncoder().encode(text.replace(/^\s*"\$schema": "[^"]*",\n/m, "")));
  }
  if (file.endsWith(LECTURE)) progress("lectureOpen");
  if (file.endsWith(BUGGY)) progress("buggyOpen");
  const document = await vscode.workspace.openTextDocument(target);
  const at = typeof reveal === "string" && reveal ? document.getText().indexOf(reveal) : -1;
  const line = at >= 0 ? document.lineAt(document.positionAt(at).line).range : undefined;
  // Beside the walkthrough when it is on show (it is no text editor), else in the first column.
  const beside = vscode.window.tabGroups.activeTabGroup.activeTab && !(vscode.window.tabGroups.activeTabGroup.activeTab.input instanceof vscode.TabInputText);
  const editor = await vscode.window.showTextDocument(document, { viewColumn: beside ? vscode.ViewColumn.Beside : vscode.ViewColumn.One, preview: false, selection: line });
  if (line) editor.revealRange(line, vscode.TextEditorRevealType.InCenter);
  return target;
}

async function exists(uri: vscode.Uri): Promise<boolean> {
  try {
    await vscode.workspace.fs.stat(uri);
    return true;
  } catch {
    return false;
  }
}
