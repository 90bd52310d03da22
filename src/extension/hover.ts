/**
 * Hover over a node (anywhere in its object) in a `.gradnet.json`, or over a node
 * entry or a `defineOp` call in a `.gradnet.ts`: what the node is (op, shapes,
 * parameters, a built-in's derivative formula) and what its last check said,
 * with links to check it and to show it in the graph.
 */
import * as vscode from "vscode";
import { builtinOps } from "../engine/ops/index.js";
import { readFileSync } from "node:fs";
import { basename, dirname, resolve } from "node:path";
import { isPythonOpRef } from "../config/load.js";
import { findPythonLayer } from "../config/python-source.js";
import type { GradientReport, GraphView, InputReport, NodeReport, PythonLayerReport, Report } from "../shared/report.js";
import { definitionAt, findDefinitions, type Definitions } from "./definitions.js";
import { describeDocument, isJsonNetwork, isNetworkFile } from "./files.js";
import { formatError, summarize, type ResultStore } from "./results.js";

export const CHECK_COMMAND = "gradlens.checkGradients";
export const SHOW_NODE_COMMAND = "gradlens.showNode";

type NodeFacts = Pick<NodeReport, "id" | "op" | "inputs" | "inputShapes" | "outputShape" | "outputs" | "params">;

export class NetworkHoverProvider implements vscode.HoverProvider {
  /** The graph of a JSON document, per version: hovering must not rebuild the graph each time. */
  private cache = new WeakMap<vscode.TextDocument, { version: number; view?: GraphView }>();

  constructor(private readonly store: ResultStore) {}

