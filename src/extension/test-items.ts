/**
 * The Testing view's tree: one item per network file in the workspace, with a
 * child per node (its local check) and per end-to-end gradient, each at its
 * place in the file.
 *
 * The children come from the file's text, never by running it: a JSON network
 * through describeNetworkText (nodes, their parameters, the inputs), a
 * .gradnet.ts through the scanner of definitions.ts (its nodes; its gradients
 * are known once a check has run, from the report). So in Restricted Mode
 * every network is listed and none of the workspace's code runs.
 */
import * as vscode from "vscode";
import type { GraphView, Report } from "../shared/report.js";
import { paramName } from "../shared/names.js";
import { describeNetworkText } from "../config/describe.js";
import { LIMIT_HINTS } from "../shared/defaults.js";
import { findDefinitions, type Definitions } from "./definitions.js";
import { isJsonNetwork, networkName } from "./files.js";

/** What a child item stands for. */
export type ItemKind = { kind: "network" } | { kind: "node"; id: string } | { kind: "gradient"; name: string };

export const NODE_PREFIX = "#node:";
export const GRADIENT_PREFIX = "#grad:";

export const nodeItemId = (uri: vscode.Uri, id: string) => `${uri.toString()}${NODE_PREFIX}${id}`;
export const gradientItemId = (uri: vscode.Uri, name: string) => `${uri.toString()}${GRADIENT_PREFIX}${name}`;

/** Which network file and which check an item id names. */
export function parseItemId(id: string): { uri: string } & ItemKind {
  const node = id.indexOf(NODE_PREFIX);
  if (node >= 0) return { uri: id.slice(0, node), kind: "node", id: id.slice(node + NODE_PREFIX.length) };
  const grad = id.indexOf(GRADIENT_PREFIX);
  if (grad >= 0) return { uri: id.slice(0, grad), kind: "gradient", name: id.slice(grad + GRADIENT_PREFIX.length) };
  return { uri: id, kind: "network" };
}

/** The text of a network file: the open document's (unsaved edits included), else the file's. */
export async function networkText(uri: vscode.Uri): Promise<{ text: string; document?: vscode.TextDocument }> {
  const document = vscode.workspace.textDocuments.find((d) => d.uri.toString() === uri.toString());
  if (document) return { text: document.getText(), document };
  const bytes = await vscode.workspace.fs.readFile(uri);
  return { text: new TextDecoder().decode(bytes) };
}

/** Offset → position in a text that may not be open in an editor. */
function positions(text: string): (offset: number) => vscode.Position {
  const starts = [0];
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) === 10) starts.push(i + 1);
  return (offset) => {
    let lo = 0, hi = starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (starts[mid] <= offset) lo = mid; else hi = mid - 1;
    }
    return new vscode.Position(lo, offset - starts[lo]);
  };
}

export interface ChildSpec {
  id: string;
  label: string;
  description: string;
  range?: vscode.Range;
  sortText: string;
  kind: ItemKind;
}

/**
 * The children of a network's item: its nodes (in file order), then its
 * gradients (the report's when there is one, else those the JSON text names).
 */
export function childSpecs(uri: vscode.Uri, text: string, report?: Report): ChildSpec[] {
  const json = isJsonNetwork(uri);
  const defs: Definitions = findDefinitions(text, json ? "json" : "ts");
  const at = positions(text);
  const span = (s: { start: number; end: number }) => new vscode.Range(at(s.start), at(s.end));
  let view: GraphView | undefined;
  if (json) {
    try {
      view = describeNetworkText(text, uri.fsPath, { limitHints: LIMIT_HINTS }).view;
    } catch {
      view = undefined;   // the Problems panel says what is wrong; the scanner still lists the nodes
    }
  }
  const ops = new Map<string, string>();
  for (const n of report?.nodes ?? view?.nodes ?? []) ops.set(n.id, n.op);
  const out: ChildSpec[] = [];
  const nodeIds = report?.nodes.map((n) => n.id) ?? view?.nodes.map((n) => n.id) ?? defs.nodes.map((n) => n.id);
  nodeIds.forEach((id, i) => {
    const def = defs.nodes.find((n) => n.id === id);
    out.push({
      id: nodeItemId(uri, id), label: id, description: `${ops.get(id) ?? def?.op ?? "node"} · local check`,
      range: def ? span(def.object) : undefined, sortText: `a${String(i).padStart(5, "0")}`, kind: { kind: "node", id },
    });
  });
  const gradients = report
    ? report.gradients.map((g) => ({ name: g.name, node: g.node }))
    : view
      // In the report's order (parameters, then inputs), so a check does not reorder the list.
      ? [...view.nodes.flatMap((n) => n.params.map((p) => ({ name: paramName(n.id, p.name), node: n.id as string | undefined }))),
        ...view.inputs.filter((i) => i.classes === undefined && !(i as { constant?: boolean }).constant).map((i) => ({ name: i.id, node: undefined as string | undefined }))]
      : [];
  gradients.forEach((g, i) => {
    const def = g.node ? defs.nodes.find((n) => n.id === g.node) : undefined;
    const input = g.node ? undefined : defs.inputs.find((x) => x.id === g.name);
    const where = def ? span(def.object) : input ? span(input.span) : undefined;
    out.push({
      id: gradientItemId(uri, g.name), label: `∂L/∂${g.name}`, description: "end to end",
      range: where, sortText: `b${String(i).padStart(5, "0")}`, kind: { kind: "gradient", name: g.name },
    });
  });
  return out;
}

/** The item of a network file (children are filled in by `refreshChildren`). */
export function networkItem(controller: vscode.TestController, uri: vscode.Uri): vscode.TestItem {
  const existing = controller.items.get(uri.toString());
  if (existing) return existing;
  const item = controller.createTestItem(uri.toString(), networkName(uri), uri);
  item.description = vscode.workspace.asRelativePath(uri, false);
  item.canResolveChildren = true;
  item.range = new vscode.Range(0, 0, 0, 0);
  controller.items.add(item);
  return item;
}

/** Replaces a network item's children with those of its current text (and last report). */
export function setChildren(controller: vscode.TestController, item: vscode.TestItem, specs: ChildSpec[]): void {
  const children = specs.map((s) => {
    const child = item.children.get(s.id) ?? controller.createTestItem(s.id, s.label, item.uri);
    child.label = s.label;
    child.description = s.description;
    child.range = s.range;
    child.sortText = s.sortText;
    return child;
  });
  item.children.replace(children);
  item.canResolveChildren = false;
}
