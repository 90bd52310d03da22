/**
 * `.gradnet.ts` networks and the custom ops of a JSON network's `"ops"` map.
 *
 * The user's file and its relative imports are bundled with esbuild into one
 * CommonJS script, run in this thread's own realm (so a user's Float64Array is
 * the engine's Float64Array), and its default export is the network.
 * `import … from "gradlens"` is never bundled: a plugin keeps it external and
 * the script's `require("gradlens")` returns the engine module already loaded
 * here (src/config/public.ts) — the user's workspace has no node_modules, and a
 * second copy of the engine would not be the one the checker runs.
 *
 * esbuild: the native package when it can be loaded (development, the CLI from
 * a source checkout), else `esbuild-wasm`, the runtime dependency, which runs
 * on every platform VS Code runs on, so one .vsix serves them all. Both are
 * `require`d at run time (they are external in scripts/build.mjs). esbuild-wasm
 * runs in this thread through its browser API: its Node API would spawn `node`
 * from PATH, which an editor's user need not have. The browser build has no
 * file system, so files are read by a plugin (`filesPlugin`), for both builds
 * alike: what the tests bundle is what the extension bundles.
 *
 * The bundle runs under a name of its own with a source map; the positions in
 * a stack trace are mapped back to the user's file:line:col
 * (src/config/user-code.ts). Time limits are the worker's (src/worker/client.ts):
 * a `for (;;) {}` at the top level or in a forward ends with the thread.
 *
 * A thread that loads networks again and again (the editor's warm worker) keeps
 * esbuild initialised and, per entry file, an esbuild context and its last
 * bundle: a bundle whose files are all unchanged (size and mtime) is reused as
 * it is, and a rebuild re-parses only the files whose text changed. The bundle
 * is still run anew at every load: each check gets fresh module state.
 */
import { createRequire, isBuiltin, SourceMap } from "node:module";
import { dirname, isAbsolute, join, relative, resolve } from "node:path";
import { readFileSync, statSync } from "node:fs";
import { fileURLToPath } from "node:url";
import * as vm from "node:vm";
import type * as Esbuild from "esbuild";
import * as engine from "./public.js";
import { buildGraph } from "../engine/graph.js";
import { NetworkError, type NetworkSpec, type SpecPath } from "../engine/network.js";
import type { OpDef } from "../engine/op.js";
import type { ErrorLocation } from "../shared/result.js";
import { ConfigError, throwAll, type SourceLocation } from "./errors.js";
import { buildOptions, locatedError, resolveOpsMap, type LoadOptions, type LoadedNetwork, type Locate, type ResolveCustomOps } from "./load.js";
import { registerUserBundle } from "./user-code.js";

type EsbuildApi = Pick<typeof Esbuild, "build"> & Partial<Pick<typeof Esbuild, "context">>;
type EsbuildKind = "native" | "wasm";

let chosen: { api: EsbuildApi; kind: EsbuildKind } | undefined;
let wasmReady: Promise<EsbuildApi> | undefined;

/** esbuild-wasm's browser API, initialised once in this thread from the .wasm file beside it. */
function wasmEsbuild(): Promise<EsbuildApi> {
  wasmReady ??= (async () => {
    const browserApi = require("esbuild-wasm/lib/browser.js") as typeof Esbuild;
    const wasmFile = join(dirname(require.resolve("esbuild-wasm/package.json")), "esbuild.wasm");
    // The browser build reads the host's globals through `self`; Node has none.
    (globalThis as { self?: unknown }).self ??= globalThis;
    const { WebAssembly: wasm } = globalThis as unknown as { WebAssembly: { Module: new (bytes: Uint8Array) => object } };
    await browserApi.initialize({ wasmModule: new wasm.Module(readFileSync(wasmFile)) as never, worker: false });
    return browserApi;
  })();
  return wasmReady;
}

/** esbuild to use: native when it loads and runs, else esbuild-wasm. GRADLENS_ESBUILD=wasm forces the wasm build. */
function esbuildCandidates(): { api: () => EsbuildApi | Promise<EsbuildApi>; kind: EsbuildKind }[] {
  if (chosen) return [{ api: () => chosen!.api, kind: chosen.kind }];
  const wasm = { api: wasmEsbuild, kind: "wasm" as const };
  if (process.env.GRADLENS_ESBUILD === "wasm") return [wasm];
  return [{ api: () => require("esbuild") as EsbuildApi, kind: "native" as const }, wasm];
}

