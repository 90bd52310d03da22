/** A node's attributes, checked against its op's schema; defaults filled in. */
import type { Attrs, AttrSpec, OpDef } from "../op.js";
import { NetworkError, type NodeSpec, type SpecPath } from "../network.js";
import { didYouMean } from "../suggest.js";
import { short } from "./spec-values.js";

/** Keys of a node that are not attributes. */
const RESERVED = new Set(["id", "op", "inputs", "params", "group"]);

export function buildAttrs(op: OpDef, node: NodeSpec, i: number): Attrs {
  const specs = op.attrs ?? {};
  const attrs: Attrs = {};
  for (const [key, value] of Object.entries(node)) {
    if (RESERVED.has(key)) continue;
    const spec = specs[key];
    if (!spec) {
      if (!op.builtin && !op.attrs) {
        attrs[key] = value; // custom op without a declared schema takes any attribute
        continue;
      }
      const known = Object.keys(specs);
      throw new NetworkError(`unknown attribute '${key}' for ${op.name}${didYouMean(key, known)}${known.length ? ` (it takes: ${known.join(", ")})` : " (it takes none)"}`, ["nodes", i, key], "key");
    }
    checkAttr(op, spec, value, ["nodes", i, key]);
    attrs[key] = value;
  }
  for (const [key, spec] of Object.entries(specs)) {
    if (attrs[key] !== undefined) continue;
    if (spec.required) throw new NetworkError(`${op.name} needs the attribute "${key}" (${spec.doc})`, ["nodes", i]);
    if (spec.default !== undefined) attrs[key] = spec.default;
  }
  return attrs;
}

/** `path` ends with the attribute's key. */
function checkAttr(op: OpDef, spec: AttrSpec, v: unknown, path: SpecPath): void {
  const key = path[path.length - 1];
  const inRange = (x: number) => (spec.min === undefined || x >= spec.min) && (spec.max === undefined || (spec.maxExclusive ? x < spec.max : x <= spec.max));
  const isInt = (x: unknown) => typeof x === "number" && Number.isInteger(x) && inRange(x);
  const isString = (x: unknown) => typeof x === "string" && x !== "" && (spec.oneOf === undefined || spec.oneOf.includes(x));
  const bound = intBound(spec);
  let ok: boolean;
  let want: string;
  switch (spec.type) {
    case "int": ok = isInt(v); want = bound; break;
    case "number": ok = typeof v === "number" && Number.isFinite(v) && inRange(v); want = numberBound(spec); break;
    case "bool": ok = typeof v === "boolean"; want = "true or false"; break;
    case "int[]": ok = Array.isArray(v) && v.every(isInt); want = `an array of ${bound.replace(/^an? /, "")}s`; break;
    case "int|int[]": ok = isInt(v) || (Array.isArray(v) && v.length > 0 && v.every(isInt)); want = `${bound} or an array of them`; break;
    case "string": ok = isString(v); want = stringWant(spec); break;
    case "string[]": ok = Array.isArray(v) && v.length > 0 && v.every(isString); want = `a non-empty array of ${spec.oneOf ? `strings from ${spec.oneOf.map((s) => JSON.stringify(s)).join(", ")}` : "non-empty strings"}`; break;
  }
  if (!ok) throw new NetworkError(`${op.name} attribute "${key}" must be ${want}, got ${short(v)}`, path);
}

function intBound(spec: AttrSpec): string {
  if (spec.max !== undefined) return `an integer in ${rangeText(spec)}`;
  return spec.min !== undefined ? (spec.min === 1 ? "a positive integer" : `an integer ≥ ${spec.min}`) : "an integer";
}

function numberBound(spec: AttrSpec): string {
  if (spec.max !== undefined) return `a number in ${rangeText(spec)}`;
  return spec.min !== undefined ? `a number ≥ ${spec.min}` : "a number";
}

/** "[0, 1)", "(−∞, 5]" */
function rangeText(spec: AttrSpec): string {
  return `${spec.min === undefined ? "(−∞" : `[${spec.min}`}, ${spec.max}${spec.maxExclusive ? ")" : "]"}`;
}

function stringWant(spec: AttrSpec): string {
  return spec.oneOf ? `one of ${spec.oneOf.map((s) => JSON.stringify(s)).join(", ")}` : "a non-empty string";
}
