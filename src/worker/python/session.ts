/**
 * A persistent Python interpreter that runs a user's layers, called synchronously.
 *
 * The engine is synchronous (an op's forward returns a Tensor), and it runs in a worker thread whose
 * owner enforces the time limit by terminating that thread. So every call here blocks until the
 * reply is in: the request frame goes to a relay thread (relay.ts) that owns the child process, and
 * this thread waits on a shared word with Atomics.wait, in short slices, taking the reply off a
 * MessagePort with receiveMessageOnPort. Atomics.wait is interrupted by `worker.terminate()`, Node
 * then tears the relay down with its parent, the pipes close, and the runner exits on end of input:
 * a `while True:` in user code ends with the thread, leaving no process behind. `pid` lets the
 * owner kill the process itself too.
 *
 * One session per check: `start` → `load` each op → `forward` / `backward` / `forwardBatch` /
 * `backwardBatch` → `close`. Every failure is a PythonError, located at the user's .py line when
 * there is one.
 */
import { MessageChannel, Worker, receiveMessageOnPort } from "node:worker_threads";
import type { MessagePort } from "node:worker_threads";
import { existsSync } from "node:fs";
import { isAbsolute, join } from "node:path";
import type { Tensor } from "../../engine/tensor.js";
import { FrameWriter, decodeFrame, type WireArray } from "./frames.js";
import type { RelayData, RelayMessage, SessionMessage } from "./relay.js";

export interface PythonStartOptions {
  /** The interpreter: a path, or a command looked up on the PATH (`python3`). */
  python: string;
  /** The runner's working directory (the network's folder, say). */
  cwd?: string;
  /** Variables added to this process's environment for the interpreter. */
  env?: Record<string, string | undefined>;
  /** The user's printed output (stdout and stderr of their code), as it comes. Default: this process's stderr. */
  onOutput?: (text: string, stream: "stdout" | "stderr") => void;
  /** Longest wait for one reply, in ms; past it the process is killed and the call throws a `timeout` PythonError. Default: none (the owner's time limit applies). */
  callTimeoutMs?: number;
  /** runner.py (default: beside this module, or dist/python/runner.py beside the bundle). */
  runnerPath?: string;
  /** The relay thread's script (default: relay.ts under tsx, python-relay.js beside the bundle). */
  relayPath?: string;
}

export interface SourceLocation {
  file: string;
  line: number;
  column: number;
}

export interface PythonArgument {
  name: string;
  /** Has a default value (may be left out by the node). */
  default: boolean;
  /** `*args`: takes the remaining inputs. */
  variadic: boolean;
}

/** A loaded op: what `file.py#name` resolved to. */
export interface PythonOp {
  readonly id: number;
  /** `layers.py#affine`. */
  readonly ref: string;
  readonly file: string;
  readonly name: string;
  readonly kind: "numpy" | "torch";
  /** `affine_forward` / `affine_backward`, or `MyAffine.forward` / `MyAffine.backward`. */
  readonly forwardName: string;
  readonly backwardName: string;
  /** The forward's positional arguments in order (for a torch Function, after `ctx`). */
  readonly args: readonly PythonArgument[];
  /** The split for the params given to `load`: DESIGN.md's rule, the named ones are params, the others inputs in order. */
  readonly inputs: readonly string[];
  readonly params: readonly string[];
  /** Where `def` of the forward and of the backward are written. */
  readonly forwardLocation?: SourceLocation;
  readonly backwardLocation?: SourceLocation;
  /** A torch Function's `class` line. */
  readonly classLocation?: SourceLocation;
  /** The first line of the forward's (or the class's) docstring. */
  readonly doc?: string;
  readonly torchVersion?: string;
}

export interface CallOptions {
  /** Values for forward arguments that are neither inputs nor params (a `conv_param` dict); JSON values. */
  attrs?: Record<string, unknown>;
  /** Input positions holding integer class labels: sent as int64 (NumPy can index with them), never differentiated. */
  labels?: readonly number[];
}

export interface ForwardResult {
  output: Tensor;
  /** The cache (or torch ctx) kept in the runner for `backward`; release it when done. */
  handle: number;
  /** Forward arguments the user's forward changed in place. */
  mutated: string[];
}