/** Which esbuild bundled the last file ("native" or "wasm"); for tests and diagnostics. */
export function esbuildKind(): EsbuildKind | undefined {
  return chosen?.kind;
}

const EXTENSIONS = [".ts", ".tsx", ".mts", ".cts", ".js", ".mjs", ".cjs", ".json"];

/** A relative import as TypeScript resolves it: the file, with an extension added, `.js` for `.ts`, or an index. */
function resolveFile(base: string): string | undefined {
  const isFile = (p: string) => {
    try {
      return statSync(p).isFile();
    } catch {
      return false;
    }
  };
  const stem = base.replace(/\.(c|m)?js$/, "");
  const candidates = [base, ...EXTENSIONS.map((e) => base + e), ...(stem !== base ? [".ts", ".mts", ".cts", ".tsx"].map((e) => stem + e) : []), ...EXTENSIONS.map((e) => join(base, "index" + e))];
  return candidates.find(isFile);
}

const loaderFor = (file: string): Esbuild.Loader =>
  /\.(c|m)?ts$/.test(file) ? "ts" : file.endsWith(".tsx") ? "tsx" : file.endsWith(".json") ? "json" : "js";

/** A file as it was read for a bundle: a later bundle of the same entry is reused while every one is unchanged. */
interface Stamp {
  size: number;
  mtimeMs: number;
}

function stampOf(file: string): Stamp | undefined {
  try {
    const info = statSync(file);
    return { size: info.size, mtimeMs: info.mtimeMs };
  } catch {
    return undefined;
  }
}

/**
 * Resolve and read files with Node's fs (esbuild-wasm's browser build has none),
 * noting each file read in `read` (cleared at the start of every build).
 */
function filesPlugin(read: Map<string, Stamp>): Esbuild.Plugin {
  return {
    name: "gradlens-files",
    setup(build) {
      build.onStart(() => read.clear());
      build.onResolve({ filter: /.*/ }, (args) => {
        if (args.kind === "entry-point") return { path: args.path };
        if (isBuiltin(args.path)) return { path: args.path, external: true };
        if (args.path.startsWith("./") || args.path.startsWith("../") || isAbsolute(args.path)) {
          const found = resolveFile(resolve(args.resolveDir, args.path));
          return found ? { path: found } : { errors: [{ text: `Could not resolve "${args.path}" (no such file next to ${relative(process.cwd(), args.importer) || args.importer})` }] };
        }
        try {
          return { path: createRequire(join(args.resolveDir, "noop.js")).resolve(args.path) };
        } catch {
          return { errors: [{ text: `Could not resolve "${args.path}": a network may import "gradlens", Node's built-in modules, relative files and installed packages` }] };
        }
      });
      build.onLoad({ filter: /.*/ }, (args) => {
        const stamp = stampOf(args.path);
        const contents = readFileSync(args.path, "utf8");
        if (stamp) read.set(args.path, stamp);
        return { contents, loader: loaderFor(args.path), resolveDir: dirname(args.path) };
      });
    },
  };
}

interface Bundle {
  code: string;
  map: unknown;
  /** Directory the map's relative `sources` are relative to. */
  outDir: string;
}

/** Paths as the user gave them: the entry file as passed in, others relative to the working directory. */
function userPath(abs: string, entryAbs: string, entryAsGiven: string): string {
  if (abs === entryAbs) return entryAsGiven;
  const rel = relative(process.cwd(), abs);
  return rel && !rel.startsWith("..") && !isAbsolute(rel) ? rel : abs;
}

/** "gradlens" is the engine that runs this check: never bundle a copy of it. */
const gradlensPlugin: Esbuild.Plugin = {
  name: "gradlens-engine",
  setup(build) {
    build.onResolve({ filter: /^gradlens(\/.*)?$/ }, (args) =>
      args.path === "gradlens"
        ? { path: "gradlens", external: true }
        : { errors: [{ text: `'${args.path}': import from "gradlens" itself (it exports defineOp, network and the tensor helpers)` }] });
  },
};

/** What this thread keeps of an entry file between loads: its esbuild context and its last bundle, with the files read. */
interface Kept {
  /** Files the last build read (filled by filesPlugin). */
  read: Map<string, Stamp>;
  context?: Esbuild.BuildContext;
  bundle?: Bundle;
  /** The files of `bundle`, as they were when it was made. */
  files?: Map<string, Stamp>;
}

