/**
 * A seeded generator of hostile and broken network files, made by mutating
 * valid ones (examples/*.gradnet.json, examples/bench/*.json).
 *
 * Each case is: parse a seed network, apply one to three structural mutations
 * (drop or duplicate a key, a wrong type, a bad shape or attribute, a number
 * JSON cannot hold, deep nesting, a very long string, a unicode or reserved id,
 * a self-reference or cycle, huge values, another op), print it, then sometimes
 * damage the text itself (truncate, random byte edits). Same seed, same cases.
 *
 * The printer is our own so that it can write what JSON.stringify cannot:
 * duplicate keys and raw number text (`1e999`, `NaN`, `-0`, `0x10`).
 */
import { Rng } from "../../src/engine/random.js";
import { builtinOpNames } from "../../src/engine/ops/index.js";

/** Number (or other) text written verbatim. */
export class Raw {
  constructor(readonly text: string) {}
}

/** An object that may hold the same key twice. */
export class Pairs {
  constructor(readonly pairs: [string, Value][]) {}
}

export type Value = null | boolean | number | string | Raw | Pairs | Value[] | { [key: string]: Value };

export interface Seed {
  name: string;
  text: string;
  /** Relative chance of being picked (default 1): big networks are picked less, to keep the run short. */
  weight?: number;
}

export interface FuzzCase {
  /** Case number (the generator's own seed is derived from it). */
  index: number;
  seed: string;
  /** What was done, in order: "dropKey nodes[1].units", "truncate at 120", … */
  mutations: string[];
  bytes: Uint8Array;
}

type Path = (string | number)[];
type Mutation = (root: Value, rng: Rng) => string | undefined;

const isObject = (v: Value): v is { [key: string]: Value } =>
  typeof v === "object" && v !== null && !Array.isArray(v) && !(v instanceof Raw) && !(v instanceof Pairs);

/** Every path in the tree (the root is []), in a fixed order; not below 40 levels (deep values from an earlier mutation). */
function paths(v: Value, at: Path = [], out: Path[] = []): Path[] {
  out.push(at);
  if (at.length >= 40) return out;
  if (Array.isArray(v)) v.forEach((x, i) => paths(x, [...at, i], out));
  else if (isObject(v)) for (const [k, x] of Object.entries(v)) paths(x, [...at, k], out);
  return out;
}

function get(root: Value, path: Path): Value {
  let v: Value = root;
  for (const p of path) v = (v as Record<string | number, Value>)[p];
  return v;
}

function set(root: Value, path: Path, value: Value): void {
  const parent = get(root, path.slice(0, -1)) as Record<string | number, Value>;
  parent[path[path.length - 1]] = value;
}

const show = (path: Path) => path.map((p) => (typeof p === "number" ? `[${p}]` : `.${p}`)).join("").replace(/^\./, "") || "root";
const pick = <T>(rng: Rng, xs: readonly T[]): T => xs[rng.int(xs.length)];
const pathsWhere = (root: Value, f: (v: Value, p: Path) => boolean) => paths(root).filter((p) => f(get(root, p), p));

const BAD_NUMBERS = ["1e308", "-1e308", "1e999", "-1e999", "NaN", "Infinity", "-Infinity", "-0", "1e-400", "0x10", "01", "1.", ".5", "+1", "1e", "4.9e-324", "9007199254740993"];
const BAD_SIZES: Value[] = [-1, 0, 0.5, 2.5, -3, 1e9, 2 ** 31, 2 ** 53, 1e308, 16384, 1e6, new Raw("1e999"), new Raw("-0"), 1000];
const WEIRD_IDS = ["ü", "😀", "\u202eevil", "a\u0000b", "\ud800", "e\u0301", "__proto__", "constructor", "toString", "hasOwnProperty", "", " ", "a.b", "nodes", "x\ny", "<script>", "\"", "\\", "零", "\ufeffbom"];
const INT_ATTRS = ["units", "filters", "kernel", "stride", "padding", "classes", "axis", "seed"];
const EXTRA_ATTRS: [string, Value][] = [["axis", 5], ["axis", -9], ["slope", -1], ["bias", false], ["padding", 100], ["stride", 0], ["shape", [-1, 8]], ["shape", [0]], ["kernel", [2]], ["kernel", [1, 2, 3]], ["units", 0], ["eps", 0]];