export interface GradientResult {
  /** Per input, null where backward gave none (or for labels). */
  inputs: (Tensor | null)[];
  params: Record<string, Tensor | null>;
  /** `gradOutput` and/or `cache` when backward changed them in place (backward only). */
  mutated: string[];
}

/** Which forward argument a batch perturbs, and how: entries by flat index, or whole directions. */
export type Perturbation = ({ input: number } | { param: string }) & { h: number } & (
  | { indices: ArrayLike<number> }
  | { directions: Tensor } // [k, ...that argument's shape]
);

export interface BatchResult {
  /** forward at a + h·e_i (or a + h·v) for each of the k entries, and at a − h·e_i: each [k, ...output shape]. */
  plus: Tensor;
  minus: Tensor;
}

export type PythonErrorKind =
  | "no-interpreter" // nothing to run at that path
  | "not-python" // it ran, but not the runner (not Python 3, or it ended at once)
  | "missing-module" // numpy, torch, or what a layer file imports
  | "not-found" // no such .py file, or no op of that name in it
  | "user-exception" // the user's code raised
  | "bad-return" // wrong type, dtype, shape or count returned
  | "bad-arguments" // the node's inputs/params do not fit the forward's arguments
  | "died" // the process ended during a call
  | "timeout" // callTimeoutMs passed
  | "closed" // the session was closed
  | "bad-request" | "internal";

export class PythonError extends Error {
  readonly file?: string;
  readonly line?: number;
  readonly column?: number;

  constructor(
    readonly kind: PythonErrorKind,
    message: string,
    at?: Partial<SourceLocation>,
    readonly details: {
      exceptionType?: string; module?: string; pythonTraceback?: string; frames?: { file: string; line: number; function: string }[]; during?: string;
    } = {},
  ) {
    super(message);
    this.name = "PythonError";
    if (at?.file && at.line) {
      this.file = at.file;
      this.line = at.line;
      this.column = at.column ?? 1;
    }
  }

  /** `FILE:LINE:COL: error: message` when the error has a place in the user's file, else the message. */
  format(): string {
    return this.file ? `${this.file}:${this.line}:${this.column}: error: ${this.message}` : this.message;
  }
}

const SLICE_MS = 100;
/** The relay thread reports the spawn within this, or it never started (a broken install). */
const RELAY_START_MS = 20_000;
const TAIL_CHARS = 4000;

const INSTALL: Record<string, { label: string; pip: string; debian: string }> = {
  numpy: { label: "NumPy", pip: "pip install numpy", debian: "python3-numpy" },
  torch: { label: "PyTorch", pip: "pip install torch", debian: "python3-torch" },
};

/** The runner script: beside this module (source), or in python/ beside the bundle. */
export function defaultRunnerPath(): string {
  const candidates = [join(__dirname, "runner.py"), join(__dirname, "python", "runner.py"), join(__dirname, "..", "src", "worker", "python", "runner.py")];
  const found = candidates.find((p) => existsSync(p));
  if (!found) throw new PythonError("internal", `GradLens's runner.py is missing (looked in ${candidates.join(", ")})`);
  return found;
}

function relayWorker(data: RelayData, relayPath?: string): Worker {
  const options = { workerData: data, transferList: [data.port], stdout: false, stderr: false };
  const source = typeof __filename === "string" && __filename.endsWith(".ts");
  const path = relayPath ?? (source ? join(__dirname, "relay.ts") : join(__dirname, "python-relay.js"));
  if (!existsSync(path)) throw new PythonError("internal", `GradLens's Python relay is missing: ${path} (run \`npm run build\`)`);
  return path.endsWith(".ts")
    ? new Worker(`require("tsx/cjs"); require(${JSON.stringify(path)});`, { ...options, eval: true })
    : new Worker(path, options);
}