/** Entry files kept at once (each context holds its files' syntax trees). */
const MAX_KEPT = 16;
const kept = new Map<string, Kept>();

const unchanged = (files: Map<string, Stamp>): boolean =>
  [...files].every(([file, was]) => {
    const now = stampOf(file);
    return now !== undefined && now.size === was.size && now.mtimeMs === was.mtimeMs;
  });

/** How many bundles this thread made and reused (for the editor's tests and the bench). */
export const bundleStats = { built: 0, reused: 0 };

/**
 * Off by default: an esbuild context keeps native esbuild's service process,
 * and with it the process, alive. A long-lived worker thread (the editor's warm
 * worker, which ends by being terminated) turns contexts on.
 */
let useContexts = false;
export function keepEsbuildContexts(on: boolean): void {
  useContexts = on;
  if (!on) for (const k of kept.values()) {
    void k.context?.dispose();
    k.context = undefined;
  }
}

/**
 * The entry file bundled: the last bundle again when none of its files changed,
 * else a rebuild in the entry's esbuild context (a plain build where the API has
 * no contexts). `onSource` hears every file the bundle is made of.
 */
async function bundle(entryAbs: string, entryAsGiven: string, onSource?: (file: string) => void): Promise<Bundle> {
  const outDir = dirname(entryAbs);
  const keep = kept.get(entryAbs) ?? { read: new Map<string, Stamp>() };
  kept.delete(entryAbs);
  kept.set(entryAbs, keep);   // most recently used last
  for (const [old, k] of kept) {
    if (kept.size <= MAX_KEPT) break;
    kept.delete(old);
    void k.context?.dispose();
  }
  if (keep.bundle && keep.files && unchanged(keep.files)) {
    bundleStats.reused++;
    for (const file of keep.files.keys()) onSource?.(file);
    return keep.bundle;
  }
  const options: Esbuild.BuildOptions = {
    entryPoints: [entryAbs], bundle: true, platform: "node", format: "cjs", target: "node20",
    write: false, outfile: join(outDir, "gradlens-user-bundle.js"), absWorkingDir: outDir,
    sourcemap: "external", sourcesContent: false, logLevel: "silent", plugins: [gradlensPlugin, filesPlugin(keep.read)],
  };
  let lastError: unknown;
  for (const candidate of esbuildCandidates()) {
    let api: EsbuildApi;
    try {
      api = await candidate.api();
    } catch (e) {
      lastError = e;
      continue;
    }
    let result: Esbuild.BuildResult;
    try {
      if (useContexts && api.context && !keep.context) keep.context = await api.context(options);
      result = keep.context ? await keep.context.rebuild() : await api.build(options);
    } catch (e) {
      for (const file of keep.read.keys()) onSource?.(file);
      const failure = e as Partial<Esbuild.BuildFailure>;
      if (Array.isArray(failure.errors) && failure.errors.length > 0) {
        chosen = { api, kind: candidate.kind };
        keep.bundle = undefined;
        throw bundleErrors(failure.errors, entryAbs, entryAsGiven, outDir);
      }
      // This esbuild cannot run here (a native binary for another platform): try the next.
      void keep.context?.dispose();
      keep.context = undefined;
      lastError = e;
      continue;
    }
    chosen = { api, kind: candidate.kind };
    const files = result.outputFiles ?? [];
    const js = files.find((f) => f.path.endsWith(".js"));
    const map = files.find((f) => f.path.endsWith(".js.map"));
    if (!js || !map) throw new Error("esbuild produced no bundle");
    bundleStats.built++;
    keep.bundle = { code: js.text, map: JSON.parse(map.text), outDir };
    keep.files = new Map(keep.read);
    for (const file of keep.files.keys()) onSource?.(file);
    return keep.bundle;
  }
  throw new ConfigError(`cannot bundle TypeScript: neither esbuild nor esbuild-wasm could be loaded (${(lastError as Error)?.message ?? lastError})`, entryAsGiven, { line: 1, column: 1 });
}

/** Starts esbuild in this thread (esbuild-wasm compiles its WebAssembly), so that the first bundle does not wait for it. */
export async function warmUpEsbuild(): Promise<EsbuildKind | undefined> {
  for (const candidate of esbuildCandidates()) {
    try {
      const api = await candidate.api();
      await api.build({ stdin: { contents: "export {}", loader: "ts" }, write: false, logLevel: "silent" });
      chosen ??= { api, kind: candidate.kind };
      return chosen.kind;
    } catch {
      // not this one
    }
  }
  return undefined;
}