function randomValue(rng: Rng, depth = 0): Value {
  switch (rng.int(depth > 2 ? 5 : 7)) {
    case 0: return null;
    case 1: return rng.uniform() < 0.5;
    case 2: return pick(rng, [0, -1, 1.5, 3, 1e308, -1e-300]);
    case 3: return pick(rng, ["", "4x3", "linear", "x", "😀"]);
    case 4: return new Raw(pick(rng, BAD_NUMBERS));
    case 5: return Array.from({ length: rng.int(4) }, () => randomValue(rng, depth + 1));
    default: return Object.fromEntries(Array.from({ length: rng.int(3) }, (_, i) => [`k${i}`, randomValue(rng, depth + 1)]));
  }
}

const typeOf = (v: Value) => (v === null ? "null" : Array.isArray(v) ? "array" : v instanceof Raw ? "raw" : typeof v);

const mutations: Record<string, Mutation> = {
  dropKey(root, rng) {
    const objects = pathsWhere(root, (v) => isObject(v) && Object.keys(v).length > 0);
    const at = pick(rng, objects);
    const obj = get(root, at) as Record<string, Value>;
    const key = pick(rng, Object.keys(obj));
    delete obj[key];
    return show([...at, key]);
  },
  duplicateKey(root, rng) {
    const objects = pathsWhere(root, (v, p) => isObject(v) && Object.keys(v).length > 0 && p.length > 0);
    if (!objects.length) return undefined;
    const at = pick(rng, objects);
    const entries = Object.entries(get(root, at) as Record<string, Value>);
    const [key, value] = pick(rng, entries);
    const twin: Value = rng.uniform() < 0.5 ? value : randomValue(rng);
    entries.splice(rng.int(entries.length + 1), 0, [key, twin]);
    set(root, at, new Pairs(entries));
    return show([...at, key]);
  },
  wrongType(root, rng) {
    const at = pick(rng, paths(root).filter((p) => p.length > 0));
    const old = get(root, at);
    let v = randomValue(rng);
    for (let tries = 0; typeOf(v) === typeOf(old) && tries < 5; tries++) v = randomValue(rng);
    set(root, at, v);
    return `${show(at)} = ${typeOf(v)}`;
  },
  badSize(root, rng) {
    const targets = pathsWhere(root, (v, p) => typeof v === "number" && (p.includes("shape") || INT_ATTRS.includes(String(p[p.length - 1]))));
    if (!targets.length) return undefined;
    const at = pick(rng, targets);
    const v = pick(rng, BAD_SIZES);
    set(root, at, v);
    return `${show(at)} = ${v instanceof Raw ? v.text : v}`;
  },
  badNumber(root, rng) {
    const targets = pathsWhere(root, (v) => typeof v === "number");
    if (!targets.length) return undefined;
    const at = pick(rng, targets);
    const text = pick(rng, BAD_NUMBERS);
    set(root, at, new Raw(text));
    return `${show(at)} = ${text}`;
  },
  hugeValues(root, rng) {
    // Finite but overflowing values in an input or a parameter: exp/softmax/mse meet Infinity.
    const inputs = get(root, ["inputs"]);
    if (!isObject(inputs)) return undefined;
    const name = pick(rng, Object.keys(inputs).concat(["?"]));
    const big = pick(rng, [1e308, -1e308, 1e200, 800, 1e-320]);
    const spec = inputs[name];
    if (!isObject(spec) || !Array.isArray(spec.shape) || spec.classes !== undefined) return undefined;
    const shape = spec.shape as number[];
    if (shape.some((d) => typeof d !== "number" || !Number.isInteger(d) || d < 1) || shape.reduce((a, b) => a * b, 1) > 4096) return undefined;
    const fill = (dims: number[]): Value => (dims.length ? Array.from({ length: dims[0] }, () => fill(dims.slice(1))) : rng.uniform() < 0.3 ? big : rng.normal());
    spec.values = fill(shape);
    return `inputs.${name}.values ~ ${big}`;
  },
  deepNesting(root, rng) {
    const at = pick(rng, paths(root).filter((p) => p.length > 0));
    const depth = pick(rng, [10, 100, 1000, 20000]);
    const asObject = rng.uniform() < 0.5;
    let v: Value = 1;
    for (let i = 0; i < depth; i++) v = asObject ? { a: v } : [v];
    set(root, at, v);
    return `${show(at)} nested ${depth} deep (${asObject ? "objects" : "arrays"})`;
  },
  longString(root, rng) {
    const length = pick(rng, [1000, 200000]);
    const unit = pick(rng, ["a", "😀", "\\", "\u0301", "\""]);
    const s = unit.repeat(Math.ceil(length / unit.length));
    const strings = pathsWhere(root, (v) => typeof v === "string");
    if (rng.uniform() < 0.5 && strings.length) {
      const at = pick(rng, strings);
      set(root, at, s);
      return `${show(at)} = ${length} × ${JSON.stringify(unit)}`;
    }
    const objects = pathsWhere(root, (v) => isObject(v));
    const at = pick(rng, objects);
    (get(root, at) as Record<string, Value>)[s] = 1;
    return `${show(at)} gets a key of ${length} × ${JSON.stringify(unit)}`;
  },
  weirdId(root, rng) {
    // Rename a node or an input, everywhere (consistent) or only where it is defined.
    const id = pick(rng, WEIRD_IDS);
    const everywhere = rng.uniform() < 0.6;
    const nodes = get(root, ["nodes"]);
    const inputs = get(root, ["inputs"]);
    const names: string[] = [];
    if (Array.isArray(nodes)) for (const n of nodes) if (isObject(n) && typeof n.id === "string") names.push(n.id);
    if (isObject(inputs)) names.push(...Object.keys(inputs));
    if (!names.length) return undefined;
    const old = pick(rng, names);
    const rename = (v: Value): Value => {
      if (v === old) return id;
      if (Array.isArray(v)) return v.map(rename);
      if (isObject(v)) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k === old && everywhere ? id : k, rename(x)]));
      return v;
    };
    if (everywhere) {
      const renamed = rename(root) as Record<string, Value>;
      for (const k of Object.keys(root as object)) delete (root as Record<string, Value>)[k];
      Object.assign(root as object, renamed);
    } else if (Array.isArray(nodes) && nodes.some((n) => isObject(n) && n.id === old)) {
      for (const n of nodes) if (isObject(n) && n.id === old) n.id = id;
    } else if (isObject(inputs)) {
      set(root, ["inputs"], new Pairs(Object.entries(inputs).map(([k, x]) => [k === old ? id : k, x])));
    }
    return `${JSON.stringify(old)} → ${JSON.stringify(id)}${everywhere ? " everywhere" : " at its definition"}`;
  },
  selfReference(root, rng) {
    const nodes = get(root, ["nodes"]);
    if (!Array.isArray(nodes) || nodes.length === 0) return undefined;
    const i = rng.int(nodes.length);
    const node = nodes[i];
    if (!isObject(node)) return undefined;
    const ids = nodes.map((n) => (isObject(n) ? n.id : undefined)).filter((x): x is string => typeof x === "string");
    switch (rng.int(4)) {
      case 0:
        node.inputs = [node.id ?? "x"];
        return `nodes[${i}] takes itself`;
      case 1: {
        // A cycle through a later node.
        const later = ids[ids.length - 1];
        node.inputs = [later];
        return `nodes[${i}] takes ${later}`;
      }
      case 2:
        (root as Record<string, Value>).output = pick(rng, [...Object.keys((get(root, ["inputs"]) as object) ?? {}), "nope", ""]);
        return "output points at an input or nowhere";
      default:
        node.inputs = [node.id ?? "x", node.id ?? "x"];
        return `nodes[${i}] takes itself twice`;
    }
  },
  otherOp(root, rng) {
    const ops = pathsWhere(root, (v, p) => p[0] === "nodes" && p[p.length - 1] === "op");
    if (!ops.length) return undefined;
    const at = pick(rng, ops);
    const op = pick(rng, builtinOpNames);
    set(root, at, op);
    return `${show(at)} = ${op}`;
  },
  extraAttr(root, rng) {
    const nodes = pathsWhere(root, (v, p) => p.length === 2 && p[0] === "nodes" && isObject(v));
    if (!nodes.length) return undefined;
    const at = pick(rng, nodes);
    const [key, value] = pick(rng, EXTRA_ATTRS);
    (get(root, at) as Record<string, Value>)[key] = value;
    return `${show(at)}.${key} = ${JSON.stringify(value)}`;
  },
  opsEntry(root, rng) {
    // A JSON network's custom ops map, pointing nowhere useful: refused at the entry, nothing run.
    const target: Value = pick(rng, ["./nope.ts#x", "/etc/passwd#x", "", "#", "./x.ts#__proto__", "../../../../x.ts#y", "layers.ts", "./😀.ts#😀", 5, null, ["./a.ts#b"]]);
    const name = pick(rng, ["m", "linear", "__proto__", ""]);
    (root as Record<string, Value>).ops = { [name]: target };
    const nodes = get(root, ["nodes"]);
    if (Array.isArray(nodes) && nodes.length && isObject(nodes[0]) && rng.uniform() < 0.5) nodes[0].op = name;
    return `ops.${JSON.stringify(name)} = ${JSON.stringify(target)}`;
  },
  manyNodes(root, rng) {
    // A long chain of cheap nodes on a small input of its own, listed in reverse
    // (each node refers to a later one): deep graphs, a deep topological sort.
    const nodes = get(root, ["nodes"]);
    const inputs = get(root, ["inputs"]);
    if (!Array.isArray(nodes) || !isObject(inputs)) return undefined;
    const count = pick(rng, [50, 500, 2000]);
    inputs.chainIn = { shape: [2, 2] };
    const chain: Value[] = Array.from({ length: count }, (_, k) => ({
      id: `chain${k}`, op: pick(rng, ["tanh", "relu", "sigmoid", "exp"]), inputs: [k === count - 1 ? "chainIn" : `chain${k + 1}`],
    }));
    nodes.splice(rng.int(nodes.length), 0, ...chain);
    return `${count} chained nodes in reverse order`;
  },
};

