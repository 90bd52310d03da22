/**
 * The panel's teaching views, computed off the extension host's thread: each
 * question (explain an entry, the descent, a node's step-size sweep, the node
 * values) runs in a worker thread of its own, with the settings' step and
 * tolerances and the time limit for user code, and comes back as an answer the
 * page draws (an error in words when it cannot be computed).
 */
import * as vscode from "vscode";
import { runInWorker } from "../worker/client.js";
import type { WorkerRequest, WorkerResult } from "../worker/protocol.js";
import type { TeachAnswer, TeachRequest } from "../shared/teach.js";
import { isJsonNetwork, networkName } from "./files.js";
import { readSettings } from "./settings.js";

export class TeachRunner implements vscode.Disposable {
  /** The runs in flight, by the network they are about. */
  private readonly running = new Map<AbortController, string>();
  /** How many questions were answered, per kind (the test API shows it). */
  readonly answered: Record<TeachRequest["kind"], number> = { explain: 0, descent: 0, sweep: 0, values: 0 };

  constructor(private readonly output: () => vscode.OutputChannel) {}

  async answer(uri: vscode.Uri, request: TeachRequest): Promise<TeachAnswer> {
    if (!isJsonNetwork(uri) && !vscode.workspace.isTrusted)
      return { kind: "error", message: `${networkName(uri)}.gradnet.ts runs its own code, and this workspace is in Restricted Mode: trust the workspace to compute this.` };
    const settings = readSettings(uri);
    const abort = new AbortController();
    this.running.set(abort, uri.toString());
    const work: WorkerRequest = {
      task: request.kind, file: uri.fsPath, allowUserCode: vscode.workspace.isTrusted, maxMemoryMb: settings.maxMemoryMb,
      options: { step: settings.step, rtol: settings.rtol, atol: settings.atol },
      ...(request.kind === "explain" ? { entry: request.entry } : {}),
      ...(request.kind === "sweep" ? { node: request.node } : {}),
      ...(request.kind === "descent" ? { steps: request.steps, lr: request.lr } : {}),
    };
    const run = runInWorker(work, { timeoutMs: settings.userCodeTimeoutSeconds * 1000, signal: abort.signal, onUserOutput: (t) => this.output().append(t) });
    vscode.window.setStatusBarMessage(`$(sync~spin) GradLens: ${doing(request)} (${networkName(uri)})`, run);
    try {
      const answer = toAnswer(await run);
      this.answered[request.kind]++;
      return answer;
    } finally {
      this.running.delete(abort);
    }
  }

  /** Stops what is being computed for this network (a new check makes it stale; its panel closed). */
  cancel(uri: vscode.Uri): void {
    for (const [a, key] of this.running) if (key === uri.toString()) a.abort();
  }

  dispose(): void {
    for (const a of this.running.keys()) a.abort();
  }
}

function doing(r: TeachRequest): string {
  switch (r.kind) {
    case "explain": return `explaining ${r.entry}`;
    case "descent": return "running both descents";
    case "sweep": return `sweeping the step size of ${r.node}`;
    case "values": return "computing the node values";
  }
}

export function toAnswer(result: WorkerResult): TeachAnswer {
  switch (result.kind) {
    case "explain": return { kind: "explain", explanation: result.explanation };
    case "descent": return { kind: "descent", descent: result.descent };
    case "sweep": return { kind: "sweep", sweep: result.sweep };
    case "values": return { kind: "values", values: result.values };
    case "config-error": return { kind: "error", message: result.errors.map((e) => `${e.message} (line ${e.line}, column ${e.column})`).join("; ") };
    case "user-error": return { kind: "error", message: `error in network code: ${result.message}${result.location ? ` (line ${result.location.line})` : ""}` };
    case "timeout": return { kind: "error", message: `stopped after ${result.seconds} s (gradlens.userCodeTimeoutSeconds)` };
    case "cancelled": return { kind: "error", message: "cancelled" };
    case "internal-error": return { kind: "error", message: `GradLens failed: ${result.message}` };
    default: return { kind: "error", message: `unexpected ${result.kind} result` };
  }
}