function bundleErrors(errors: Esbuild.Message[], entryAbs: string, entryAsGiven: string, outDir: string): ConfigError {
  const located = errors.map((m) => {
    const at = m.location;
    if (!at) return new ConfigError(m.text, entryAsGiven, { line: 1, column: 1 });
    const file = userPath(resolve(outDir, at.file), entryAbs, entryAsGiven);
    // esbuild counts columns in UTF-8 bytes; editors (and ConfigError) in UTF-16 code units.
    const bytes = Buffer.from(at.lineText, "utf8");
    const units = (n: number) => bytes.subarray(0, n).toString("utf8").length;
    const column = units(at.column) + 1;
    return new ConfigError(m.text, file, { line: at.line, column, endLine: at.line, endColumn: units(at.column + Math.max(at.length, 0)) + 1 });
  });
  try {
    throwAll(located);
  } catch (e) {
    return e as ConfigError;
  }
}

let runs = 0;

/**
 * Run a bundle as a CommonJS module; returns its exports. Errors thrown by the
 * user's code (now or later, from a forward or backward) map back to the
 * user's files through the registered source map.
 */
function runBundle(b: Bundle, entryAbs: string, entryAsGiven: string): Record<string, unknown> {
  const runName = `${entryAbs}[gradlens-bundle-${++runs}]`;
  const map = new SourceMap(b.map as ConstructorParameters<typeof SourceMap>[0]);
  const HEADER_LINES = 1; // the wrapper's first line below
  registerUserBundle(runName, (line, column): ErrorLocation | undefined => {
    const entry = map.findEntry(line - 1 - HEADER_LINES, column - 1) as Partial<{ originalSource: string; originalLine: number; originalColumn: number }>;
    if (entry.originalSource === undefined || entry.originalLine === undefined || entry.originalColumn === undefined) return undefined;
    const source = entry.originalSource.startsWith("file:") ? fileURLToPath(entry.originalSource) : resolve(b.outDir, entry.originalSource);
    return { file: userPath(source, entryAbs, entryAsGiven), line: entry.originalLine + 1, column: entry.originalColumn + 1 };
  }, b.code, HEADER_LINES);
  const nodeRequire = createRequire(entryAbs);
  const userRequire = (id: string): unknown => (id === "gradlens" ? engine : nodeRequire(id));
  const module = { exports: {} as Record<string, unknown> };
  const wrapper = `(function (exports, require, module, __filename, __dirname) {\n${b.code}\n})`;
  const fn = vm.runInThisContext(wrapper, { filename: runName }) as (...args: unknown[]) => void;
  fn(module.exports, userRequire, module, entryAbs, dirname(entryAbs));
  return module.exports;
}

/** Bundle and run a user's TypeScript module; its exports. */
async function loadModule(fileAbs: string, asGiven: string, onSource?: (file: string) => void): Promise<Record<string, unknown>> {
  return runBundle(await bundle(fileAbs, asGiven, onSource), fileAbs, asGiven);
}

const isOp = (v: unknown): v is OpDef => typeof v === "object" && v !== null && typeof (v as OpDef).forward === "function";