const MUTATION_NAMES = Object.keys(mutations);
/** Mutations that often leave a valid network: a third of the cases use only these, so the check itself runs on odd networks. */
const SOFT_MUTATIONS = ["otherOp", "extraAttr", "hugeValues", "manyNodes", "weirdId", "badSize"];

/** Text-level damage: truncation and random byte edits (which may make invalid UTF-8). */
function damage(bytes: Uint8Array, rng: Rng, log: string[]): Uint8Array {
  if (rng.uniform() < 0.12) {
    const at = rng.int(bytes.length + 1);
    log.push(`truncate at byte ${at} of ${bytes.length}`);
    bytes = bytes.slice(0, at);
  }
  if (rng.uniform() < 0.15) {
    const out = Array.from(bytes);
    const edits = 1 + rng.int(5);
    for (let e = 0; e < edits; e++) {
      const at = rng.int(out.length + 1);
      const byte = rng.uniform() < 0.5 ? rng.int(256) : "{}[]\",:0-.e \n\\/*".charCodeAt(rng.int(17));
      const kind = rng.int(3);
      if (kind === 0) out.splice(at, 0, byte);
      else if (kind === 1) out.splice(at, 1);
      else out[at] = byte;
      log.push(`byte ${["insert", "delete", "replace"][kind]} 0x${byte.toString(16)} at ${at}`);
    }
    bytes = Uint8Array.from(out);
  }
  if (rng.uniform() < 0.02) {
    log.push("UTF-8 byte order mark");
    bytes = Uint8Array.from([0xef, 0xbb, 0xbf, ...bytes]);
  }
  return bytes;
}

