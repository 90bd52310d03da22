/**
 * Python layers in a JSON network (DESIGN.md "Python layers"): the `"ops"`
 * entries that name a `.py` file, each node that uses one turned into an
 * OpDef whose forward and backward call the user's Python through one
 * PythonSession — one interpreter per check, started with the first layer and
 * closed with the check (`close`), owned by the thread that runs the engine.
 *
 * Per node, because DESIGN.md's argument rule is per node: the forward's
 * arguments that the node names in "params" are its parameters (values, or
 * `{ "shape" }` for seeded ones), the node's other keys its plain-value
 * arguments (a `conv_param` dict), and the remaining arguments its inputs, in
 * order; an input fed by a `"classes"` input goes to Python as int64 labels.
 * A node that does not fit the forward's arguments is refused here, at its
 * place in the network file, before anything runs.
 *
 * Forward is one `evaluate` (nothing kept); backward is one `backward_at`
 * (the forward again at the same point, then the backward on its cache): a
 * Python cache never outlives the call that made it, so the engine may call
 * backward with any values, in any order.
 */
import { statSync } from "node:fs";
import { basename, dirname, isAbsolute, relative, resolve } from "node:path";
import { ConfigError } from "../../config/errors.js";
import type { Locate, ResolvePythonOps } from "../../config/load.js";
import { givenParamShape } from "../../engine/graph/params.js";
import type { NodeSpec, NetworkSpec } from "../../engine/network.js";
import type { BackwardResult, OpDef, Perturbation } from "../../engine/op.js";
import { didYouMean } from "../../engine/suggest.js";
import { tensor, type Tensor } from "../../engine/tensor.js";
import type { PythonLayerReport, PythonReport } from "../../shared/report.js";
import { PythonError, PythonSession, type PythonOp } from "./session.js";

export interface PythonLayersOptions {
  /** The interpreter (`--python`, `gradlens.pythonPath`, the Python extension's, else `python3`). */
  python: string;
  /** The user's printed output; default: this thread's stderr (the worker's owner routes it). */
  onOutput?: (text: string, stream: "stdout" | "stderr") => void;
  /** Told the interpreter's pid as soon as it runs, so that the owner can kill it on a time-out or a cancel. */
  onStart?: (pid: number) => void;
}


const facts = new WeakMap<OpDef, PythonLayerReport>();

/** The Python layer behind an op made here; undefined for any other op. */
export function pythonLayerOf(op: OpDef): PythonLayerReport | undefined {
  return facts.get(op);
}

/** Keys of a node that are not arguments of its op. */
const RESERVED = new Set(["id", "op", "inputs", "params"]);

export class PythonLayers {
  private session?: PythonSession;
  private torchVersion?: string;

  constructor(private readonly options: PythonLayersOptions) {}

  /** The interpreter that ran, once a layer was loaded. */
  get interpreter(): PythonReport | undefined {
    const s = this.session;
    if (!s) return undefined;
    return { requested: this.options.python, executable: s.info.executable, version: s.info.python, numpy: s.info.numpy, ...(this.torchVersion ? { torch: this.torchVersion } : {}) };
  }

  /** For loadNetworkFile: every node that uses a Python layer gets its op. */
  readonly resolve: ResolvePythonOps = async (ops, { file, spec, locate }) => {
    const byNode = new Map<number, OpDef>();
    for (const [name, ref] of Object.entries(ops)) {
      const { path, opName } = parseRef(name, ref, file, locate);
      const session = this.start(file, locate(["ops", name]));
      spec.nodes.forEach((node, i) => {
        if (node.op !== name) return;
        const op = this.load(session, path, opName, node, { file, name, ref, locate });
        byNode.set(i, layerOp(session, name, op, nodeShape(spec, node, i, op, locate, file)));
      });
    }
    return byNode;
  };

  /** Ask the interpreter to exit (and make sure it has). Idempotent. */
  close(): void {
    this.session?.close();
  }

  private start(networkFile: string, at: { line: number; column: number }): PythonSession {
    if (this.session) return this.session;
    try {
      this.session = PythonSession.start({ python: this.options.python, cwd: dirname(resolve(networkFile)), onOutput: this.options.onOutput });
    } catch (e) {
      // No interpreter, not Python 3, no NumPy: one sentence, at the "ops" entry that needed it.
      if (e instanceof PythonError && !e.file) throw new ConfigError(`a Python layer cannot run: ${e.message}`, networkFile, at);
      throw e;
    }
    this.options.onStart?.(this.session.pid);
    return this.session;
  }