  provideHover(document: vscode.TextDocument, position: vscode.Position): vscode.Hover | undefined {
    if (!isNetworkFile(document.uri)) return undefined;
    const json = isJsonNetwork(document.uri);
    const defs = findDefinitions(document.getText(), json ? "json" : "ts");
    const offset = document.offsetAt(position);
    const hit = definitionAt(defs, offset);
    const opRef = hit ? undefined : defs.opRefs.find((r) => r.span.start <= offset && offset <= r.span.end && isPythonOpRef(r.ref));
    if (opRef) return this.pythonOpHover(document, defs, opRef);
    if (!hit) return undefined;
    const record = this.store.get(document.uri);
    const report = record?.outcome.kind === "report" ? record.outcome.report : undefined;
    const md = new vscode.MarkdownString(undefined, true);
    md.isTrusted = { enabledCommands: [CHECK_COMMAND, SHOW_NODE_COMMAND] };
    md.supportHtml = false;

    if ("node" in hit) {
      const id = hit.node.id;
      const checked = report?.nodes.find((n) => n.id === id);
      const facts: NodeFacts | undefined = checked ?? (json ? this.view(document)?.nodes.find((n) => n.id === id) : undefined);
      const op = checked?.op ?? facts?.op ?? hit.node.op ?? "?";
      md.appendMarkdown(`**GradLens** · node \`${id}\` · op \`${op}\`\n\n`);
      if (facts) describeShapes(md, facts);
      const formula = builtinOps.get(op)?.formula;
      const summary = builtinOps.get(op)?.summary;
      if (summary) md.appendMarkdown(`${escape(summary)}\n\n`);
      if (formula) md.appendMarkdown(`Derivative: \`${formula.replace(/`/g, "'")}\`\n\n`);
      const pythonRef = defs.opRefs.find((r) => r.name === hit.node.op && isPythonOpRef(r.ref));
      if (pythonRef) describePythonLayer(md, document.uri, pythonRef.ref, checked?.pythonLayer);
      describeResult(md, checked, report, record ? summarize(record.outcome) : undefined);
      appendLinks(md, document.uri, id);
      const range = new vscode.Range(document.positionAt(hit.node.object.start), document.positionAt(hit.node.object.end));
      return new vscode.Hover(md, range);
    }

    if ("input" in hit) {
      const id = hit.input.id;
      const input = report?.inputs.find((i) => i.id === id) ?? (json ? this.view(document)?.inputs.find((i) => i.id === id) : undefined);
      md.appendMarkdown(`**GradLens** · input \`${id}\`${input ? ` ${shape(input.shape)}` : ""}\n\n`);
      if (input) describeInput(md, input, report?.gradients.find((g) => g.name === id && !g.node));
      appendLinks(md, document.uri, id);
      return new vscode.Hover(md, new vscode.Range(document.positionAt(hit.input.span.start), document.positionAt(hit.input.span.end)));
    }

    // A defineOp call: the op and every node that uses it.
    const op = hit.op;
    md.appendMarkdown(`**GradLens** · custom op \`${op.name}\`\n\n`);
    const users = report?.nodes.filter((n) => n.op === op.name) ?? [];
    const usedBy = defs.nodes.filter((n) => n.op === op.variable || n.op === op.name).map((n) => n.id);
    if (users.length === 0) {
      md.appendMarkdown(usedBy.length ? `Used by ${usedBy.map((u) => `\`${u}\``).join(", ")}.\n\n` : "Not used by any node of this network.\n\n");
      describeResult(md, undefined, report, record ? summarize(record.outcome) : undefined);
      appendLinks(md, document.uri, usedBy[0]);
    } else {
      for (const node of users) {
        md.appendMarkdown(`---\n\nnode \`${node.id}\`\n\n`);
        describeShapes(md, node);
        describeResult(md, node, report, undefined);
      }
      appendLinks(md, document.uri, users[0].id);
    }
    return new vscode.Hover(md, new vscode.Range(document.positionAt(op.call.start), document.positionAt(op.call.end)));
  }

  /** Hover over an "ops" entry that names a Python layer: the layer, and the nodes that use it. */
  private pythonOpHover(document: vscode.TextDocument, defs: Definitions, opRef: Definitions["opRefs"][number]): vscode.Hover {
    const report = this.store.report(document.uri);
    const md = new vscode.MarkdownString(undefined, true);
    md.isTrusted = { enabledCommands: [CHECK_COMMAND, SHOW_NODE_COMMAND] };
    md.supportHtml = false;
    md.appendMarkdown(`**GradLens** · custom op \`${opRef.name}\`\n\n`);
    const users = defs.nodes.filter((n) => n.op === opRef.name).map((n) => n.id);
    describePythonLayer(md, document.uri, opRef.ref, report?.nodes.find((n) => users.includes(n.id))?.pythonLayer);
    md.appendMarkdown(users.length ? `Used by ${users.map((u) => `\`${u}\``).join(", ")}.\n\n` : "Not used by any node of this network.\n\n");
    for (const id of users) {
      const node = report?.nodes.find((n) => n.id === id);
      if (node) describeResult(md, node, report, undefined);
    }
    appendLinks(md, document.uri, users[0]);
    return new vscode.Hover(md, new vscode.Range(document.positionAt(opRef.span.start), document.positionAt(opRef.span.end)));
  }

  private view(document: vscode.TextDocument): GraphView | undefined {
    const cached = this.cache.get(document);
    if (cached?.version === document.version) return cached.view;
    let view: GraphView | undefined;
    try {
      view = describeDocument(document).view;
    } catch {
      view = undefined;   // the Problems panel says what is wrong
    }
    this.cache.set(document, { version: document.version, view });
    return view;
  }
}

/**
 * A Python layer: its kind, its file and the lines of its forward and backward (links that open
 * them). From the last check when there is one (what the interpreter said), else read from the
 * file's text — nothing runs for a hover.
 */
function describePythonLayer(md: vscode.MarkdownString, network: vscode.Uri, ref: string, checked: PythonLayerReport | undefined): void {
  const hash = ref.lastIndexOf("#");
  const name = hash >= 0 ? ref.slice(hash + 1).trim() : "";
  const file = checked?.file ?? resolve(dirname(network.fsPath), (hash >= 0 ? ref.slice(0, hash) : ref).trim());
  const fileLink = `[${code(basename(file))}](${vscode.Uri.file(file).toString()})`;
  const at = (what: string, loc: { line: number; column: number } | undefined) =>
    loc ? `[${code(what)}](${vscode.Uri.file(file).with({ fragment: `L${loc.line},${loc.column}` }).toString()}) (line ${loc.line})` : code(what);
  let layer: { kind: "numpy" | "torch"; forward: string; backward: string; forwardAt?: { line: number; column: number }; backwardAt?: { line: number; column: number }; doc?: string } | undefined;
  if (checked) {
    layer = { kind: checked.kind, forward: checked.forwardName, backward: checked.backwardName, forwardAt: checked.forwardLocation, backwardAt: checked.backwardLocation };
  } else {
    let text: string | undefined;
    try {
      text = readFileSync(file, "utf8");
    } catch {
      md.appendMarkdown(`Python layer ${code(ref)}: cannot read ${code(file)}.\n\n`);
      return;
    }
    const found = findPythonLayer(text, name);
    if (!found) {
      md.appendMarkdown(`Python layer: ${fileLink} has no pair ${code(`${name}_forward`)} / ${code(`${name}_backward`)} nor a \`torch.autograd.Function\` named ${code(name)}.\n\n`);
      return;
    }
    layer = { kind: found.kind, forward: found.forward.name, backward: found.backward.name, forwardAt: found.forward, backwardAt: found.backward, doc: found.doc };
  }
  const kind = layer.kind === "torch" ? `\`torch.autograd.Function\` ${code(name)}` : "NumPy pair";
  md.appendMarkdown(`Python layer: ${kind} in ${fileLink} — forward ${at(layer.forward, layer.forwardAt)}, backward ${at(layer.backward, layer.backwardAt)}\n\n`);
  if (layer.doc) md.appendMarkdown(`${escape(layer.doc)}\n\n`);
}