/** JSON text of a value (pretty, two spaces), writing Raw and Pairs as they are. */
export function print(v: Value, indent = ""): string {
  if (v instanceof Raw) return v.text;
  if (v === null || typeof v !== "object") return JSON.stringify(v);
  const inner = indent + "  ";
  // Deep structures are printed flat (no indentation growing with depth).
  const flat = indent.length > 40;
  const nl = flat ? "" : "\n";
  const pad = flat ? "" : inner;
  const close = flat ? "" : indent;
  if (Array.isArray(v)) return v.length ? `[${nl}${v.map((x) => pad + print(x, inner)).join("," + nl)}${nl}${close}]` : "[]";
  const pairs = v instanceof Pairs ? v.pairs : Object.entries(v);
  return pairs.length ? `{${nl}${pairs.map(([k, x]) => `${pad}${JSON.stringify(k)}: ${print(x, inner)}`).join("," + nl)}${nl}${close}}` : "{}";
}

/** Iterative printer for very deep values (the recursive one would overflow the stack). */
function printDeep(v: Value): string | undefined {
  let depth = 0;
  let probe: Value = v;
  while ((Array.isArray(probe) && probe.length === 1) || (isObject(probe) && Object.keys(probe).length === 1 && "a" in probe)) {
    probe = Array.isArray(probe) ? probe[0] : (probe as { a: Value }).a;
    depth++;
  }
  if (depth < 500) return undefined;
  const opener = Array.isArray(v) ? "[" : '{"a":';
  const closer = Array.isArray(v) ? "]" : "}";
  return opener.repeat(depth) + print(probe) + closer.repeat(depth);
}