export class PythonSession {
  /** The interpreter's process id: the owner may kill it (on a time-out or a cancel). */
  readonly pid: number;
  /** As the runner reported it: Python version, sys.executable, NumPy version. */
  readonly info: { python: string; executable: string; numpy: string };
  private readonly port: MessagePort;
  private readonly word: Int32Array;
  private readonly relay: Worker;
  private readonly onOutput: (text: string, stream: "stdout" | "stderr") => void;
  private readonly callTimeoutMs?: number;
  private stderrTail = "";
  private nextId = 1;
  private ended?: PythonError;
  private readonly ops = new Map<string, PythonOp>();
  /** The interpreter as messages name it: the path, or the command and what it resolved to. */
  private shown: string;

  private constructor(readonly python: string, options: PythonStartOptions) {
    this.onOutput = options.onOutput ?? ((text) => process.stderr.write(text));
    this.callTimeoutMs = options.callTimeoutMs;
    this.shown = `\`${python}\``;
    const { port1, port2 } = new MessageChannel();
    const signal = new SharedArrayBuffer(4);
    this.port = port1;
    this.word = new Int32Array(signal);
    const runner = options.runnerPath ?? defaultRunnerPath();
    this.relay = relayWorker({
      python, args: ["-u", "-B", runner], cwd: options.cwd, env: { ...process.env, ...options.env, PYTHONIOENCODING: "utf-8" }, port: port2, signal,
    }, options.relayPath);
    // The relay must not keep this thread alive; when this thread ends, Node ends the relay with it.
    this.relay.unref();
    this.relay.on("error", () => {});
    const deadline = this.callTimeoutMs === undefined ? undefined : Date.now() + this.callTimeoutMs;
    let pid = 0;
    for (;;) {
      // A relay that fails to load reports nothing (its error event would need this thread's event loop).
      const m = pid ? this.next(deadline, "start") : this.next(Math.min(deadline ?? Infinity, Date.now() + RELAY_START_MS), "start", "the Python relay thread did not start");
      if (m.type === "spawned") pid = m.pid;
      else if (m.type === "spawn-error") throw this.finish(spawnError(python, m.code, m.message));
      else if (m.type === "stderr") this.stderr(m.text);
      else if (m.type === "exit") throw this.finish(new PythonError("not-python", `\`${python}\` ended before the GradLens runner started (${exitText(m.code, m.signal)}): it must be Python 3.6 or newer${this.tailText()}`));
      else if (m.type === "frame") {
        const ready = decodeFrame(m.buffer);
        if (ready.type === "output") this.output(ready);
        else if (ready.type !== "ready") throw this.finish(new PythonError("internal", `Python runner: expected its ready message, got ${String(ready.type)}`));
        else {
          this.pid = pid || (ready.pid as number);
          if (!isAbsolute(python)) this.shown = `\`${python}\` (${String(ready.executable)})`;
          if (!ready.ok) {
            this.close();
            throw missingModule(this.shown, "numpy", "GradLens's Python runner");
          }
          this.info = { python: String(ready.python), executable: String(ready.executable), numpy: String(ready.numpy) };
          return;
        }
      }
    }
  }

  /** Start the interpreter and wait until the runner is ready (it has NumPy). Throws PythonError. */
  static start(options: PythonStartOptions): PythonSession {
    return new PythonSession(options.python, options);
  }

  /** Whether the process is still there to answer. */
  get alive(): boolean {
    return this.ended === undefined;
  }

  /**
   * Load `file` (once) and resolve `name`: a NumPy pair `name_forward` / `name_backward` (or `name`
   * being `x_forward`), or a torch.autograd.Function subclass. `params`: the names the node gives in
   * "params", to split the forward's arguments into inputs and params.
   */
  load(file: string, name: string, options: { params?: readonly string[] } = {}): PythonOp {
    const key = `${file}#${name}`;
    let base = this.ops.get(key);
    if (!base) {
      const r = this.call({ type: "load", file, name }, undefined, `loading ${key}`);
      base = {
        id: r.op as number, ref: r.ref as string, file: r.file as string, name, kind: r.kind as "numpy" | "torch",
        forwardName: r.forwardName as string, backwardName: r.backwardName as string, args: r.args as PythonArgument[],
        inputs: [], params: [],
        forwardLocation: location(r.forward), backwardLocation: location(r.backward), classLocation: location(r.class),
        doc: (r.doc as string | null) ?? undefined, torchVersion: (r.torch as string | undefined) ?? undefined,
      };
      this.ops.set(key, base);
    }
    return { ...base, ...splitArguments(base.args, options.params ?? []) };
  }