  private load(session: PythonSession, path: string, opName: string, node: NodeSpec, entry: { file: string; name: string; ref: string; locate: Locate }): PythonOp {
    try {
      const op = session.load(path, opName, { params: Object.keys(node.params ?? {}) });
      this.torchVersion ??= op.torchVersion;
      return op;
    } catch (e) {
      // No such pair or Function (or a forward without its backward): the "ops" entry is wrong. An
      // exception while importing the file (a SyntaxError, a missing module) stays at its line in the .py.
      if (e instanceof PythonError && e.kind === "not-found")
        throw new ConfigError(`custom op '${entry.name}' (${entry.ref}): ${e.message}`, entry.file, entry.locate(["ops", entry.name]));
      throw e;
    }
  }
}

/** `"./layers.py#affine"` → the file (absolute, relative to the network) and the name after `#`. */
function parseRef(name: string, ref: string, file: string, locate: Locate): { path: string; opName: string } {
  const at = () => locate(["ops", name]);
  const hash = ref.lastIndexOf("#");
  const modulePath = (hash >= 0 ? ref.slice(0, hash) : ref).trim();
  const opName = hash >= 0 ? ref.slice(hash + 1).trim() : "";
  if (!opName) throw new ConfigError(`custom op '${name}': "${ref}" names no layer: write "${modulePath}#${name}" (a NumPy pair ${name}_forward / ${name}_backward, or a torch.autograd.Function)`, file, at());
  if (!modulePath.startsWith("./") && !modulePath.startsWith("../"))
    throw new ConfigError(`custom op '${name}': "${modulePath}" must be a relative path like "./layers.py#${opName}"`, file, at());
  const path = resolve(dirname(resolve(file)), modulePath);
  let isFile = false;
  try {
    isFile = statSync(path).isFile();
  } catch {
    // reported below
  }
  if (!isFile) throw new ConfigError(`custom op '${name}': cannot read "${modulePath}" (no such file: ${shownPath(path)})`, file, at());
  return { path, opName };
}

/** A path as the user sees it: relative to the working directory when inside it. */
export function shownPath(abs: string): string {
  const rel = relative(process.cwd(), abs);
  return rel && !rel.startsWith("..") && !isAbsolute(rel) ? rel : abs;
}

/** One node's use of a layer: its labels, the shapes of its parameters, its plain-value arguments, all checked against the forward's arguments. */
interface NodeUse {
  /** Input positions fed by "classes" inputs (sent as int64). */
  labels: number[];
  inputCount: number;
  /** Each parameter's shape, read from the node's "params" (values or { shape }) when the graph is built. */
  paramShapes: Record<string, () => number[]>;
}

function nodeShape(spec: NetworkSpec, node: NodeSpec, i: number, op: PythonOp, locate: Locate, file: string): NodeUse {
  const fail = (message: string, path: (string | number)[], target?: "key") => new ConfigError(message, file, locate(path, target));
  const signature = `${op.forwardName}(${op.args.map((a) => (a.variadic ? `*${a.name}` : a.name)).join(", ")})`;
  const argNames = op.args.filter((a) => !a.variadic).map((a) => a.name);
  const params = Object.keys(node.params ?? {});
  for (const p of params) {
    if (!argNames.includes(p))
      throw fail(`${signature} has no argument '${p}'${didYouMean(p, argNames)}: the names in "params" must be arguments of the forward`, ["nodes", i, "params", p], "key");
  }
  const attrs = Object.keys(node).filter((k) => !RESERVED.has(k));
  for (const a of attrs) {
    if (!argNames.includes(a))
      throw fail(`unknown attribute '${a}' for ${node.op as string}: ${signature} has no argument '${a}'${didYouMean(a, argNames.filter((n) => !params.includes(n)))}`, ["nodes", i, a], "key");
  }
  // The other arguments are the node's inputs, in order (trailing ones with defaults may be left out).
  const slots = op.args.filter((a) => !a.variadic && !params.includes(a.name) && !attrs.includes(a.name));
  const variadic = op.args.some((a) => a.variadic);
  const required = slots.reduce((n, a, k) => (a.default ? n : k + 1), 0);
  const names = node.inputs ?? [i === 0 ? Object.keys(spec.inputs)[0] : spec.nodes[i - 1].id];
  if (names.length < required || (!variadic && names.length > slots.length)) {
    const want = variadic ? `at least ${required}` : required === slots.length ? `${slots.length}` : `${required} to ${slots.length}`;
    const given = [params.length ? `${params.join(", ")} from "params"` : "", attrs.length ? `${attrs.join(", ")} as attributes` : ""].filter(Boolean).join(" and ");
    const inputsText = slots.length ? `the input${slots.length === 1 ? "" : "s"} ${slots.map((a) => a.name).join(", ")}` : "no inputs";
    throw fail(`${signature} takes ${inputsText}${given ? ` (${given})` : ""}: ${want} input${want === "1" ? "" : "s"}, but the node gives ${names.length}${node.inputs ? "" : " (its default input)"}`,
      node.inputs !== undefined ? ["nodes", i, "inputs"] : ["nodes", i, "op"]);
  }
  const labels = names.flatMap((n, k) => (spec.inputs[n]?.classes !== undefined ? [k] : []));
  const paramShapes = Object.fromEntries(params.map((p) => [p, () => givenParamShape(node.params![p], ["nodes", i, "params", p], Infinity)]));
  return { labels, inputCount: names.length, paramShapes };
}