function printTop(root: Value): string {
  // Deeply nested values are first replaced by a placeholder, printed iteratively, then spliced in.
  const deep: string[] = [];
  const swap = (v: Value): Value => {
    const flat = printDeep(v);
    if (flat !== undefined) {
      deep.push(flat);
      return new Raw(`\u0000DEEP${deep.length - 1}\u0000`);
    }
    if (Array.isArray(v)) return v.map(swap);
    if (v instanceof Pairs) return new Pairs(v.pairs.map(([k, x]) => [k, swap(x)]));
    if (isObject(v)) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, swap(x)]));
    return v;
  };
  return print(swap(root)).replace(/\u0000DEEP(\d+)\u0000/g, (_, i) => deep[Number(i)]) + "\n";
}

export function generateCase(seeds: readonly Seed[], index: number, fuzzSeed = 1): FuzzCase {
  const rng = new Rng((Math.imul(fuzzSeed, 0x9e3779b1) ^ index) >>> 0);
  const total = seeds.reduce((a, x) => a + (x.weight ?? 1), 0);
  let r = rng.uniform() * total;
  const seed = seeds.find((x) => (r -= x.weight ?? 1) < 0) ?? seeds[seeds.length - 1];
  const root = JSON.parse(seed.text) as Value;
  const log: string[] = [];
  const soft = rng.uniform() < 1 / 3;
  const count = 1 + rng.int(3);
  for (let m = 0; m < count; m++) {
    const name = pick(rng, soft ? SOFT_MUTATIONS : MUTATION_NAMES);
    try {
      const what = mutations[name](root, rng);
      if (what !== undefined) log.push(`${name} ${what}`);
    } catch {
      // A mutation that no longer fits the (already mutated) tree is skipped.
    }
  }
  let bytes: Uint8Array = new TextEncoder().encode(printTop(root));
  if (!soft) bytes = damage(bytes, rng, log);
  return { index, seed: seed.name, mutations: log, bytes };
}
