/**
 * Problems: config errors where they are (updated as the user types, for JSON
 * networks, in-process and debounced) and check failures at the failing node's
 * definition (errors) — for an op written in TypeScript, at its backward's line
 * (in whichever file it is written), the code to fix — kinks at the node too
 * (information). A failing Python layer is shown at its node and at its
 * backward's line in its .py file; an exception raised in a layer file, at its
 * line there.
 */
import { readFileSync } from "node:fs";
import { basename, resolve } from "node:path";
import * as vscode from "vscode";
import type { ConfigError } from "../config/errors.js";
import { findDefinitions } from "./definitions.js";
import { describeDocument, isJsonNetwork, isNetworkFile } from "./files.js";
import { formatError, type CheckRecord, type ResultStore } from "./results.js";

const SOURCE = "GradLens";
const TYPING_DELAY_MS = 300;

export class Diagnostics implements vscode.Disposable {
  /** Config errors found while typing (JSON only). */
  private readonly live = vscode.languages.createDiagnosticCollection("gradlens.config");
  /** Results of the last check. */
  private readonly checked = vscode.languages.createDiagnosticCollection("gradlens.check");
  private readonly timers = new Map<string, NodeJS.Timeout>();
  /** Each network's check diagnostics in its own file. */
  private readonly own = new Map<string, vscode.Diagnostic[]>();
  /** Diagnostics a check put into other files (a backward written in layers.ts): other file → network file → its diagnostics. */
  private readonly elsewhere = new Map<string, Map<string, vscode.Diagnostic[]>>();
  private readonly subscriptions: vscode.Disposable[] = [];

  constructor(private readonly store: ResultStore) {
    this.subscriptions.push(
      vscode.workspace.onDidOpenTextDocument((d) => this.validateNow(d)),
      vscode.workspace.onDidChangeTextDocument((e) => this.validateSoon(e.document)),
      vscode.workspace.onDidCloseTextDocument((d) => {
        // A closed file keeps its check results, but typing errors go with the editor.
        this.live.delete(d.uri);
      }),
      store.onDidChange((r) => this.showCheck(r)),
    );
    for (const d of vscode.workspace.textDocuments) this.validateNow(d);
  }

  private validateSoon(document: vscode.TextDocument): void {
    if (!isNetworkFile(document.uri)) return;
    const key = document.uri.toString();
    clearTimeout(this.timers.get(key));
    this.timers.set(key, setTimeout(() => {
      this.timers.delete(key);
      this.validateNow(document);
    }, TYPING_DELAY_MS));
    // Check results move with the text they point at.
    const record = this.store.get(document.uri);
    if (record) this.showCheck(record);
  }

  /** Parses and builds a JSON network in-process (no user code runs) and shows what is wrong. */
  validateNow(document: vscode.TextDocument): void {
    if (!isNetworkFile(document.uri) || !isJsonNetwork(document.uri) || document.isClosed) return;
    try {
      const { errors } = describeDocument(document);
      this.live.set(document.uri, errors.map((err) => {
        const d = new vscode.Diagnostic(configRange(document, err), err.message, vscode.DiagnosticSeverity.Error);
        d.source = SOURCE;
        return d;
      }));
    } catch (e) {
      // A bug of ours, not the user's: say so once, where they look.
      const d = new vscode.Diagnostic(new vscode.Range(0, 0, 0, 1),
        `GradLens could not read this network: ${e instanceof Error ? e.message : String(e)}`,
        vscode.DiagnosticSeverity.Error);
      d.source = SOURCE;
      this.live.set(document.uri, [d]);
    }
  }

