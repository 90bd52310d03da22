/**
 * The one place where the engine calls a user op's forward, backward or
 * jacobian (and their batch hooks): every tensor the op is handed — its inputs,
 * parameters, its own output, the upstream gradient, what it saved — is a copy,
 * compared with the original after the call. So a user's in-place write (a
 * common speed trick: `a.data[i] = da`) never corrupts the forward pass's
 * cached values, and it is reported at the op that did it (kind
 * `mutates-input`) instead of showing up downstream as a kink.
 *
 * Built-in ops are trusted: they are called directly, with no copies (the
 * bench networks are built-in ops only).
 *
 * A caller that wants to hear about mutations opens a watch (`watchUserOps`)
 * around its run; the first mutation of each node is kept. The engine is
 * synchronous, so one watch is open at a time (a nested watch is restored
 * when it stops).
 */
import type { OpDef } from "../op.js";
import { unravel } from "../tensor.js";

export type UserStep = "forward" | "backward" | "jacobian";

/** A user op caught writing into a tensor it was handed. */
export interface Mutation {
  node: string;
  op: string;
  step: UserStep;
  /** The tensor in words: "its input 'e' (input 1)", "its parameter W", "its own output", "the upstream gradient gradOutput". */
  tensor: string;
  /** The entry that changed first (multi-index into that tensor). */
  index: number[];
  before: number;
  after: number;
}

export interface Watch {
  /** The first mutation of each node, by node id. */
  mutations: Map<string, Mutation>;
  stop(): void;
}

let current: Map<string, Mutation> | undefined;

/** Start recording the mutations user ops make; `stop()` ends it (and restores an outer watch). */
export function watchUserOps(): Watch {
  const outer = current;
  const mutations = new Map<string, Mutation>();
  current = mutations;
  return { mutations, stop: () => void (current = outer) };
}

/** What a guarded call needs to know of its node (a graph node, or the local check's view of one). */
export interface GuardedNode {
  id: string;
  op: OpDef;
  /** Input names, for messages ("its input 'e'"); positions are named when absent. */
  inputs?: readonly string[];
}

/** One typed array handed to the op: the original, the copy the op got, and where it sits. */
interface Handed {
  path: (string | number)[];
  original: ArrayLike<number>;
  copy: ArrayLike<number>;
  shape?: readonly number[];
}

/**
 * Call `call(ctx)` for a user op with every tensor in ctx copied, and record a
 * write into any of them. Built-in ops: `call(ctx)` as is.
 */
export function callUserOp<C extends object, R>(node: GuardedNode, step: UserStep, ctx: C, call: (ctx: C) => R): R {
  if (node.op.builtin) return call(ctx);
  const handed: Handed[] = [];
  const copied = {} as C;
  for (const [key, value] of Object.entries(ctx)) {
    // attrs are the node's configuration and rng a generator: handed as they are.
    (copied as Record<string, unknown>)[key] = key === "attrs" || key === "rng" ? value : copyValue(value, [key], handed, 0);
  }
  const result = call(copied);
  if (current && !current.has(node.id)) {
    const m = firstChange(handed);
    if (m) current.set(node.id, { node: node.id, op: node.op.name, step, tensor: describePath(m.path, node), index: m.index, before: m.before, after: m.after });
  }
  return result;
}

const MAX_DEPTH = 5;

function isPlainObject(v: object): boolean {
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

/** A deep copy of the plain data in `v` (arrays, plain objects, typed arrays); anything else is passed as it is. */
function copyValue(v: unknown, path: (string | number)[], handed: Handed[], depth: number): unknown {
  if (typeof v !== "object" || v === null || depth > MAX_DEPTH) return v;
  if (ArrayBuffer.isView(v) && !(v instanceof DataView)) {
    const typed = v as unknown as { slice(): ArrayLike<number>; length: number } & ArrayLike<number>;
    const copy = typed.slice();
    handed.push({ path, original: typed, copy });
    return copy;
  }
  if (Array.isArray(v)) return v.map((x, i) => copyValue(x, [...path, i], handed, depth + 1));
  if (!isPlainObject(v)) return v;
  const out: Record<string, unknown> = {};
  const shape = (v as { shape?: unknown }).shape;
  for (const [k, x] of Object.entries(v)) out[k] = copyValue(x, [...path, k], handed, depth + 1);
  // A tensor's data: remember its shape to name the entry.
  if (Array.isArray(shape)) for (const h of handed) if (h.path.length === path.length + 1 && h.path[path.length] === "data" && pathStartsWith(h.path, path)) h.shape = shape as number[];
  return out;
}

function pathStartsWith(p: (string | number)[], prefix: (string | number)[]): boolean {
  return prefix.every((x, i) => p[i] === x);
}

function same(a: number, b: number): boolean {
  return a === b || (Number.isNaN(a) && Number.isNaN(b));
}

function firstChange(handed: Handed[]): { path: (string | number)[]; index: number[]; before: number; after: number } | undefined {
  for (const h of handed) {
    const n = Math.min(h.original.length, h.copy.length);
    for (let i = 0; i < n; i++) {
      if (!same(h.original[i], h.copy[i]))
        return { path: h.path, index: h.shape && h.shape.length ? unravel(i, h.shape as number[]) : [i], before: h.original[i], after: h.copy[i] };
    }
  }
  return undefined;
}

/** ["inputs", 0, "data"] → "its input 'e' (input 1)", and so on. */
function describePath(path: (string | number)[], node: GuardedNode): string {
  const [head, key, ...rest] = path;
  const inner = rest.filter((p) => p !== "data");
  const suffix = inner.length ? ` (${inner.join(".")})` : "";
  switch (head) {
    case "inputs": {
      const k = Number(key);
      const name = node.inputs?.[k];
      return `its input ${name && !name.startsWith("#") ? `'${name}'` : `${k + 1}`}${suffix}`;
    }
    case "params":
      return `its parameter ${String(key)}${suffix}`;
    case "output":
      return "its own output (what its forward returned)";
    case "outputs":
      return `its own output ${String(key)}${suffix}`;
    case "gradOutput":
      return "the upstream gradient gradOutput";
    case "gradOutputs":
      return `the upstream gradient gradOutputs.${String(key)}${suffix}`;
    case "saved":
      return `what its forward saved (saved${path.slice(1).filter((p) => p !== "data").map((p) => (typeof p === "number" ? `[${p}]` : `.${p}`)).join("")})`;
    default:
      return `the ${path.filter((p) => p !== "data").join(".")} it was handed`;
  }
}
