/**
 * What a gradient can be asked of: a node's parameter or a differentiable input,
 * and one entry of it. The CLI's verbs that name a gradient (`explain fc.W[1,0]`,
 * anything that lists tensors to differentiate) read the name through here, so a
 * constant input or class labels get the same located error everywhere: the
 * error points at the input's definition in the network file, where "constant"
 * or "classes" is written.
 */
import type { Graph } from "./graph/types.js";
import { NetworkError } from "./network.js";
import { didYouMean } from "./suggest.js";
import { shapeText, unravel, type Tensor } from "./tensor.js";
import { paramName, parseTensorName } from "../shared/names.js";

export interface GradientTarget {
  /** "<node>.<param>" or the input's id, as gradients[] names it. */
  name: string;
  kind: "param" | "input";
  node?: string;
  param?: string;
  tensor: Tensor;
  /** The entry, when one was named (`fc.W[1, 0]`): its multi-index and flat index. */
  index?: number[];
  flat?: number;
}

/**
 * `entry`: `node.param`, `input`, optionally with an index `[i, j]`. Throws
 * NetworkError (naming the tensor) for an unknown name, a constant input, class
 * labels, or an index outside the tensor's shape.
 */
export function gradientTarget(graph: Graph, entry: string): GradientTarget {
  const m = /^\s*([^[\]\s]+)\s*(?:\[([^\]]*)\])?\s*$/.exec(entry);
  if (!m) throw new NetworkError(`'${entry}' is not a gradient entry: write node.param[i, j] or input[i, j] (e.g. fc.W[1, 0])`, []);
  const [, name, indexText] = m;
  const target = tensorTarget(graph, name);
  if (indexText === undefined) return target;
  const shape = target.tensor.shape;
  const index = indexText.trim() === "" ? [] : indexText.split(",").map((s) => (s.trim() === "" ? NaN : Number(s)));
  if (index.length !== shape.length || index.some((v) => !Number.isInteger(v)))
    throw new NetworkError(`'${entry}': ${target.name} has shape ${shapeText(shape)}, so an entry needs ${shape.length} integer ${shape.length === 1 ? "index" : "indices"}`, []);
  index.forEach((v, k) => {
    if (v < 0 || v >= shape[k]) throw new NetworkError(`'${entry}': index ${v} is out of range for dimension ${k} of ${target.name} ${shapeText(shape)}`, []);
  });
  let flat = 0;
  index.forEach((v, k) => (flat = flat * shape[k] + v));
  return { ...target, index: unravel(flat, shape), flat };
}

/** A parameter or a differentiable input by name (no index). */
export function tensorTarget(graph: Graph, name: string): GradientTarget {
  const parsed = parseTensorName(name);
  if (parsed.kind === "param") {
    const node = graph.nodes.find((n) => n.id === parsed.node);
    if (!node) throw new NetworkError(`no node '${parsed.node}'${didYouMean(parsed.node, graph.nodes.map((n) => n.id))} (in '${name}')`, []);
    const t = node.params[parsed.param];
    if (!t) {
      const known = Object.keys(node.params);
      throw new NetworkError(`${node.id} (${node.op.name}) has no parameter '${parsed.param}'${didYouMean(parsed.param, known)}${known.length ? ` (it has: ${known.join(", ")})` : " (it has none)"}`, ["nodes", node.specIndex]);
    }
    return { name: paramName(node.id, parsed.param), kind: "param", node: node.id, param: parsed.param, tensor: t };
  }
  const input = graph.inputs.find((i) => i.id === parsed.input);
  if (!input) {
    const known = [...graph.nodes.flatMap((n) => Object.keys(n.params).map((p) => paramName(n.id, p))), ...graph.inputs.map((i) => i.id)];
    const isNode = graph.nodes.some((n) => n.id === name);
    throw new NetworkError(isNode
      ? `'${name}' is a node: name one of its parameters (${Object.keys(graph.nodes.find((n) => n.id === name)!.params).map((p) => paramName(name, p)).join(", ") || "it has none"}) or an input`
      : `no parameter or input '${name}'${didYouMean(name, known)} (known: ${known.join(", ")})`, []);
  }
  if (input.constant) throw new NetworkError(`'${input.id}' is a constant input: it is never differentiated, so it has no gradient (drop "constant": true to differentiate it)`, ["inputs", input.id, "constant"]);
  if (input.classes !== undefined) throw new NetworkError(`'${input.id}' holds class labels (integers): it is never differentiated, so it has no gradient`, ["inputs", input.id, "classes"]);
  return { name: input.id, kind: "input", tensor: input.value };
}
