/**
 * The name of a tensor that can be differentiated: `"<node>.<param>"` for a
 * node's parameter, or the input's id. Reports (`gradients[].name`), `gradlens
 * grads` and the end-to-end evaluators all use it; this is the one place it is
 * made and read. Neither a node id nor an input id may contain '.' (buildGraph
 * refuses one that does), so the first '.' splits the two parts.
 */

export const paramName = (node: string, param: string): string => `${node}.${param}`;

export type TensorName = { kind: "param"; node: string; param: string } | { kind: "input"; input: string };

export function parseTensorName(name: string): TensorName {
  const dot = name.indexOf(".");
  return dot < 0 ? { kind: "input", input: name } : { kind: "param", node: name.slice(0, dot), param: name.slice(dot + 1) };
}

/**
 * One entry of a differentiable tensor, as the teaching verbs take it:
 * `fc.W[1,0]` (a parameter's entry) or `x[2,1]` (an input's). The tensor's name
 * is read by parseTensorName; the index is a comma-separated list of integers in
 * brackets (`b[2]`; a scalar has `[]`). Whether it exists is the engine's to say.
 */
export interface EntryName {
  /** The tensor's name, `"<node>.<param>"` or an input id. */
  tensor: string;
  parsed: TensorName;
  index: number[];
}

/** The entry's text in the one form reports use: `fc.W[1, 0]`. */
export const entryText = (tensor: string, index: readonly number[]): string => `${tensor}[${index.join(", ")}]`;

/** Parses `fc.W[1,0]`; a malformed one gets a message saying what was expected. */
export function parseEntry(text: string): EntryName | { error: string } {
  // The index is the last bracketed group: an id may hold brackets and spaces of its own.
  const m = /^\s*(.+?)\[([^[\]]*)\]\s*$/s.exec(text);
  if (!m) return { error: `'${text}' is not an entry: write the tensor and an index in brackets, like fc.W[1,0] or x[2,1]` };
  const parts = m[2].trim() === "" ? [] : m[2].split(",").map((p) => p.trim());
  const bad = parts.find((p) => !/^\d+$/.test(p));
  if (bad !== undefined) return { error: `'${text}': the index must be whole numbers ≥ 0 separated by commas, got '${bad}'` };
  return { tensor: m[1], parsed: parseTensorName(m[1]), index: parts.map(Number) };
}