  private showCheck(record: CheckRecord): void {
    const document = vscode.workspace.textDocuments.find((d) => d.uri.toString() === record.uri.toString());
    const text = document?.getText();
    const defs = text === undefined ? undefined
      : findDefinitions(text, isJsonNetwork(record.uri) ? "json" : "ts");
    const nodeRange = (id: string, location?: { line: number; column: number }): vscode.Range => {
      const def = defs?.nodes.find((n) => n.id === id);
      if (def && document) return new vscode.Range(document.positionAt(def.idSpan.start), document.positionAt(def.idSpan.end));
      if (location) return pointRange(location.line, location.column);
      return new vscode.Range(0, 0, 0, 0);
    };
    const out: vscode.Diagnostic[] = [];
    const other = new Map<string, { uri: vscode.Uri; diags: vscode.Diagnostic[] }>();
    const inFile = (file: string, diag: vscode.Diagnostic) => {
      const uri = vscode.Uri.file(resolve(file));
      if (uri.toString() === record.uri.toString()) return out.push(diag);
      (other.get(uri.toString()) ?? other.set(uri.toString(), { uri, diags: [] }).get(uri.toString())!).diags.push(diag);
    };
    const o = record.outcome;
    if (o.kind === "report") {
      const report = o.report;
      for (const node of report.nodes) {
        if (node.status !== "fail" && node.status !== "kink") continue;
        const range = nodeRange(node.id, node.location);
        // A TypeScript op (a Python layer is reported at its node and, below, at its line in the .py).
        const backward = node.status === "fail" && !node.pythonLayer ? node.backwardLocation : undefined;
        if (backward) {
          // A user op: the error sits at its backward, the code to fix; the node that uses it is related.
          const uri = vscode.Uri.file(resolve(backward.file));
          const here = uri.toString() === record.uri.toString();
          const target = here ? document : vscode.workspace.textDocuments.find((d) => d.uri.toString() === uri.toString());
          const diag = new vscode.Diagnostic(pointRange(backward.line, backward.column, target), failureMessage(node), vscode.DiagnosticSeverity.Error);
          diag.source = SOURCE;
          diag.code = node.diagnosis?.kind ?? "mismatch";
          diag.relatedInformation = [new vscode.DiagnosticRelatedInformation(new vscode.Location(record.uri, range), `node "${node.id}" uses ${node.op} here`)];
          inFile(backward.file, diag);
          continue;
        }
        const diag = node.status === "fail"
          ? new vscode.Diagnostic(range, failureMessage(node), vscode.DiagnosticSeverity.Error)
          : new vscode.Diagnostic(range,
            `node "${node.id}" (${node.op}): finite differences straddle a kink (a non-differentiable point, e.g. ReLU at 0); these entries are not counted as failures`,
            vscode.DiagnosticSeverity.Information);
        diag.source = SOURCE;
        diag.code = node.status === "fail" ? node.diagnosis?.kind ?? "mismatch" : "kink";
        const customOp = defs?.ops.find((op) => op.name === node.op);
        const backwardElsewhere = node.backwardLocation && vscode.Uri.file(resolve(node.backwardLocation.file)).toString() !== record.uri.toString() ? node.backwardLocation : undefined;
        if (customOp && document) {
          diag.relatedInformation = [new vscode.DiagnosticRelatedInformation(
            new vscode.Location(document.uri, document.positionAt(customOp.call.start)),
            `the backward of ${node.op} is defined here`)];
        } else if (backwardElsewhere) {
          const at = backwardElsewhere;
          diag.relatedInformation = [new vscode.DiagnosticRelatedInformation(
            new vscode.Location(vscode.Uri.file(resolve(at.file)), lineRange(at.file, at.line, at.column)),
            `the backward of ${node.op} (${node.pythonLayer?.backwardName ?? "its backward"}) is written here`)];
        }
        out.push(diag);
        // A layer written in another file (a Python layer): the failure at its backward's line there too.
        if (backwardElsewhere && node.status === "fail") {
          const at = backwardElsewhere;
          const there = new vscode.Diagnostic(lineRange(at.file, at.line, at.column),
            `${failureMessage(node)} (in ${basename(record.uri.fsPath)})`, vscode.DiagnosticSeverity.Error);
          there.source = SOURCE;
          there.code = diag.code;
          there.relatedInformation = [new vscode.DiagnosticRelatedInformation(new vscode.Location(record.uri, range), `node "${node.id}" of ${basename(record.uri.fsPath)}`)];
          inFile(at.file, there);
        }
      }
      // End-to-end failures matter on their own only when no node failed its local
      // check: otherwise they are the failing node's error carried upstream.
      const localFailure = report.nodes.some((n) => n.status === "fail");
      for (const g of report.gradients) {
        if (g.status !== "fail" || localFailure) continue;
        const node = g.node ? report.nodes.find((n) => n.id === g.node) : undefined;
        const input = !g.node ? defs?.inputs.find((i) => i.id === g.name) : undefined;
        const range = node ? nodeRange(node.id, node.location)
          : input && document ? new vscode.Range(document.positionAt(input.span.start), document.positionAt(input.span.end))
            : new vscode.Range(0, 0, 0, 0);
        const diag = new vscode.Diagnostic(range,
          `end-to-end gradient ∂L/∂${g.name} does not match finite differences (max relative error ${formatError(g.maxRelError)})` +
          (g.diagnosis ? `: ${g.diagnosis.detail}` : ""), vscode.DiagnosticSeverity.Error);
        diag.source = SOURCE;
        out.push(diag);
      }
    } else if (o.kind === "config-error") {
      // A JSON network's errors in the text are already shown live, from the same loader; what only a
      // check finds (its custom ops' modules, a Python layer, the interpreter) is added here.
      const live = this.live.get(record.uri) ?? [];
      const shownLive = (e: { line: number; column: number; message: string }) =>
        live.some((d) => d.message === e.message && d.range.start.line === e.line - 1 && d.range.start.character === e.column - 1);
      for (const e of o.errors) {
        if (isJsonNetwork(record.uri) && shownLive(e)) continue;
        const start = new vscode.Position(Math.max(0, e.line - 1), Math.max(0, e.column - 1));
        const end = e.endLine !== undefined && e.endColumn !== undefined
          ? new vscode.Position(Math.max(0, e.endLine - 1), Math.max(0, e.endColumn - 1)) : undefined;
        const range = end?.isAfter(start) ? new vscode.Range(start, end) : pointRange(e.line, e.column, document);
        const diag = new vscode.Diagnostic(range, e.message, vscode.DiagnosticSeverity.Error);
        diag.source = SOURCE;
        out.push(diag);
      }
    } else if (o.kind === "user-error" && o.line !== undefined) {
      const elsewhere = o.file !== undefined && vscode.Uri.file(resolve(o.file)).toString() !== record.uri.toString();
      const range = elsewhere ? lineRange(o.file!, o.line, o.column ?? 1) : pointRange(o.line, o.column ?? 1, document);
      const diag = new vscode.Diagnostic(range, elsewhere ? `${o.message} (checking ${basename(record.uri.fsPath)})` : o.message, vscode.DiagnosticSeverity.Error);
      diag.source = SOURCE;
      if (elsewhere) inFile(o.file!, diag);
      else out.push(diag);
    }
    const key = record.uri.toString();
    this.own.set(key, out);
    // This network's diagnostics in other files replace its previous ones there; other networks' stay.
    const files = new Map<string, vscode.Uri>([[key, record.uri]]);
    for (const [file, by] of this.elsewhere) if (by.delete(key)) files.set(file, vscode.Uri.parse(file));
    for (const [file, { uri, diags }] of other) {
      (this.elsewhere.get(file) ?? this.elsewhere.set(file, new Map()).get(file)!).set(key, diags);
      files.set(file, uri);
    }
    for (const [file, uri] of files) this.checked.set(uri, [...(this.own.get(file) ?? []), ...[...(this.elsewhere.get(file)?.values() ?? [])].flat()]);
  }

