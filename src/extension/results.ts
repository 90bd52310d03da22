/**
 * The last check of each network file: what hovers, CodeLens, diagnostics, the
 * panel and the test API read. One place, one change event.
 */
import { createHash } from "node:crypto";
import * as vscode from "vscode";
import type { Report } from "../shared/report.js";
import type { ErrorLocation, WorkerResult } from "../shared/result.js";

type Result<K extends WorkerResult["kind"]> = Extract<WorkerResult, { kind: K }>;

/**
 * What a check of a file came to, as the editor keeps it: the worker's result
 * (src/shared/result.ts) for a check, with the first problem's place spelled
 * out for a config or user error, no stack for an internal one, and one kind
 * of the editor's own (a .gradnet.ts not run in Restricted Mode).
 */
export type CheckOutcome =
  | Result<"report" | "timeout" | "cancelled">
  | (Result<"config-error"> & Pick<ErrorAt, "message" | "line" | "column">)
  | (Omit<Result<"user-error">, "location"> & Partial<Pick<ErrorLocation, "line" | "column">> & {
    /** Where the error is when not in the network file itself (a Python layer's .py); absolute, or relative to the working directory. */
    file?: string;
  })
  | Omit<Result<"internal-error">, "stack">
  | { kind: "untrusted"; message: string };

/** A problem at a place in the network file (1-based, as the engine reports it). */
export type ErrorAt = Result<"config-error">["errors"][number];

export interface CheckRecord {
  uri: vscode.Uri;
  outcome: CheckOutcome;
  /** Date.now() when the check finished. */
  at: number;
  /** The document version that was checked (undefined when the file was not open). */
  version?: number;
  /** Read back from workspace storage after a reload (not checked in this window). */
  restored?: boolean;
}

export class ResultStore implements vscode.Disposable {
  private readonly records = new Map<string, CheckRecord>();
  private readonly changed = new vscode.EventEmitter<CheckRecord>();
  readonly onDidChange = this.changed.event;

  /**
   * @param folder where the last report of each file is kept (the extension's
   * workspace storage), so a reloaded window shows it again; none: memory only.
   */
  constructor(private readonly folder?: vscode.Uri) {}

  set(record: CheckRecord): void {
    this.records.set(record.uri.toString(), record);
    this.changed.fire(record);
    if (record.outcome.kind === "report" && !record.restored) void this.save(record);
  }

  get(uri: vscode.Uri): CheckRecord | undefined {
    return this.records.get(uri.toString());
  }

  report(uri: vscode.Uri): Report | undefined {
    const o = this.get(uri)?.outcome;
    return o?.kind === "report" ? o.report : undefined;
  }

  all(): CheckRecord[] {
    return [...this.records.values()];
  }

  /** The report saved by an earlier window, put back in the store (marked restored). */
  async restore(uri: vscode.Uri): Promise<CheckRecord | undefined> {
    const known = this.get(uri);
    if (known || !this.folder) return known;
    try {
      const bytes = await vscode.workspace.fs.readFile(this.fileFor(uri));
      const saved = JSON.parse(new TextDecoder().decode(bytes)) as { uri: string; at: number; report: Report };
      if (saved.uri !== uri.toString() || this.get(uri)) return this.get(uri);
      const record: CheckRecord = { uri, outcome: { kind: "report", report: saved.report }, at: saved.at, restored: true };
      this.set(record);
      return record;
    } catch {
      return undefined;   // never checked, or the saved file is unreadable: nothing to restore
    }
  }

  private async save(record: CheckRecord): Promise<void> {
    if (!this.folder || record.outcome.kind !== "report") return;
    try {
      await vscode.workspace.fs.createDirectory(this.folder);
      const json = JSON.stringify({ uri: record.uri.toString(), at: record.at, report: record.outcome.report });
      await vscode.workspace.fs.writeFile(this.fileFor(record.uri), new TextEncoder().encode(json));
    } catch {
      // Losing the saved copy only costs a re-check after a reload.
    }
  }

  private fileFor(uri: vscode.Uri): vscode.Uri {
    return vscode.Uri.joinPath(this.folder!, `${createHash("sha1").update(uri.toString()).digest("hex")}.json`);
  }

  dispose(): void {
    this.changed.dispose();
  }
}

/** One line for a CodeLens, status bar or message: "✓ 5 nodes pass" / "✗ 1 of 5 nodes fail (p: sign)". */
export function summarize(outcome: CheckOutcome): string {
  switch (outcome.kind) {
    case "report": {
      const r = outcome.report;
      const failed = r.nodes.filter((n) => n.status === "fail");
      const kinks = r.nodes.filter((n) => n.status === "kink").length;
      if (failed.length === 0) {
        return `$(pass) gradients OK: ${r.nodes.length} node${r.nodes.length === 1 ? "" : "s"} pass` +
          (kinks ? `, ${kinks} at a kink` : "");
      }
      const first = failed[0];
      return `$(error) ${failed.length} of ${r.nodes.length} nodes fail: ${first.id}` +
        (first.diagnosis ? ` (${first.diagnosis.kind})` : "") + (failed.length > 1 ? ", …" : "");
    }
    case "config-error": return `$(error) bad network file: ${outcome.message}`;
    case "user-error": return `$(error) error in network code: ${outcome.message}`;
    case "internal-error": return `$(bug) GradLens failed: ${outcome.message}`;
    case "timeout": return `$(watch) stopped after ${outcome.seconds} s (gradlens.userCodeTimeoutSeconds)`;
    case "cancelled": return "$(circle-slash) check cancelled";
    case "untrusted": return "$(shield) not checked: workspace not trusted";
  }
}

export function formatError(x: number): string {
  if (!Number.isFinite(x)) return String(x);
  if (x === 0) return "0";
  return Math.abs(x) < 1e-3 || Math.abs(x) >= 1e4 ? x.toExponential(2) : x.toPrecision(3);
}
