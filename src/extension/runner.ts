/**
 * Runs the engine off the extension host's main thread: it loads and checks
 * the file in a worker thread kept warm between checks (src/worker/client.ts
 * WarmWorkers) while a progress notification shows how far it got. Cancel, or
 * the time limit from `gradlens.userCodeTimeoutSeconds`, terminates that
 * thread at once (a fresh one takes its place).
 */
import { readFileSync } from "node:fs";
import * as vscode from "vscode";
import type { WarmWorkers, WorkerThread } from "../worker/client.js";
import type { GraphView } from "../shared/report.js";
import type { WorkerRequest, WorkerResult } from "../worker/protocol.js";
import { isJsonNetwork, networkName } from "./files.js";
import type { CheckOutcome, ResultStore } from "./results.js";
import { readSettings } from "./settings.js";
import { pythonInterpreter, type InterpreterSource } from "./python.js";

let outputChannel: vscode.OutputChannel | undefined;
/** The "GradLens" output channel, created the first time user code prints. */
export function userOutput(): vscode.OutputChannel {
  outputChannel ??= vscode.window.createOutputChannel("GradLens");
  return outputChannel;
}

/** What the test API shows about the worker of a run. */
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
  /** The interpreter asked to run the network's Python layers, and where it came from. */
  python?: { python: string; source: InterpreterSource };
  /** The operating system's id of the thread that ran it (Linux), to watch it end. */
  osThread?: number;
  /** Whether it ran in a thread that had run a task before. */
  warm?: boolean;
}

/** One check in flight. */
interface Run {
  abort: AbortController;
  done: Promise<CheckOutcome>;
  /** A newer check of the same file that took this one's place: its callers get that one's outcome. */
  replacedBy?: Run;
  state: WorkerState;
}

/**
 * Checks run one per file, each in its own worker thread with its own progress
 * notification and Cancel:
 * - a second check of a file already being checked cancels the first and
 *   starts again (the file or the settings may have changed since; the user
 *   asked for a fresh result). Callers of the replaced check get the new one's
 *   outcome, and no "cancelled" result is recorded in between;
 * - checks of different files run side by side (a quick JSON network does not
 *   wait behind a slow one; each can be cancelled on its own).
 */
export class CheckRunner implements vscode.Disposable {
  private readonly running = new Map<string, Run>();
  /** The worker of the latest run (check or graph) of any file, and per file. */
  state: WorkerState = { running: false, progressCount: 0 };
  private readonly states = new Map<string, WorkerState>();
  private readonly saving = new Set<string>();
  private readonly started = new vscode.EventEmitter<vscode.Uri>();
  /** Fires when a check starts (the panel shows "busy", the CodeLens "checking…", the status bar "checking…"). */
  readonly onDidStart = this.started.event;
  /** The files each network was read from in its last run (the network and the modules it imports). */
  private readonly sources = new Map<string, string[]>();
  private readonly threads = new WeakMap<WorkerState, WorkerThread>();

  constructor(private readonly store: ResultStore, private readonly workers: WarmWorkers) {}

  /** The worker of the latest run of this file (or of any file). */
  workerState(uri?: vscode.Uri): WorkerState {
    const state = uri ? this.states.get(uri.toString()) ?? { running: false, progressCount: 0 } : this.state;
    const osThread = this.threads.get(state)?.osThread;
    return { ...state, ...(osThread !== undefined ? { osThread } : {}) };
  }

  /** The files the network was read from in its last run (absolute paths), if it ran. */
  sourcesOf(uri: vscode.Uri): readonly string[] | undefined {
    return this.sources.get(uri.toString());
  }

  /** Checks a network file and records the outcome (see the class comment for a check already running). */
  async check(uri: vscode.Uri): Promise<CheckOutcome> {
    const key = uri.toString();
    const document = vscode.workspace.textDocuments.find((d) => d.uri.toString() === key);
    if (document?.isDirty) {
      // The worker reads the file from disk. (This save is not a reason for checkOnSave to check again.)
      this.saving.add(key);
      try {
        await document.save();
      } finally {
        this.saving.delete(key);
      }
    }
    const version = document?.version;

    const refused = untrusted(uri);
    if (refused) {
      this.store.set({ uri, outcome: refused, at: Date.now(), version });
      return refused;
    }
    const settings = readSettings(uri);
    const previous = this.running.get(key);
    const run: Run = { abort: new AbortController(), done: undefined as unknown as Promise<CheckOutcome>, state: newState(uri, "check") };
    this.running.set(key, run);
    if (previous) {
      previous.replacedBy = run;
      previous.state.cancelRequestedAt = Date.now();
      previous.abort.abort();
    }
    run.done = this.run(uri, run.state, run.abort, {
      mode: settings.mode, rtol: settings.rtol, atol: settings.atol, step: settings.step,
      jacobianLimit: settings.jacobianLimit,
    }).then((result) => toOutcome(result), (e: unknown) => ({ kind: "internal-error", message: String(e) }) satisfies CheckOutcome)
      .then((outcome) => {
        if (run.replacedBy) return run.replacedBy.done;
        // No longer running before anyone hears of the result (CodeLens, panel ask isRunning).
        if (this.running.get(key) === run) this.running.delete(key);
        this.store.set({ uri, outcome, at: Date.now(), version });
        return outcome;
      });
    this.started.fire(uri);
    return run.done;
  }

