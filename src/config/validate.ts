/**
 * Schema validation of a parsed network, in people's words.
 *
 * ajv's validator of gradnet.schema.json (the same file VS Code uses), compiled
 * ahead of time into gradnet.validate.js by `npm run gen-schema`, checks the value.
 * Its raw errors ("must be >= 1") become "nodes[2].units must be a positive
 * integer, got -3", each with the path of the value (or key) at fault.
 */
import type { ErrorObject } from "ajv";
import type { SpecPath } from "../engine/network.js";
import { nearest } from "../engine/suggest.js";
import validateNetwork from "./schema/gradnet.validate.js";

export interface SpecProblem {
  message: string;
  path: SpecPath;
  target: "value" | "key";
}

/** "nodes[2].units", "inputs.x.shape[0]", or "the network" for the root. */
export function formatPath(path: SpecPath): string {
  let out = "";
  for (const p of path) {
    if (typeof p === "number") out += `[${p}]`;
    else if (/^[A-Za-z_$][\w$]*$/.test(p)) out += out ? `.${p}` : p;
    else out += `[${JSON.stringify(p)}]`;
  }
  return out || "the network";
}

/** A short rendering of the offending value: `-3`, `"3"`, `[1, 2]`, `an object`. */
export function describeValue(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) {
    const s = JSON.stringify(v).replace(/,/g, ", ");
    return s.length <= 30 ? s : `an array of ${v.length}`;
  }
  if (typeof v === "object") return "an object";
  if (typeof v === "number" && !Number.isFinite(v)) return String(v);
  const s = JSON.stringify(v);
  return s.length <= 30 ? s : s.slice(0, 27) + "…" + s[0];
}

function toPath(instancePath: string): SpecPath {
  if (!instancePath) return [];
  return instancePath
    .slice(1)
    .split("/")
    .map((s) => s.replace(/~1/g, "/").replace(/~0/g, "~"))
    .map((s) => (/^(0|[1-9]\d*)$/.test(s) ? Number(s) : s));
}

const quoted = (s: string) => `'${s}'`;

/** Every schema problem of a parsed network, at most one per value (the loader sorts them by position). */
export function schemaProblems(value: unknown): SpecProblem[] {
  if (validateNetwork(value)) return [];
  // "if" and "propertyNames" only echo the errors of their subschemas.
  const errors = (validateNetwork.errors ?? []).filter((e) => e.keyword !== "if" && e.keyword !== "propertyNames");
  // An anyOf reports its own failure and each branch's: keep the anyOf only.
  const anyOfs = errors.filter((e) => e.keyword === "anyOf");
  const kept = errors.filter(
    (e) => e.keyword === "anyOf" || !anyOfs.some((a) => e.schemaPath.startsWith(a.schemaPath + "/") && (e.instancePath + "/").startsWith(a.instancePath + "/")),
  );
  // "unit" where "units" is required is one mistake, not two: keep only the unknown key, which suggests the fix.
  const misspelt = new Set<string>();
  for (const e of kept) {
    if (e.keyword !== "additionalProperties") continue;
    const allowed = Object.keys(((e.parentSchema as { properties?: object }).properties) ?? {});
    const suggestion = nearest(String((e.params as { additionalProperty: string }).additionalProperty), allowed);
    if (suggestion) misspelt.add(`${e.instancePath}|${suggestion}`);
  }
  const problems: SpecProblem[] = [];
  const seen = new Set<string>();
  // At one path, a wrong type is the root cause of anything else said about the value.
  const ordered = [...kept.filter((e) => e.keyword === "type"), ...kept.filter((e) => e.keyword !== "type")];
  for (const e of ordered) {
    if (e.keyword === "required" && misspelt.has(`${e.instancePath}|${(e.params as { missingProperty: string }).missingProperty}`)) continue;
    const problem = translate(e, value);
    const key = JSON.stringify(problem.path) + problem.target;
    if (seen.has(key)) continue;
    seen.add(key);
    problems.push(problem);
  }
  return problems;
}