function describeShapes(md: vscode.MarkdownString, n: NodeFacts): void {
  const ins = n.inputs.map((name, i) => `\`${name}\` ${shape(n.inputShapes[i])}`).join(", ");
  // A node with several outputs: each by name (another node reads one as "node:name").
  const outs = n.outputs ? n.outputs.map((o) => `\`${n.id}:${o.name}\` ${shape(o.shape)}`).join(", ") : shape(n.outputShape);
  md.appendMarkdown(`${ins || "(no inputs)"} → ${outs}\n\n`);
  if (n.outputs) md.appendMarkdown(`${n.outputs.length} outputs: ${n.outputs.map((o) => `\`${o.name}\``).join(", ")} (plain \`${n.id}\` reads \`${n.outputs[0].name}\`).\n\n`);
  if (n.params.length > 0) {
    const total = n.params.reduce((s, p) => s + p.size, 0);
    md.appendMarkdown(`Parameters: ${n.params.map((p) => `\`${p.name}\` ${shape(p.shape)} (${p.size})`).join(", ")}` +
      ` — ${total} in all\n\n`);
  } else {
    md.appendMarkdown("No parameters.\n\n");
  }
}

function describeInput(md: vscode.MarkdownString, input: InputReport, gradient: GradientReport | undefined): void {
  if (input.constant && input.classes === undefined) md.appendMarkdown("Constant: never differentiated — no Jacobian is taken against it and it is not among the end-to-end gradients.\n\n");
  else if (input.classes !== undefined) md.appendMarkdown(`Integer labels in [0, ${input.classes}): never differentiated (ops that take ids read them too).\n\n`);
  else md.appendMarkdown(`Differentiated: dL/d${escape(input.id)} is checked end to end.\n\n`);
  if (gradient) md.appendMarkdown(`Last check of dL/d${escape(input.id)}: **${gradient.status}** · worst relative error ${formatError(gradient.maxRelError)}\n\n`);
}

function describeResult(md: vscode.MarkdownString, node: NodeReport | undefined, report: Report | undefined, summary: string | undefined): void {
  if (node) {
    const icon = node.status === "pass" ? "$(pass)" : node.status === "fail" ? "$(error)" : node.status === "kink" ? "$(warning)" : "$(circle-slash)";
    md.appendMarkdown(`Last check: ${icon} **${node.status}** · worst relative error ${formatError(node.maxRelError)}` +
      (report ? ` (${report.mode}, rtol ${report.rtol}, atol ${report.atol})` : "") + "\n\n");
    if (node.diagnosis) md.appendMarkdown(`Diagnosis: **${node.diagnosis.kind}** — ${escape(node.diagnosis.detail)}\n\n`);
    if (node.message) md.appendMarkdown(`${escape(node.message)}\n\n`);
  } else if (summary) {
    md.appendMarkdown(`Last check: ${summary}\n\n`);
  } else {
    md.appendMarkdown("Not checked yet.\n\n");
  }
}

function appendLinks(md: vscode.MarkdownString, uri: vscode.Uri, nodeId: string | undefined): void {
  const check = `command:${CHECK_COMMAND}?${encodeURIComponent(JSON.stringify([uri.toString()]))}`;
  md.appendMarkdown(`[$(beaker) Check gradients](${check} "Run the gradient check on this network")`);
  if (nodeId) {
    const show = `command:${SHOW_NODE_COMMAND}?${encodeURIComponent(JSON.stringify([uri.toString(), nodeId]))}`;
    md.appendMarkdown(` · [$(type-hierarchy) Show in graph](${show} "Open the graph with this node selected")`);
  }
}

function shape(s: number[] | undefined): string {
  return s ? `[${s.join(", ")}]` : "[?]";
}

/** Text as a Markdown code span (no escapes work inside one: backticks are dropped). */
function code(text: string): string {
  return `\`${text.replace(/`/g, "'")}\``;
}

function escape(text: string): string {
  return text.replace(/[\\`*_{}[\]<>#|]/g, (c) => `\\${c}`);
}
