/**
 * Where an error in the user's own code happened, in the user's own file.
 *
 * The TypeScript loader registers each bundle it runs (the name it ran under
 * and a mapper from bundle positions to the user's source positions); an
 * error's stack is searched for the first frame in such a bundle. `defineOp`
 * registers where each custom op was defined, so that a bad value returned by
 * an op's backward (reported by the engine after the user's code returned, so
 * with no user frame on the stack) still points into the user's file.
 */
import type { ErrorLocation } from "../shared/result.js";

export type PositionMapper = (line: number, column: number) => ErrorLocation | undefined;

const bundles = new Map<string, PositionMapper>();
/** The code each bundle ran (the text after the wrapper's first line), to find a function's source in. */
const bundleCode = new Map<string, { code: string; headerLines: number; lineStarts?: number[] }>();
const opLocations = new Map<string, ErrorLocation>();
const backwardLocations = new WeakMap<object, ErrorLocation>();

/** Bundles remembered at once: a long-lived host that reloads a network many times keeps the latest. */
const MAX_BUNDLES = 64;

/** `code`: the bundle's text as run (after `headerLines` lines of wrapper), so a function's source can be found in it. */
export function registerUserBundle(runName: string, mapper: PositionMapper, code?: string, headerLines = 1): void {
  bundles.set(runName, mapper);
  if (code !== undefined) bundleCode.set(runName, { code, headerLines });
  if (bundles.size > MAX_BUNDLES) {
    const oldest = bundles.keys().next().value!;
    bundles.delete(oldest);
    bundleCode.delete(oldest);
  }
}

/**
 * Where a user function is written in the user's source: its text
 * (`fn.toString()` is the bundle's text of it, verbatim) found in the bundle
 * it came from, mapped through the source map. With several identical
 * functions, the first at or after `near` (the op's defineOp line) in the same
 * file, else the first. Undefined for a function not in any bundle (native,
 * bound, made by `new Function`).
 */
export function locateUserFunction(fn: unknown, near?: ErrorLocation): ErrorLocation | undefined {
  if (typeof fn !== "function") return undefined;
  let text: string;
  try {
    text = Function.prototype.toString.call(fn);
  } catch {
    return undefined;
  }
  if (text.length < 8 || text.includes("[native code]")) return undefined;
  const found: ErrorLocation[] = [];
  for (const [runName, e] of [...bundleCode].reverse()) {
    const mapper = bundles.get(runName);
    if (!mapper) continue;
    for (let at = e.code.indexOf(text); at >= 0 && found.length < 16; at = e.code.indexOf(text, at + 1)) {
      e.lineStarts ??= lineStartsOf(e.code);
      const line = lastAtMost(e.lineStarts, at);
      const location = mapper(line + 1 + e.headerLines, at - e.lineStarts[line] + 1);
      if (location) found.push(location);
    }
    if (found.length) break;
  }
  if (found.length <= 1 || !near) return found[0];
  const after = found.filter((l) => l.file === near.file && l.line >= near.line).sort((a, b) => a.line - b.line || a.column - b.column);
  return after[0] ?? found[0];
}

function lineStartsOf(code: string): number[] {
  const starts = [0];
  for (let i = 0; i < code.length; i++) if (code.charCodeAt(i) === 10) starts.push(i + 1);
  return starts;
}

/** The largest index k with sorted[k] ≤ x. */
function lastAtMost(sorted: number[], x: number): number {
  let lo = 0, hi = sorted.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (sorted[mid] <= x) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

/** Where an op's backward (or jacobian) is written; set by defineOp. */
export function registerBackwardLocation(op: object, location: ErrorLocation): void {
  backwardLocations.set(op, location);
}

/** Where the user op's backward (or jacobian) is written, for a node report's backwardLocation. */
export function backwardLocationOf(op: { backward?: unknown; jacobian?: unknown; builtin?: boolean }): ErrorLocation | undefined {
  if (op.builtin) return undefined;
  return backwardLocations.get(op) ?? locateUserFunction(op.backward ?? op.jacobian);
}

/** Where the custom op `name` was defined (the line of its defineOp call). */
export function registerUserOp(name: string, location: ErrorLocation): void {
  opLocations.set(name, location);
}

export function userOpLocation(name: string): ErrorLocation | undefined {
  return opLocations.get(name);
}

/** The first user-code frame of a stack, mapped to the user's file. */
function firstUserFrame(stack: string): ErrorLocation | undefined {
  for (const line of stack.split("\n")) {
    for (const [runName, mapper] of bundles) {
      const at = line.lastIndexOf(runName + ":");
      if (at < 0) continue;
      const m = /^:(\d+):(\d+)/.exec(line.slice(at + runName.length));
      if (!m) continue;
      const location = mapper(Number(m[1]), Number(m[2]));
      if (location) return location;
    }
  }
  return undefined;
}

const contexts = new WeakMap<object, { text: string; op: string }>();

/**
 * Remember which user function an exception came out of ("in the backward of
 * op 'mySoftmax'"). A thrown non-object (`throw "oops"`) cannot carry that, so
 * it comes back as an Error to throw instead.
 */
export function tagUserError(e: unknown, step: string, op: string): unknown {
  const text = `in ${step} of op '${op}'`;
  if (typeof e === "object" && e !== null) {
    if (!contexts.has(e)) contexts.set(e, { text, op });
    return e;
  }
  const wrapped = new Error(`threw ${typeof e === "string" ? JSON.stringify(e) : String(e)}, not an Error`);
  contexts.set(wrapped, { text, op });
  return wrapped;
}

/** Where user code called the function that calls this (e.g. the line of a `defineOp(...)`). */
export function locateUserCaller(): ErrorLocation | undefined {
  if (bundles.size === 0) return undefined;
  const holder: { stack?: string } = {};
  Error.captureStackTrace(holder, locateUserCaller);
  return firstUserFrame(String(holder.stack ?? ""));
}

/** Errors thrown while user code runs; undefined when the error did not come from user code. */
export function describeUserError(e: unknown): { message: string; location?: ErrorLocation } | undefined {
  if (!(e instanceof Error) && !(typeof e === "object" && e !== null && "stack" in e)) {
    return bundles.size > 0 && e !== undefined ? { message: `user code threw ${typeof e === "string" ? JSON.stringify(e) : String(e)} (not an Error)` } : undefined;
  }
  const err = e as Error;
  const context = contexts.get(err);
  const message = `${context ? context.text + ": " : ""}${err.name && err.name !== "Error" ? err.name + ": " : ""}${err.message}`;
  // The engine's complaint about a value an op returned: "<node> (<op>): …".
  if (err.name === "UserOpError") {
    const op = /^\S+ \((.+?)\): /.exec(err.message)?.[1];
    const location = op !== undefined ? opLocations.get(op) : undefined;
    return { message: err.message, ...(location ? { location } : {}) };
  }
  // No frame of the user's on the stack (a thrown string): the op's defineOp line.
  const location = firstUserFrame(String(err.stack ?? "")) ?? (context ? opLocations.get(context.op) : undefined);
  return location ? { message, location } : context ? { message } : undefined;
}