  /** forward(inputs, params): the output, and a handle on the cache (or torch ctx) for backward. */
  forward(op: PythonOp, inputs: readonly Tensor[], params: Record<string, Tensor> = {}, options: CallOptions = {}): ForwardResult {
    const w = new FrameWriter();
    const r = this.call({ type: "forward", op: op.id, keep: true, ...callArgs(w, inputs, params, options) }, w, `forward of ${op.ref}`);
    return { output: r.output as Tensor, handle: r.handle as number, mutated: r.mutated as string[] };
  }

  /** forward's output alone, keeping no cache (a torch Function runs under no_grad). */
  evaluate(op: PythonOp, inputs: readonly Tensor[], params: Record<string, Tensor> = {}, options: CallOptions = {}): Tensor {
    const w = new FrameWriter();
    return this.call({ type: "forward", op: op.id, keep: false, ...callArgs(w, inputs, params, options) }, w, `forward of ${op.ref}`).output as Tensor;
  }

  /** The user's backward on one forward's cache: gradients by input position and param name. */
  backward(op: PythonOp, handle: number, gradOutput: Tensor): GradientResult {
    const w = new FrameWriter();
    const r = this.call({ type: "backward", op: op.id, handle, gradOutput: w.ref(gradOutput) }, w, `backward of ${op.ref}`);
    return { inputs: r.inputs as (Tensor | null)[], params: r.params as Record<string, Tensor | null>, mutated: r.mutated as string[] };
  }

  /** backward for k upstream gradients at once (`gradOutputs` [k, ...output shape]): each gradient [k, ...its shape]. */
  backwardBatch(op: PythonOp, handle: number, gradOutputs: Tensor): GradientResult {
    const w = new FrameWriter();
    const r = this.call({ type: "backward_batch", op: op.id, handle, gradOutputs: w.ref(gradOutputs) }, w, `backward of ${op.ref}`);
    return { inputs: r.inputs as (Tensor | null)[], params: r.params as Record<string, Tensor | null>, mutated: [] };
  }

  /**
   * The forwards of one central-difference sweep over one argument, in one round trip: at a ± h·e_i
   * for each flat index i (or a ± h·v for each direction v), every other argument as given.
   */
  forwardBatch(op: PythonOp, inputs: readonly Tensor[], params: Record<string, Tensor>, perturb: Perturbation, options: CallOptions = {}): BatchResult {
    const w = new FrameWriter();
    const which = "input" in perturb ? { input: perturb.input } : { param: perturb.param };
    const how = "indices" in perturb
      ? { indices: w.ref({ shape: [perturb.indices.length], data: Float64Array.from(perturb.indices), int64: true }) }
      : { directions: w.ref(perturb.directions) };
    const r = this.call({ type: "forward_batch", op: op.id, ...callArgs(w, inputs, params, options), perturb: { ...which, h: perturb.h, ...how } }, w, `forward of ${op.ref}`);
    return { plus: r.plus as Tensor, minus: r.minus as Tensor };
  }

  /**
   * The forward at k whole values of one argument (`values` [k, ...its shape]), every other argument as
   * given, in one round trip: the outputs [k, ...output shape]. For end-to-end differences, where an
   * entry perturbed upstream changes this node's input as a whole.
   */
  forwardMany(op: PythonOp, inputs: readonly Tensor[], params: Record<string, Tensor>, replace: ({ input: number } | { param: string }) & { values: Tensor }, options: CallOptions = {}): Tensor {
    const w = new FrameWriter();
    const which = "input" in replace ? { input: replace.input } : { param: replace.param };
    const r = this.call({ type: "forward_many", op: op.id, ...callArgs(w, inputs, params, options), replace: { ...which, values: w.ref(replace.values) } }, w, `forward of ${op.ref}`);
    return r.outputs as Tensor;
  }

