/**
 * Loading a network file: text → NetworkSpec → Graph, every problem reported
 * as FILE:LINE:COL at the offending value.
 *
 * Order of checks for `.gradnet.json`: syntax (jsonc-parser), then the JSON
 * Schema (the same file VS Code validates with), then buildGraph's semantic
 * checks (ids, cycles, shapes, labels). Each stage's NetworkError path is
 * turned into a location by `locate`.
 */
import { readFile, stat } from "node:fs/promises";
import { resolve as resolvePath } from "node:path";
import { buildGraph, type BuildOptions, type Graph } from "../engine/graph.js";
import { NetworkError, type NetworkSpec, type SpecPath } from "../engine/network.js";
import { DEFAULT_MAX_MEMORY_MB, formatBytes, type LimitHints } from "../engine/limits.js";
import type { OpDef } from "../engine/op.js";
import { builtinOpNames } from "../engine/ops/index.js";
import { didYouMean } from "../engine/suggest.js";
import { ConfigError, allErrors, throwAll, type SourceLocation } from "./errors.js";
import { LineIndex, parseJsonText, type Target } from "./json.js";
import { schemaProblems } from "./validate.js";

export { ConfigError, ConfigErrors, allErrors, type SourceLocation } from "./errors.js";

export type Locate = (path: SpecPath, target?: Target) => SourceLocation;

export interface LoadedNetwork {
  file: string;
  spec: NetworkSpec;
  graph: Graph;
  /** Where a path into the spec is in the file (nearest existing ancestor if it is not there). */
  locate: Locate;
  /** The same network built with another seed (other seeded inputs and parameters): `--points`. */
  rebuild?: (seed: number) => Graph;
}

/**
 * Resolves a JSON network's `"ops": { "name": "./file.ts#export" }` to op
 * definitions. Supplied by the TypeScript loader (src/config/typescript.ts);
 * should throw ConfigError located with `locate(["ops", name])` for a bad entry.
 */
export type ResolveCustomOps = (
  ops: Record<string, string>,
  context: { file: string; locate: Locate; onSource?: (file: string) => void },
) => Promise<Record<string, OpDef>>;

/**
 * Resolves a JSON network's Python layers: the `"ops"` entries that name a
 * `.py` file (`"affine": "./layers.py#affine"`). Supplied by whoever owns the
 * interpreter (src/worker/python/layers.ts, one per check). A Python op's
 * arguments are split per node (those the node names in "params" are its
 * parameters), so it returns an op for each node that uses one, by the node's
 * position in `spec.nodes`; it should throw ConfigError located with `locate`.
 */
export type ResolvePythonOps = (
  ops: Record<string, string>,
  context: { file: string; spec: NetworkSpec; locate: Locate },
) => Promise<Map<number, OpDef>>;