export async function loadTypeScript(file: string, options: LoadOptions): Promise<LoadedNetwork> {
  const abs = resolve(file);
  let text: string;
  try {
    text = readFileSync(abs, "utf8");
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new ConfigError(`cannot read the network file: ${code === "ENOENT" ? "no such file" : code === "EISDIR" ? "is a directory, not a network file" : (e as Error).message}`, file, { line: 1, column: 1 });
  }
  options.onSource?.(abs);
  const exports = await loadModule(abs, file, options.onSource);
  // `export default network(...)`, or a CommonJS `module.exports = network(...)`.
  const hasDefault = "default" in exports;
  const spec = (hasDefault ? exports.default : exports) as NetworkSpec;
  const locate = locateInSource(text, spec);
  if (typeof spec !== "object" || spec === null || !("nodes" in spec)) {
    const named = Object.keys(exports).filter((k) => k !== "__esModule" && k !== "default");
    const what = !hasDefault ? `it has no default export${named.length ? ` (it exports ${named.join(", ")})` : ""}`
      : `its default export is ${spec === undefined ? "undefined" : spec === null ? "null" : typeof spec === "object" ? "an object without \"nodes\"" : `a ${typeof spec}`}`;
    throw new ConfigError(`a .gradnet.ts must \`export default network({ inputs, nodes })\`: ${what}`, file, locate(["$default"]));
  }
  let built: { spec: NetworkSpec; customOps?: Record<string, OpDef> } = { spec, customOps: options.customOps };
  if (spec.ops && Object.keys(spec.ops).length > 0)
    built = await resolveOpsMap(spec, { file, locate }, { ...options, resolveCustomOps: options.resolveCustomOps ?? resolveCustomOps });
  try {
    const graph = buildGraph(built.spec, buildOptions(file, options, built.customOps));
    return { file, spec: built.spec, graph, locate, rebuild: (seed) => buildGraph(built.spec, { ...buildOptions(file, options, built.customOps), seed }) };
  } catch (e) {
    if (e instanceof NetworkError) throw locatedError(e, file, locate);
    throw e;
  }
}

/**
 * `"ops": { "mySoftmax": "./layers.ts#mySoftmax" }`: each module (relative to
 * the network file) is bundled and run once; `#name` picks the export (default:
 * the export named like the op, else the default export).
 */
export const resolveCustomOps: ResolveCustomOps = async (ops, { file, locate, onSource }) => {
  const base = dirname(resolve(file));
  const modules = new Map<string, Promise<Record<string, unknown>>>();
  const resolved: Record<string, OpDef> = {};
  for (const [name, ref] of Object.entries(ops)) {
    const at = () => locate(["ops", name]);
    if (typeof ref !== "string" || ref.trim() === "") throw new ConfigError(`custom op '${name}' needs "./file.ts#export", got ${JSON.stringify(ref)}`, file, at());
    const hash = ref.lastIndexOf("#");
    const modulePath = hash >= 0 ? ref.slice(0, hash) : ref;
    const exportName = hash >= 0 ? ref.slice(hash + 1) : undefined;
    if (!modulePath.startsWith("./") && !modulePath.startsWith("../"))
      throw new ConfigError(`custom op '${name}': "${modulePath}" must be a relative path like "./layers.ts#${name}"`, file, at());
    const abs = resolve(base, modulePath);
    const given = userPath(abs, "", "");
    if (!modules.has(abs)) modules.set(abs, (async () => {
      try {
        readFileSync(abs);
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        throw new ConfigError(`custom op '${name}': cannot read "${modulePath}" (${code === "ENOENT" ? `no such file: ${given}` : code === "EISDIR" ? "a directory" : (e as Error).message})`, file, at());
      }
      return loadModule(abs, given, onSource);
    })());
    const exports = await modules.get(abs)!;
    const picked = exportName !== undefined && exportName !== "" ? exportName : name in exports ? name : "default";
    const op = exports[picked];
    if (op === undefined) {
      const available = Object.keys(exports).filter((k) => k !== "__esModule" && isOp(exports[k]));
      throw new ConfigError(`custom op '${name}': "${modulePath}" has no export '${picked}'${available.length ? ` (its ops: ${available.join(", ")})` : " (it exports no defineOp(...) values)"}`, file, at());
    }
    if (!isOp(op)) throw new ConfigError(`custom op '${name}': export '${picked}' of "${modulePath}" is not an op (use defineOp({ name, forward, backward }))`, file, at());
    resolved[name] = op;
  }
  return resolved;
};

// ---------------------------------------------------------------- locations in the user's source

/**
 * Where a path into the network object is in the `.gradnet.ts` source. The
 * object is built by code, so this reads the text: a node by its `id: "…"`,
 * an attribute by its key after that, an input by its key inside `inputs`.
 * Falls back to the `export default` (or 1:1) when the text says nothing.
 */