  /** Loads a network only to draw its graph (a .gradnet.ts must run to be known). */
  async graph(uri: vscode.Uri): Promise<GraphView | CheckOutcome> {
    const refused = untrusted(uri);
    if (refused) return refused;
    const result = await this.run(uri, newState(uri, "graph"), new AbortController());
    return result.kind === "graph" ? result.view : toOutcome(result);
  }

  /** Stops the check of a file (or every check); resolves when the runs have ended. */
  async cancel(uri?: vscode.Uri): Promise<void> {
    const runs = uri ? [this.running.get(uri.toString())].filter((r) => r !== undefined) : [...this.running.values()];
    for (const r of runs) {
      r.state.cancelRequestedAt = Date.now();
      r.abort.abort();
    }
    await Promise.all(runs.map((r) => r.done.catch(() => undefined)));
  }

  /** True while a check saves the file before reading it. */
  isSavingForCheck(uri: vscode.Uri): boolean {
    return this.saving.has(uri.toString());
  }

  isRunning(uri: vscode.Uri): boolean {
    return this.running.has(uri.toString());
  }

  private run(uri: vscode.Uri, state: WorkerState, abort: AbortController,
    options?: WorkerRequest["options"]): Promise<WorkerResult> {
    const settings = readSettings(uri);
    const task = state.task ?? "check";
    const verb = task === "graph" ? "loading" : "checking";
    this.state = state;
    this.states.set(uri.toString(), state);
    return Promise.resolve(vscode.window.withProgress({
      location: vscode.ProgressLocation.Notification,
      title: `GradLens: ${verb} ${networkName(uri)}`,
      cancellable: true,
    }, async (progress, token) => {
      token.onCancellationRequested(() => {
        state.cancelRequestedAt = Date.now();
        abort.abort();
      });
      Object.assign(state, { running: true, startedAt: Date.now() } satisfies Partial<WorkerState>);
      let reported = 0;
      try {
        // Python layers run only in a trusted workspace (the worker refuses them otherwise).
        const python = vscode.workspace.isTrusted && namesPythonLayers(uri) ? await pythonInterpreter(uri) : undefined;
        if (python) state.python = python;
        const result = await this.workers.run({
          task, file: uri.fsPath, options, allowUserCode: vscode.workspace.isTrusted, maxMemoryMb: settings.maxMemoryMb,
          ...(python ? { python: python.python } : {}),
        }, {
          onThread: (thread) => {
            this.threads.set(state, thread);
            state.warm = thread.tasks > 0;
          },
          onLoaded: ({ sources }) => this.sources.set(uri.toString(), sources),
          timeoutMs: settings.userCodeTimeoutSeconds * 1000,
          // A custom op's console.log, a Python layer's print(): shown in the GradLens output channel, not lost.
          onUserOutput: (text) => userOutput().append(text),
          signal: abort.signal,
          onProgress: (fraction, message) => {
            state.lastProgress = { fraction, message };
            state.progressCount++;
            // withProgress takes increments (percent); never go backwards.
            const percent = Math.max(0, Math.min(100, fraction * 100));
            progress.report({ increment: percent > reported ? percent - reported : undefined, message });
            reported = Math.max(reported, percent);
          },
        });
        state.lastOutcome = result.kind;
        return result;
      } finally {
        state.running = false;
        state.endedAt = Date.now();
      }
    }));
  }

  dispose(): void {
    for (const r of this.running.values()) r.abort.abort();
    this.started.dispose();
  }
}

/** Whether the network's text names a `.py` file in its "ops" (then it needs an interpreter). */
function namesPythonLayers(uri: vscode.Uri): boolean {
  const open = vscode.workspace.textDocuments.find((d) => d.uri.toString() === uri.toString());
  let text: string;
  try {
    text = open?.getText() ?? readFileSync(uri.fsPath, "utf8");
  } catch {
    return false;
  }
  return /\.py\s*(#|["'`])/i.test(text);
}

function newState(uri: vscode.Uri, task: WorkerRequest["task"]): WorkerState {
  return { running: false, file: uri.fsPath, task, progressCount: 0 };
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
      ...(result.location?.file ? { file: result.location.file } : {}),
    };
    case "internal-error": return { kind: "internal-error", message: result.message };
    case "timeout": return { kind: "timeout", seconds: result.seconds };
    case "cancelled": return { kind: "cancelled" };
    default: return { kind: "internal-error", message: `unexpected ${result.kind} result from a check` };
  }
}