/** The OpDef of one node's Python layer. */
function layerOp(session: PythonSession, name: string, op: PythonOp, use: NodeUse): OpDef {
  const options = (attrs: Record<string, unknown>) => ({ attrs, labels: use.labels });
  const def: OpDef = {
    name,
    summary: op.doc ?? `${op.kind === "torch" ? "a torch.autograd.Function" : "a NumPy pair"} in ${basename(op.file)}: ${op.forwardName} / ${op.backwardName}`,
    arity: use.inputCount,
    labelInputs: use.labels,
    params: Object.fromEntries(Object.entries(use.paramShapes).map(([p, shape]) => [p, { shape }])),
    forward: ({ inputs, params, attrs }) => session.evaluate(op, inputs, params, options(attrs)),
    backward: ({ inputs, params, attrs, gradOutput }): BackwardResult =>
      backwards(session, op, inputs, params, [gradOutput], options(attrs))[0],
    // The check's batched calls (engine/op.ts): every perturbed forward of one (node, argument), and the
    // backwards of its one-hot rows and linearity probes, each in one round trip instead of one per call.
    forwardBatch: ({ inputs, params, attrs }, perturbations: Perturbation[]): Tensor[] => {
      const points = perturbations.map((p) => ({ target: p.param !== undefined ? { param: p.param } : { input: p.input ?? 0 }, indices: p.indices, values: p.values }));
      return rows(session.forwardSet(op, inputs, params, points, options(attrs)), perturbations.length);
    },
    backwardBatch: ({ inputs, params, attrs }, gradOutputs: Tensor[]): BackwardResult[] =>
      backwards(session, op, inputs, params, gradOutputs, options(attrs)),
    ...(op.backwardLocation ? { definedAt: `${shownPath(op.backwardLocation.file)}:${op.backwardLocation.line}:${op.backwardLocation.column}` } : {}),
  };
  facts.set(def, {
    kind: op.kind, ref: op.ref, file: op.file, forwardName: op.forwardName, backwardName: op.backwardName,
    ...(op.forwardLocation ? { forwardLocation: op.forwardLocation } : {}), ...(op.backwardLocation ? { backwardLocation: op.backwardLocation } : {}),
  });
  return def;
}

/**
 * The layer's backward for each upstream gradient, in one round trip (the forward run again in Python at
 * these arguments: nothing is kept there between calls). A None gradient of a parameter is no gradient,
 * which the check then shows as zero (a diagnosis, not a crash); a None of an input is left null.
 */
function backwards(session: PythonSession, op: PythonOp, inputs: Tensor[], params: Record<string, Tensor>, gradOutputs: Tensor[], options: { attrs: Record<string, unknown>; labels: number[] }): BackwardResult[] {
  const k = gradOutputs.length;
  if (k === 0) return [];
  const shape = gradOutputs[0].shape, n = gradOutputs[0].data.length;
  const stacked = new Float64Array(k * n);
  gradOutputs.forEach((g, r) => stacked.set(g.data, r * n));
  const r = session.backwardAt(op, inputs, params, { shape: [k, ...shape], data: stacked }, options);
  const inputRows = inputs.map((_, i) => (r.inputs[i] ? rows(r.inputs[i]!, k) : undefined));
  const paramRows = Object.fromEntries(Object.keys(params).map((p) => [p, r.params[p] ? rows(r.params[p]!, k) : undefined]));
  return gradOutputs.map((_, row) => ({
    inputs: inputRows.map((t) => t?.[row] ?? null),
    params: Object.fromEntries(Object.entries(params).map(([p, t]) => [p, paramRows[p]?.[row] ?? tensor(t.shape)])),
  }));
}

/** The k rows of a [k, ...shape] batch, each a view of its data. */
function rows(t: Tensor, k: number): Tensor[] {
  const shape = t.shape.slice(1), n = k ? t.data.length / k : 0;
  return Array.from({ length: k }, (_, r) => ({ shape, data: t.data.subarray(r * n, (r + 1) * n) }));
}
