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