  /** Drop cached forwards. */
  release(handles: readonly number[] | "all"): void {
    if (this.ended) return;
    this.call(handles === "all" ? { type: "release", all: true } : { type: "release", handles }, undefined, "release");
  }

  /** Kill the process now (SIGKILL). */
  kill(): void {
    try {
      if (this.pid) process.kill(this.pid, "SIGKILL");
    } catch {
      // already gone
    }
    this.send({ type: "kill" });
  }

  /** Ask the runner to exit, wait briefly, then make sure it has. Idempotent. */
  close(): void {
    if (!this.ended) {
      this.send({ type: "frame", buffer: new FrameWriter().finish({ type: "shutdown", id: this.nextId++ }) });
      this.send({ type: "end" });
      if (!this.awaitExit(Date.now() + 2000)) {
        this.kill();
        this.awaitExit(Date.now() + 500);
      }
      this.ended = new PythonError("closed", "the Python session is closed");
    }
    void this.relay.terminate();
  }

  // -------------------------------------------------------------------------------------------

  private call(request: Record<string, unknown>, writer: FrameWriter | undefined, during: string): Record<string, unknown> {
    if (this.ended) throw this.ended;
    const id = this.nextId++;
    this.send({ type: "frame", buffer: (writer ?? new FrameWriter()).finish({ ...request, id }) }, true);
    const deadline = this.callTimeoutMs === undefined ? undefined : Date.now() + this.callTimeoutMs;
    for (;;) {
      const m = this.next(deadline, during);
      if (m.type === "stderr") this.stderr(m.text);
      else if (m.type === "exit") throw this.finish(this.diedError(during, m.code, m.signal));
      else if (m.type === "frame") {
        const meta = decodeFrame(m.buffer);
        if (meta.type === "output") this.output(meta);
        else if (meta.type === "reply" && meta.id === id) {
          if (meta.ok) return meta;
          throw replyError(meta.error as Record<string, unknown>, this.shown);
        }
      }
    }
  }

  private send(message: SessionMessage, transfer = false): void {
    if (message.type === "frame" && transfer) this.port.postMessage(message, [message.buffer]);
    else this.port.postMessage(message);
  }

  /** The relay's next message; waits in slices so that terminating this thread takes effect at once. */
  private next(deadline: number | undefined, during: string, late?: string): RelayMessage {
    const m = this.poll(deadline);
    if (m) return m;
    this.kill();
    if (late) throw this.finish(new PythonError("internal", late));
    // Wait for the exit, so that the relay collects the process's status before it goes.
    this.awaitExit(Date.now() + 500);
    throw this.finish(new PythonError("timeout", `Python did not answer within ${(this.callTimeoutMs! / 1000).toFixed(1)} s (${during}); the process was stopped`));
  }

  /** Pass on output until the process has exited; false past the deadline. */
  private awaitExit(deadline: number): boolean {
    for (let m = this.poll(deadline); m; m = this.poll(deadline)) {
      if (m.type === "exit") return true;
      if (m.type === "stderr") this.stderr(m.text);
      else if (m.type === "frame") {
        const meta = decodeFrame(m.buffer);
        if (meta.type === "output") this.output(meta);
      }
    }
    return false;
  }

  /** The relay's next message, or undefined past the deadline. */
  private poll(deadline: number | undefined): RelayMessage | undefined {
    for (;;) {
      const seen = Atomics.load(this.word, 0);
      const got = receiveMessageOnPort(this.port);
      if (got) return got.message as RelayMessage;
      const wait = deadline === undefined ? SLICE_MS : Math.min(SLICE_MS, deadline - Date.now());
      if (wait <= 0) return undefined;
      Atomics.wait(this.word, 0, seen, wait);
    }
  }

  private finish(error: PythonError): PythonError {
    this.ended ??= error;
    void this.relay.terminate();
    return error;
  }

  private output(meta: Record<string, unknown>): void {
    this.onOutput(String(meta.text), meta.stream === "stderr" ? "stderr" : "stdout");
  }

  private stderr(text: string): void {
    this.stderrTail = (this.stderrTail + text).slice(-TAIL_CHARS);
    this.onOutput(text, "stderr");
  }

