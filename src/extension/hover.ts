/**
 * Hover over a node (anywhere in its object) in a `.gradnet.json`, or over a node
 * entry or a `defineOp` call in a `.gradnet.ts`: what the node is (op, shapes,
 * parameters, a built-in's derivative formula) and what its last check said,
 * with links to check it and to show it in the graph.
 */
import * as vscode from "vscode";
import { builtinOps } from "../engine/ops/index.js";
import type { GradientReport, GraphView, InputReport, NodeReport, Report } from "../shared/report.js";
import { definitionAt, findDefinitions } from "./definitions.js";
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
    const hit = definitionAt(defs, document.offsetAt(position));
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

function escape(text: string): string {
  return text.replace(/[\\`*_{}[\]<>#|]/g, (c) => `\\${c}`);
}
