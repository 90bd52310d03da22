/**
 * Values and outputs. A node with one output is one value, named by its id; a
 * node of a multi-output op (an LSTM cell: h and c) is one value per output,
 * named "node:output" ("cell:h"). A reference in a node's "inputs" or in
 * "output" names a value; plain "cell" means the cell's first output.
 */
import type { Attrs, OpDef } from "../op.js";

/** The name of output `output` of node `id` (a multi-output node), or of its only output. */
export function valueName(id: string, output?: string): string {
  return output === undefined ? id : `${id}:${output}`;
}

/** "cell:h" → { node: "cell", output: "h" }; "fc" → { node: "fc" }. Ids never contain ':'. */
export function parseValueName(name: string): { node: string; output?: string } {
  const colon = name.indexOf(":");
  return colon < 0 ? { node: name } : { node: name.slice(0, colon), output: name.slice(colon + 1) };
}

/** The values a node produces: [id], or one "id:name" per output of a multi-output node. */
export function outputValuesOf(id: string, outputNames: readonly string[] | undefined): string[] {
  return outputNames ? outputNames.map((o) => valueName(id, o)) : [id];
}

/** Output names an op declares, for these attributes (undefined: one output); a problem in words, else. */
export function declaredOutputs(op: OpDef, attrs: Attrs): string[] | undefined {
  if (op.outputs === undefined) return undefined;
  return typeof op.outputs === "function" ? op.outputs(attrs) : op.outputs;
}

/** Names a multi-output op may not give an output: they would read as the `{ outputs, saved }` form. */
export const RESERVED_OUTPUT_NAMES: readonly string[] = ["outputs", "saved"];

/** What is wrong with a list of output names, or undefined. */
export function outputNamesProblem(names: unknown): string | undefined {
  if (!Array.isArray(names) || names.length === 0) return "outputs must be a non-empty array of names";
  const seen = new Set<string>();
  for (const n of names) {
    if (typeof n !== "string" || n === "") return `output names must be non-empty strings, got ${JSON.stringify(n)}`;
    if (/[.:]/.test(n)) return `output name '${n}' must not contain '.' or ':' (an output is read as "node:output")`;
    if (RESERVED_OUTPUT_NAMES.includes(n)) return `'${n}' cannot name an output (a forward returns { outputs, saved } to save values for backward)`;
    if (seen.has(n)) return `output '${n}' is named twice`;
    seen.add(n);
  }
  return undefined;
}
