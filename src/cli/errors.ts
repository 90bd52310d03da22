/**
 * A run that failed, as the CLI reports it: `FILE:LINE:COL: error: message`
 * lines on stderr, and with `--json` the one document DESIGN.md fixes on stdout,
 * `{ "ok": false, "errors": [{ "file", "line", "column", "message" }] }` — the
 * same errors. A failure with no place in the file (a time-out, an internal
 * error, bad usage) is at the file's start.
 */
import type { ErrorLocation, WorkerResult } from "../shared/result.js";

export interface ErrorEntry {
  file: string;
  line: number;
  column: number;
  message: string;
}

export interface ErrorDocument {
  ok: false;
  errors: ErrorEntry[];
}

type Failure = Exclude<WorkerResult, { kind: "report" | "grads" | "graph" | "explain" | "descent" | "sweep" | "values" }>;

export function isFailure(result: WorkerResult): result is Failure {
  return ["config-error", "user-error", "internal-error", "timeout", "cancelled"].includes(result.kind);
}

/** The errors of a failed run, each at its place. */
export function failureErrors(result: Failure, file: string): ErrorEntry[] {
  const at = (loc: ErrorLocation | undefined, message: string): ErrorEntry =>
    ({ file: loc?.file ?? file, line: loc?.line ?? 1, column: loc?.column ?? 1, message });
  switch (result.kind) {
    case "config-error":
      return result.errors.map((e) => at(e, e.message));
    case "user-error":
      return [at(result.location, result.message)];
    case "timeout":
      return [at(undefined, `user code did not finish within ${result.seconds} s (an endless loop in a forward or backward?); stopped. Raise the limit with --timeout SECONDS.`)];
    case "cancelled":
      return [at(undefined, "cancelled")];
    case "internal-error":
      return [at(undefined, `${result.message} (an internal error in GradLens; set GRADLENS_DEBUG=1 for details)`)];
  }
}

export const errorDocument = (errors: ErrorEntry[]): ErrorDocument => ({ ok: false, errors });

/** Bad usage as the error document: at line 0, column 0 — no place in the file (`file` when one was named). */
export const usageDocument = (message: string, file?: string): ErrorDocument => errorDocument([{ file: file ?? "", line: 0, column: 0, message }]);

/** Writes the errors (stderr lines; with json also the document on stdout); the exit code, 2. */
export function reportFailure(errors: ErrorEntry[], json: boolean): number {
  for (const e of errors) process.stderr.write(`${e.file}:${e.line}:${e.column}: error: ${e.message}\n`);
  if (json) process.stdout.write(JSON.stringify(errorDocument(errors), null, 2) + "\n");
  return 2;
}