  dispose(): void {
    for (const t of this.timers.values()) clearTimeout(t);
    for (const s of this.subscriptions) s.dispose();
    this.live.dispose();
    this.checked.dispose();
  }
}

export function failureMessage(node: { id: string; op: string; maxRelError: number; diagnosis?: { kind: string; detail: string } }): string {
  return `gradient check failed for node "${node.id}" (${node.op}): max relative error ${formatError(node.maxRelError)}` +
    (node.diagnosis ? ` — ${node.diagnosis.kind}: ${node.diagnosis.detail}` : "");
}

/** A 1-based line:column → a range covering the word there (or one character). */
function pointRange(line: number, column: number, document?: vscode.TextDocument): vscode.Range {
  const pos = new vscode.Position(Math.max(0, line - 1), Math.max(0, column - 1));
  const word = document?.getWordRangeAtPosition(pos, /"[^"\n]*"|[\w$.-]+/);
  return word ?? new vscode.Range(pos, pos.translate(0, 1));
}

/**
 * A 1-based line:column in a file that may not be open (a Python layer): from the column to the end
 * of that line's text (`def affine_backward(dout, cache):`), read from the open document or the disk.
 */
function lineRange(file: string, line: number, column: number): vscode.Range {
  const path = resolve(file);
  const open = vscode.workspace.textDocuments.find((d) => d.uri.fsPath === path);
  let text: string | undefined;
  try {
    text = open ? open.lineAt(line - 1).text : readFileSync(path, "utf8").split(/\r?\n/)[line - 1];
  } catch {
    text = undefined;
  }
  const start = new vscode.Position(Math.max(0, line - 1), Math.max(0, column - 1));
  const end = text !== undefined ? text.replace(/\s+$/, "").length : column;
  return new vscode.Range(start, new vscode.Position(start.line, Math.max(end, start.character + 1)));
}

function configRange(document: vscode.TextDocument, e: ConfigError): vscode.Range {
  const start = new vscode.Position(Math.max(0, e.line - 1), Math.max(0, e.column - 1));
  if (e.endLine !== undefined && e.endColumn !== undefined) {
    const end = new vscode.Position(Math.max(0, e.endLine - 1), Math.max(0, e.endColumn - 1));
    if (end.isAfter(start)) return new vscode.Range(start, end);
  }
  return pointRange(e.line, e.column, document);
}