export function locateInSource(source: string, spec: unknown): Locate {
  const text = blankComments(source);
  const lineStarts = [0];
  for (let i = 0; i < text.length; i++) if (text[i] === "\n") lineStarts.push(i + 1);
  const at = (offset: number, length: number): SourceLocation => {
    let lo = 0, hi = lineStarts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (lineStarts[mid] <= offset) lo = mid; else hi = mid - 1;
    }
    const endOffset = offset + length;
    let endLine = lo;
    while (endLine + 1 < lineStarts.length && lineStarts[endLine + 1] <= endOffset) endLine++;
    return { line: lo + 1, column: offset - lineStarts[lo] + 1, endLine: endLine + 1, endColumn: endOffset - lineStarts[endLine] + 1, offset, length };
  };
  const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  const find = (re: RegExp, from = 0, to = text.length): RegExpExecArray | undefined => {
    re.lastIndex = from;
    const m = re.exec(text);
    return m && m.index < to ? m : undefined;
  };
  const exportDefault = find(/export\s+default\b/g);
  const fallback = exportDefault ? at(exportDefault.index, exportDefault[0].length) : at(0, 0);
  const keyRe = (key: string) => new RegExp(`(?:\\b${escape(key)}|(["'])${escape(key)}\\1)\\s*:`, "g");
  /** The value after `key:` (or the key itself) between from and to. */
  const keyIn = (key: string, from: number, to: number, target: "value" | "key" | undefined) => {
    const m = find(keyRe(key), from, to);
    if (!m) return undefined;
    if (target === "key") return { offset: m.index, length: m[0].replace(/\s*:$/, "").length };
    let v = m.index + m[0].length;
    while (v < text.length && /\s/.test(text[v])) v++;
    const token = /^(["'`])(?:\\.|(?!\1).)*\1|^[\w$.]+|^[[{(]/.exec(text.slice(v));
    return { offset: v, length: token ? token[0].length : 1 };
  };
  const nodes = (spec as { nodes?: unknown })?.nodes;
  return (path: SpecPath, target?: "value" | "key"): SourceLocation => {
    const [head, second, third, fourth] = path;
    if (head === "nodes" && typeof second === "number" && Array.isArray(nodes)) {
      const id = (nodes[second] as { id?: unknown } | undefined)?.id;
      if (typeof id !== "string") return fallback;
      const idMatch = find(new RegExp(`\\bid\\s*:\\s*(["'\`])${escape(id)}\\1`, "g"));
      if (!idMatch) return fallback;
      const nodeAt = at(idMatch.index, idMatch[0].length);
      if (typeof third !== "string") return nodeAt;
      // The node's other keys sit between its id and the next node's id.
      const next = find(/\bid\s*:\s*["'`]/g, idMatch.index + idMatch[0].length);
      const objectStart = text.lastIndexOf("{", idMatch.index);
      const end = next ? next.index : text.length;
      const key = keyIn(third, Math.max(0, objectStart), end, fourth === undefined ? target : "value");
      if (!key) return nodeAt;
      if (third === "inputs" && typeof fourth === "number") {
        const strings = /(["'`])(?:\\.|(?!\1).)*\1/g;
        strings.lastIndex = key.offset;
        for (let k = 0, m: RegExpExecArray | null; (m = strings.exec(text)) && m.index < end; k++)
          if (k === fourth) return at(m.index, m[0].length);
      }
      return at(key.offset, key.length);
    }
    if (head === "inputs" && typeof second === "string") {
      const inputs = find(/\binputs\s*:\s*\{/g);
      const key = inputs && keyIn(second, inputs.index + inputs[0].length, text.length, third === undefined ? "key" : undefined);
      if (!key) return fallback;
      if (typeof third === "string") {
        const inner = keyIn(third, key.offset, text.length, target);
        if (inner) return at(inner.offset, inner.length);
      }
      return at(key.offset, key.length);
    }
    if (typeof head === "string" && head !== "$default") {
      const key = keyIn(head, exportDefault?.index ?? 0, text.length, target) ?? keyIn(head, 0, text.length, target);
      if (key) return at(key.offset, key.length);
    }
    return fallback;
  };
}

/** The text with comments replaced by spaces (offsets unchanged), so a word in a comment is never "found". */
function blankComments(text: string): string {
  const out = text.split("");
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '"' || c === "'" || c === "`") {
      for (i++; i < text.length && text[i] !== c; i++) if (text[i] === "\\") i++;
    } else if (c === "/" && text[i + 1] === "/") {
      for (; i < text.length && text[i] !== "\n"; i++) out[i] = " ";
    } else if (c === "/" && text[i + 1] === "*") {
      const end = text.indexOf("*/", i + 2);
      const stop = end < 0 ? text.length : end + 2;
      for (; i < stop; i++) if (text[i] !== "\n") out[i] = " ";
      i--;
    }
  }
  return out.join("");
}
