/**
 * Runs the engine off the extension host's main thread: it loads and checks
 * the file in a worker thread (src/engine/worker-client.ts) while a progress
 * notification shows how far it got. Cancel, or the time limit from
 * `gradlens.userCodeTimeoutSeconds`, terminates the worker at once.
 */
import * as vscode from "vscode";
import { runInWorker } from "../engine/worker-client.js";
import type { GraphView } from "../engine/report.js";
import type { WorkerRequest, WorkerResult } from "../engine/worker-protocol.js";
import { isJsonNetwork, networkName } from "./files.js";
import type { CheckOutcome, ResultStore } from "./results.js";
import { readSettings } from "./settings.js";

/** What the test API shows about the worker of the latest run. */
export interface WorkerState {
  running: boolean;
  file?: string;
  task?: WorkerRequest["task"];
  startedAt?: number;
  /** When the user pressed Cancel (Date.now()). */
  cancelRequestedAt?: number;
  /** When the run ended: the worker was terminated or finished (Date.now()). */
  endedAt?: number;
  lastOutcome?: WorkerResult["kind"];
  lastProgress?: { fraction: number; message: string };
  /** Progress messages seen in the latest run. */
  progressCount: number;
}

export class CheckRunner implements vscode.Disposable {
  private readonly running = new Map<string, { abort: AbortController; done: Promise<CheckOutcome> }>();
  readonly state: WorkerState = { running: false, progressCount: 0 };
  private readonly started = new vscode.EventEmitter<vscode.Uri>();
  /** Fires when a check starts (the panel shows "busy", the CodeLens "checking…"). */
  readonly onDidStart = this.started.event;

  constructor(private readonly store: ResultStore) {}

  /**
   * Checks a network file and records the outcome. A second request for a
   * file already being checked waits for that run instead of starting another.
   */
  async check(uri: vscode.Uri): Promise<CheckOutcome> {
    const key = uri.toString();
    const existing = this.running.get(key);
    if (existing) return existing.done;

    const document = vscode.workspace.textDocuments.find((d) => d.uri.toString() === key);
    if (document?.isDirty) await document.save();   // the worker reads the file from disk
    const version = document?.version;

    const refused = untrusted(uri);
    if (refused) {
      this.store.set({ uri, outcome: refused, at: Date.now(), version });
      return refused;
    }
    const settings = readSettings(uri);
    const abort = new AbortController();
    const done = this.run(uri, "check", abort, {
      mode: settings.mode, rtol: settings.rtol, atol: settings.atol, step: settings.step,
      jacobianLimit: settings.jacobianLimit,
    }).then((result) => toOutcome(result), (e: unknown) => ({ kind: "internal-error", message: String(e) }) satisfies CheckOutcome)
      .then((outcome) => {
        // No longer running before anyone hears of the result (CodeLens, panel ask isRunning).
        this.running.delete(key);
        this.store.set({ uri, outcome, at: Date.now(), version });
        return outcome;
      });
    this.running.set(key, { abort, done });
    this.started.fire(uri);
    return done;
  }

  /** Loads a network only to draw its graph (a .gradnet.ts must run to be known). */
  async graph(uri: vscode.Uri): Promise<GraphView | CheckOutcome> {
    const refused = untrusted(uri);
    if (refused) return refused;
    const result = await this.run(uri, "graph", new AbortController());
    return result.kind === "graph" ? result.view : toOutcome(result);
  }

  /** Stops the check of a file (or every check); resolves when the runs have ended. */
  async cancel(uri?: vscode.Uri): Promise<void> {
    const runs = uri ? [this.running.get(uri.toString())].filter((r) => r !== undefined) : [...this.running.values()];
    this.state.cancelRequestedAt = Date.now();
    for (const r of runs) r.abort.abort();
    await Promise.all(runs.map((r) => r.done.catch(() => undefined)));
  }

  isRunning(uri: vscode.Uri): boolean {
    return this.running.has(uri.toString());
  }

  private run(uri: vscode.Uri, task: WorkerRequest["task"], abort: AbortController,
    options?: WorkerRequest["options"]): Promise<WorkerResult> {
    const settings = readSettings(uri);
    const verb = task === "graph" ? "loading" : "checking";
    return Promise.resolve(vscode.window.withProgress({
      location: vscode.ProgressLocation.Notification,
      title: `GradLens: ${verb} ${networkName(uri)}`,
      cancellable: true,
    }, async (progress, token) => {
      token.onCancellationRequested(() => {
        this.state.cancelRequestedAt = Date.now();
        abort.abort();
      });
      Object.assign(this.state, {
        running: true, file: uri.fsPath, task, startedAt: Date.now(), endedAt: undefined,
        cancelRequestedAt: undefined, lastOutcome: undefined, lastProgress: undefined, progressCount: 0,
      } satisfies WorkerState);
      let reported = 0;
      try {
        const result = await runInWorker({
          task, file: uri.fsPath, options, allowUserCode: vscode.workspace.isTrusted,
        }, {
          timeoutMs: settings.userCodeTimeoutSeconds * 1000,
          signal: abort.signal,
          onProgress: (fraction, message) => {
            this.state.lastProgress = { fraction, message };
            this.state.progressCount++;
            // withProgress takes increments (percent); never go backwards.
            const percent = Math.max(0, Math.min(100, fraction * 100));
            progress.report({ increment: percent > reported ? percent - reported : undefined, message });
            reported = Math.max(reported, percent);
          },
        });
        this.state.lastOutcome = result.kind;
        return result;
      } finally {
        this.state.running = false;
        this.state.endedAt = Date.now();
      }
    }));
  }

  dispose(): void {
    for (const r of this.running.values()) r.abort.abort();
    this.started.dispose();
  }
}

/** In Restricted Mode a .gradnet.ts is not run: it would execute the workspace's code. */
function untrusted(uri: vscode.Uri): CheckOutcome | undefined {
  if (isJsonNetwork(uri) || vscode.workspace.isTrusted) return undefined;
  return {
    kind: "untrusted",
    message: `${networkName(uri)}.gradnet.ts was not checked: a TypeScript network runs its own code, ` +
      "and this workspace is in Restricted Mode. Trust the workspace to check it (JSON networks work without trust).",
  };
}

function toOutcome(result: WorkerResult): CheckOutcome {
  switch (result.kind) {
    case "report": return { kind: "report", report: result.report };
    case "config-error": {
      const first = result.errors[0] ?? { message: "the network file is not valid", line: 1, column: 1 };
      return { kind: "config-error", message: first.message, line: first.line, column: first.column, errors: result.errors };
    }
    case "user-error": return {
      kind: "user-error", message: result.message, line: result.location?.line, column: result.location?.column,
    };
    case "internal-error": return { kind: "internal-error", message: result.message };
    case "timeout": return { kind: "timeout", seconds: result.seconds };
    case "cancelled": return { kind: "cancelled" };
    case "graph":
    case "grads": return { kind: "internal-error", message: `unexpected ${result.kind} result from a check` };
  }
}