/** `"./layers.py#affine"`: an "ops" entry naming a Python layer. */
export const isPythonOpRef = (ref: unknown): ref is string => typeof ref === "string" && /\.py(#|$)/i.test(ref.trim());

/** Loads a `.gradnet.ts` file. Supplied by src/config/typescript.ts. */
export type LoadTypeScript = (file: string, options: LoadOptions) => Promise<LoadedNetwork>;

export interface LoadOptions {
  /** Extra ops by name (a JSON node's "op" may name them). */
  customOps?: Record<string, OpDef>;
  /** How to load the JSON "ops" map; without it such a file is refused with a clear message. */
  resolveCustomOps?: ResolveCustomOps;
  /** How to load the "ops" entries that name a `.py` file; without it such a network is refused with a clear message. */
  resolvePythonOps?: ResolvePythonOps;
  /** How to load `.gradnet.ts`; without it such a file is refused with a clear message. */
  loadTypeScript?: LoadTypeScript;
  /** Overrides the network's "seed" (the CLI's --seed). */
  seed?: number;
  /** Refuse tensors above this many values (buildGraph's default otherwise). */
  maxTensorSize?: number;
  /** Refuse networks whose tensors and gradients need more MiB than this (buildGraph's default, 512, otherwise). */
  maxMemoryMb?: number;
  /** false: never bundle or run user code (an untrusted workspace): a .gradnet.ts, or "ops" in TypeScript or Python, is refused. */
  allowUserCode?: boolean;
  /** What a network refused for its size is told to do (the caller's flags and settings). */
  limitHints?: LimitHints;
  /**
   * Hears the absolute path of every file the network is read from: the network
   * file, and the modules its code imports (the editor re-checks a network when
   * one of them is saved).
   */
  onSource?: (file: string) => void;
}

/** A network's name when its file gives none: the file name without `.gradnet.json` / `.gradnet.ts`. */
export function networkNameOf(file: string): string {
  return file.replace(/^.*[\\/]/, "").replace(/\.gradnet\.(json|ts)$/, "");
}

/** buildGraph's options for a network loaded from `file`. */
export function buildOptions(file: string, options: LoadOptions, customOps = options.customOps): BuildOptions {
  return { customOps, file, name: networkNameOf(file), seed: options.seed, maxTensorSize: options.maxTensorSize, maxMemoryMb: options.maxMemoryMb, limitHints: options.limitHints };
}

/**
 * The TypeScript loader registers itself here (`setTypeScriptSupport` from
 * src/config/typescript.ts), so this file does not depend on esbuild.
 */
let typescriptSupport: { loadTypeScript: LoadTypeScript; resolveCustomOps: ResolveCustomOps } | undefined;

export function setTypeScriptSupport(support: { loadTypeScript: LoadTypeScript; resolveCustomOps: ResolveCustomOps }): void {
  typescriptSupport = support;
}

export const isTypeScriptNetwork = (file: string): boolean => /\.m?ts$/i.test(file);

export async function loadNetworkFile(file: string, options: LoadOptions = {}): Promise<LoadedNetwork> {
  if (isTypeScriptNetwork(file)) {
    if (options.allowUserCode === false) throw new ConfigError("this workspace is not trusted: a .gradnet.ts network runs its own code, so GradLens does not load it here (trust the workspace to check it; JSON networks work)", file, { line: 1, column: 1 });
    const load = options.loadTypeScript ?? typescriptSupport?.loadTypeScript;
    if (!load) throw new ConfigError("TypeScript networks (.gradnet.ts) are not supported yet by this build", file, { line: 1, column: 1 });
    return load(file, options);
  }
  options.onSource?.(resolvePath(file));
  const text = await readNetworkText(file, options.maxMemoryMb);
  const parsed = parseAndValidate(text, file);
  if (parsed.spec.ops && Object.keys(parsed.spec.ops).length > 0) {
    const resolved = await resolveOpsMap(parsed.spec, { file, locate: parsed.locate }, options);
    return build({ ...parsed, spec: resolved.spec }, file, { ...options, customOps: resolved.customOps });
  }
  return build(parsed, file, options);
}

/**
 * A network's `"ops"` map resolved: TypeScript modules by op name
 * (`customOps`), Python layers by node (written into a copy of the spec, each
 * such node's `op` the op made for it, so the spec rebuilds on its own, with
 * another seed, say). Refused without running anything in an untrusted workspace.
 */
export async function resolveOpsMap(spec: NetworkSpec, context: { file: string; locate: Locate }, options: LoadOptions): Promise<{ spec: NetworkSpec; customOps?: Record<string, OpDef> }> {
  const { file, locate } = context;
  const entries = Object.entries(spec.ops ?? {});
  const python = Object.fromEntries(entries.filter(([, ref]) => isPythonOpRef(ref)));
  const typescript = Object.fromEntries(entries.filter(([, ref]) => !isPythonOpRef(ref)));
  if (options.allowUserCode === false) {
    const what = Object.keys(python).length === 0 ? "TypeScript code" : Object.keys(typescript).length === 0 ? "Python code" : "TypeScript and Python code";
    throw new ConfigError(`this workspace is not trusted: custom ops in "ops" run ${what}, so GradLens does not load them here (trust the workspace to check this network)`, file, locate(["ops"], "key"));
  }
  let customOps = options.customOps;
  if (Object.keys(typescript).length > 0) {
    const resolve = options.resolveCustomOps ?? typescriptSupport?.resolveCustomOps;
    if (!resolve) throw customOpsUnsupported(file, locate);
    customOps = { ...(await resolve(typescript, { file, locate, onSource: options.onSource })), ...customOps };
  }
  if (Object.keys(python).length === 0) return { spec, customOps };
  if (!options.resolvePythonOps) {
    const [name] = Object.keys(python);
    throw new ConfigError(`custom op '${name}' is a Python layer: Python layers are checked by \`gradlens check\` and the extension, which start the interpreter (loadNetworkFile was given no resolvePythonOps)`, file, locate(["ops", name]));
  }
  const nodeOps = await options.resolvePythonOps(python, { file, spec, locate });
  return { spec: { ...spec, nodes: spec.nodes.map((node, i) => (nodeOps.has(i) ? { ...node, op: nodeOps.get(i)! } : node)) }, customOps };
}

/** Parsing JSON keeps about this many heap bytes per byte of text (a tree node per value; measured ≈ 12.5). */
const PARSE_BYTES_PER_TEXT_BYTE = 16;

/**
 * A network file's text, refusing what cannot be one before reading it all:
 * a pipe or device (reading would wait forever), a file too big to parse
 * within the memory limit, UTF-16 text. A UTF-8 byte order mark is dropped
 * (editors do not count it as a column).
 */
async function readNetworkText(file: string, maxMemoryMb: number | undefined): Promise<string> {
  const refuse = (why: string) => new ConfigError(`cannot read the network file: ${why}`, file, { line: 1, column: 1 });
  let bytes: Buffer;
  try {
    const info = await stat(file);
    if (info.isDirectory()) throw refuse("is a directory, not a network file");
    if (!info.isFile()) throw refuse("not a regular file (a pipe, socket or device)");
    const limit = (maxMemoryMb ?? DEFAULT_MAX_MEMORY_MB) * 2 ** 20;
    if (info.size * PARSE_BYTES_PER_TEXT_BYTE > limit)
      throw refuse(`it is ${formatBytes(info.size)}, and parsing it would need about ${formatBytes(info.size * PARSE_BYTES_PER_TEXT_BYTE)}, over the memory limit of ${formatBytes(limit)} (give large inputs by "shape" and "seed" rather than "values")`);
    bytes = await readFile(file);
  } catch (e) {
    if (e instanceof ConfigError) throw e;
    const code = (e as NodeJS.ErrnoException).code;
    throw refuse(code === "ENOENT" ? "no such file" : code === "EISDIR" ? "is a directory, not a network file" : (e as Error).message);
  }
  if ((bytes[0] === 0xff && bytes[1] === 0xfe) || (bytes[0] === 0xfe && bytes[1] === 0xff))
    throw refuse("it is UTF-16 text (it starts with a UTF-16 byte order mark): save it as UTF-8");
  const text = bytes.toString("utf8");
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}

/**
 * Synchronous, for the editor (validates as the user types). A JSON network
 * with an "ops" map needs its ops passed in `customOps` (resolved beforehand).
 */
export function loadNetworkText(text: string, file: string, options: LoadOptions = {}): LoadedNetwork {
  if (isTypeScriptNetwork(file)) {
    throw new ConfigError("loadNetworkText reads JSON networks only; load a .gradnet.ts with loadNetworkFile", file, { line: 1, column: 1 });
  }
  const parsed = parseAndValidate(text, file);
  const declared = Object.keys(parsed.spec.ops ?? {});
  const missing = declared.filter((name) => !options.customOps?.[name]);
  if (missing.length > 0) throw customOpsUnsupported(file, parsed.locate, missing[0]);
  return build(parsed, file, options);
}

/**
 * Every problem the editor can show while the user types, without running user
 * code: syntax, schema, and buildGraph's checks. A JSON network whose "ops" are
 * not in `customOps` gets syntax and schema checks only (its custom ops are
 * loaded by a real check), so a valid file never shows a false error.
 */
export function validateNetworkText(text: string, file: string, options: LoadOptions = {}): ConfigError[] {
  try {
    const parsed = parseAndValidate(text, file);
    if (hasUnloadedOps(parsed.spec, options)) return unknownOpErrors(parsed, file, options);
    build(parsed, file, options);
    return [];
  } catch (e) {
    if (e instanceof ConfigError) return allErrors(e);
    throw e;
  }
}

/** Whether the network's "ops" name custom ops that `options.customOps` does not hold (they are loaded by a real check). */
export function hasUnloadedOps(spec: NetworkSpec, options: LoadOptions): boolean {
  return Object.keys(spec.ops ?? {}).some((name) => !options.customOps?.[name]);
}

/**
 * What can be said of a network whose custom ops are not loaded, without
 * loading them (the graph needs them): an op name that is neither built in nor declared.
 */
export function unknownOpErrors(parsed: { spec: NetworkSpec; locate: Locate }, file: string, options: LoadOptions = {}): ConfigError[] {
  const known = [...builtinOpNames, ...Object.keys(parsed.spec.ops ?? {}), ...Object.keys(options.customOps ?? {})];
  return parsed.spec.nodes.flatMap((node, i) =>
    typeof node.op === "string" && !known.includes(node.op)
      ? [new ConfigError(`unknown op '${node.op}'${didYouMean(node.op, known)}`, file, parsed.locate(["nodes", i, "op"]))]
      : [],
  );
}

/** Syntax and schema only: the spec and its locations, no graph. */
export function parseNetworkText(text: string, file: string): { spec: NetworkSpec; locate: Locate } {
  return parseAndValidate(text, file);
}

function parseAndValidate(text: string, file: string): { spec: NetworkSpec; locate: Locate } {
  checkNesting(text, file);
  const parsed = parseJsonText(text, file);
  const problems = schemaProblems(parsed.value);
  if (problems.length > 0) {
    throwAll(problems.map((p) => new ConfigError(p.message, file, parsed.locate(p.path, p.target))));
  }
  return { spec: parsed.value as NetworkSpec, locate: parsed.locate };
}

/**
 * Deeper than this, a file is refused before it is parsed: the parser, the
 * schema validator and the tree walks recurse, and 10,000 nested '[' would
 * overflow the stack. A network needs a few levels (one per tensor dimension).
 */
export const MAX_NESTING = 100;

/** Refuses nesting deeper than MAX_NESTING, at the bracket that goes too deep (strings and comments skipped). */
function checkNesting(text: string, file: string): void {
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 34 /* " */) {
      // To the closing quote, or the end of the line (an unterminated string ends there for the parser too).
      for (i++; i < text.length; i++) {
        const d = text.charCodeAt(i);
        if (d === 92 /* \ */) i++;
        else if (d === 34 || d === 10 || d === 13) break;
      }
    } else if (c === 47 /* / */ && text.charCodeAt(i + 1) === 47) {
      while (i < text.length && text.charCodeAt(i) !== 10) i++;
    } else if (c === 47 && text.charCodeAt(i + 1) === 42 /* * */) {
      const close = text.indexOf("*/", i + 2);
      i = close < 0 ? text.length : close + 1;
    } else if (c === 91 /* [ */ || c === 123 /* { */) {
      if (++depth > MAX_NESTING)
        throw new ConfigError(`nested more than ${MAX_NESTING} levels deep: a network file needs only a few levels (values nest once per tensor dimension)`, file, new LineIndex(text).span(i, 1));
    } else if (c === 93 /* ] */ || c === 125 /* } */) {
      if (depth > 0) depth--;
    }
  }
}

function build(parsed: { spec: NetworkSpec; locate: Locate }, file: string, options: LoadOptions): LoadedNetwork {
  try {
    const graph = buildGraph(parsed.spec, buildOptions(file, options));
    return { file, spec: parsed.spec, graph, locate: parsed.locate, rebuild: (seed) => buildGraph(parsed.spec, { ...buildOptions(file, options), seed }) };
  } catch (e) {
    if (e instanceof NetworkError) throw locatedError(e, file, parsed.locate);
    throw e;
  }
}

/** A NetworkError (from buildGraph, or a TS loader) at its place in the file. */
export function locatedError(e: NetworkError, file: string, locate: Locate): ConfigError {
  return new ConfigError(e.message, file, locate(e.path, e.target));
}

export function customOpsUnsupported(file: string, locate: Locate, name?: string): ConfigError {
  const message = name
    ? `custom op '${name}' from "ops" is not loaded: use loadNetworkFile, which loads its TypeScript module`
    : "custom ops from TypeScript modules (\"ops\") are not supported yet by this build";
  return new ConfigError(message, file, locate(name ? ["ops", name] : ["ops"], "key"));
}