function translate(e: ErrorObject, root: unknown): SpecProblem {
  const path = toPath(e.instancePath);
  const where = formatPath(path);
  const parent = (e.parentSchema ?? {}) as Record<string, unknown>;
  const custom = typeof parent.errorMessage === "string" ? parent.errorMessage : undefined;
  const params = e.params as Record<string, unknown>;
  if (e.propertyName !== undefined) {
    return { message: `${where}: name '${e.propertyName}' ${custom ?? e.message}`, path: [...path, e.propertyName], target: "key" };
  }
  switch (e.keyword) {
    case "required": {
      const missing = String(params.missingProperty);
      const what = path.length === 0 ? "the network" : where;
      const op = path.length === 2 ? opOf(root, path) : undefined;
      const detail = op && missing !== "id" && missing !== "op" ? ` (${op} needs it)` : "";
      return { message: `${what} is missing ${quoted(missing)}${detail}`, path, target: "value" };
    }
    case "additionalProperties": {
      const extra = String(params.additionalProperty);
      const allowed = Object.keys((parent.properties as object | undefined) ?? {});
      const suggestion = nearest(extra, allowed);
      const op = opOf(root, path);
      const extraPath = [...path, extra];
      if (path.length === 2 && path[0] === "nodes" && op) {
        const attrs = allowed.filter((k) => !["id", "op", "inputs", "params", "group"].includes(k));
        const hint = suggestion ? `; did you mean ${quoted(suggestion)}?` : attrs.length ? ` (it takes: ${attrs.join(", ")})` : " (it takes none)";
        return { message: `${where}: unknown attribute ${quoted(extra)} for op ${quoted(op)}${hint}`, path: extraPath, target: "key" };
      }
      if (path.length === 3 && path[0] === "nodes" && path[2] === "params" && op) {
        const hint = suggestion ? `; did you mean ${quoted(suggestion)}?` : allowed.length ? ` (it has: ${allowed.join(", ")})` : " (it has none)";
        return { message: `${where}: unknown parameter ${quoted(extra)} for op ${quoted(op)}${hint}`, path: extraPath, target: "key" };
      }
      const hint = suggestion ? `; did you mean ${quoted(suggestion)}?` : allowed.length ? `; expected one of ${allowed.map(quoted).join(", ")}` : "";
      const prefix = path.length ? `${where}: ` : "";
      return { message: `${prefix}unknown key ${quoted(extra)}${hint}`, path: extraPath, target: "key" };
    }
    case "anyOf": {
      // "one of these keys is required" (an input's shape or values), else the schema's own words (a param's value).
      const branches = (e.schema as { required?: string[] }[]).map((b) => b.required?.[0] ?? "");
      if (branches.every(Boolean)) return { message: `${where} needs ${branches.map(quoted).join(" or ")}`, path, target: "value" };
      return { message: `${where} ${custom ?? "is not valid"}, got ${describeValue(e.data)}`, path, target: "value" };
    }
    case "enum": {
      const allowed = (params.allowedValues as unknown[]).map(String);
      const got = e.data;
      if (path[0] === "nodes" && path[path.length - 1] === "op" && typeof got === "string") {
        const suggestion = nearest(got, allowed);
        const hint = suggestion
          ? `; did you mean ${quoted(suggestion)}?`
          : `; built-in ops are ${allowed.join(", ")} (a custom op needs an "ops" entry)`;
        return { message: `${where}: unknown op ${quoted(got)}${hint}`, path, target: "value" };
      }
      return { message: `${where} must be one of ${allowed.map(quoted).join(", ")}, got ${describeValue(got)}`, path, target: "value" };
    }
    case "minProperties":
    case "minItems":
    case "maxItems": {
      const count = Array.isArray(e.data) ? e.data.length : Object.keys(e.data as object).length;
      if (count === 0 && path.length === 1) {
        return { message: `${where} is empty: a network needs at least one ${path[0] === "nodes" ? "node" : "input"}`, path, target: "value" };
      }
      if (custom && path[path.length - 1] === "inputs" && Array.isArray(e.data)) {
        return { message: `${where}: ${custom}, got ${count}`, path, target: "value" };
      }
      return { message: `${where} ${custom ?? e.message}, got ${describeValue(e.data)}`, path, target: "value" };
    }
    default:
      return { message: `${where} ${custom ?? e.message}, got ${describeValue(e.data)}`, path, target: "value" };
  }
}

/** The op name of the node a path is inside, if the path is under nodes[i]. */
function opOf(root: unknown, path: SpecPath): string | undefined {
  if (path[0] !== "nodes" || typeof path[1] !== "number") return undefined;
  const node = (root as { nodes?: unknown[] }).nodes?.[path[1]] as { op?: unknown } | undefined;
  return typeof node?.op === "string" ? node.op : undefined;
}