  private tailText(): string {
    const lines = this.stderrTail.trim().split("\n").slice(-6).join("\n");
    return lines ? `; its last output:\n${lines}` : "";
  }

  private diedError(during: string, code: number | null, signal: string | null): PythonError {
    // A crash in native code: faulthandler printed the Python frames, most recent first.
    const frame = [...this.stderrTail.matchAll(/File "([^"]+)", line (\d+)/g)].find((f) => !f[1].endsWith("runner.py"));
    return new PythonError("died", `the Python process (\`${this.python}\`, pid ${this.pid}) ended during ${during} (${exitText(code, signal)})${this.tailText()}`,
      frame ? { file: frame[1], line: Number(frame[2]) } : undefined);
  }
}

/** DESIGN.md's rule: the forward's arguments that the node names in "params" are params, the others its inputs in order. */
export function splitArguments(args: readonly PythonArgument[], paramNames: readonly string[]): { inputs: string[]; params: string[] } {
  const given = new Set(paramNames);
  return {
    inputs: args.filter((a) => !given.has(a.name)).map((a) => (a.variadic ? `*${a.name}` : a.name)),
    params: args.filter((a) => given.has(a.name) && !a.variadic).map((a) => a.name),
  };
}

function callArgs(w: FrameWriter, inputs: readonly Tensor[], params: Record<string, Tensor>, options: CallOptions) {
  const labels = new Set(options.labels ?? []);
  return {
    inputs: inputs.map((t, i) => w.ref({ shape: t.shape, data: t.data, int64: labels.has(i) } satisfies WireArray)),
    params: Object.fromEntries(Object.entries(params).map(([k, t]) => [k, w.ref(t)])),
    ...(options.attrs ? { attrs: options.attrs } : {}),
  };
}

function location(v: unknown): SourceLocation | undefined {
  const o = v as Partial<SourceLocation> | null | undefined;
  return o?.file && o.line ? { file: o.file, line: o.line, column: o.column ?? 1 } : undefined;
}

function exitText(code: number | null, signal: string | null): string {
  return signal ? `killed by ${signal}` : `exit code ${code}`;
}

function spawnError(python: string, code: string | undefined, message: string): PythonError {
  const fix = "install Python 3 with NumPy, or name one with `--python PATH` / the `gradlens.pythonPath` setting";
  if (code === "ENOENT") {
    return new PythonError("no-interpreter", isAbsolute(python) || python.includes("/")
      ? `there is no Python interpreter at \`${python}\`: ${fix}`
      : `\`${python}\` is not on the PATH: ${fix}`);
  }
  if (code === "EACCES") return new PythonError("no-interpreter", `\`${python}\` is not executable: ${fix}`);
  return new PythonError("no-interpreter", `\`${python}\` could not be started (${message}): ${fix}`);
}

function missingModule(shown: string, module: string, neededBy: string, at?: Partial<SourceLocation>): PythonError {
  const hint = INSTALL[module];
  const message = hint
    ? `${shown} has no ${hint.label}${neededBy.startsWith("GradLens") ? "" : `, which ${neededBy} needs`}: install it (\`${hint.pip}\` or Debian's ${hint.debian})`
    : `${shown} has no module '${module}', which ${neededBy} imports: install it into that interpreter (\`pip install ${module}\`)`;
  return new PythonError("missing-module", message, at, { module });
}

function replyError(e: Record<string, unknown>, shown: string): PythonError {
  const at = { file: e.file as string | undefined, line: e.line as number | undefined, column: e.column as number | undefined };
  const kind = e.kind as PythonErrorKind;
  if (kind === "missing-module") {
    const file = at.file ? at.file.split(/[\\/]/).pop()! : "the layer file";
    return missingModule(shown, String(e.module), file, at);
  }
  let message = String(e.message);
  if (kind === "user-exception" && e.during) message += ` (in ${String(e.during)})`;
  return new PythonError(kind, message, at, {
    exceptionType: e.exceptionType as string | undefined, pythonTraceback: e.traceback as string | undefined,
    frames: e.frames as { file: string; line: number; function: string }[] | undefined, during: e.during as string | undefined,
  });
}
