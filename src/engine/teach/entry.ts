/**
 * An entry the teaching verbs are asked about (`fc.W[1,0]`, `x[2,1]`), found in
 * the graph: its tensor, its flat index, and the node or input it belongs to.
 * The text is parsed by src/shared/names.ts (the one parser of tensor names);
 * every way it can be wrong is an EntryError that says what exists instead.
 */
import { entryText, paramName, parseEntry } from "../../shared/names.js";
import { shapeText, strides } from "../tensor.js";
import type { Graph, GraphNode } from "../graph.js";
import type { Tensor } from "../tensor.js";

export interface ResolvedEntry {
  /** `fc.W[1, 0]` */
  text: string;
  /** `"<node>.<param>"` or the input's id. */
  tensor: string;
  index: number[];
  flat: number;
  value: Tensor;
  /** The node whose parameter it is; undefined for an input. */
  node?: GraphNode;
  param?: string;
}

/** A bad entry: the message, and the place in the network spec it concerns (`["nodes", 2]`, `["inputs", "y"]`), if any. */
export class EntryError extends Error {
  constructor(message: string, readonly path?: (string | number)[]) {
    super(message);
    this.name = "EntryError";
  }
}

export function resolveEntry(graph: Graph, text: string): ResolvedEntry {
  const parsed = parseEntry(text);
  if ("error" in parsed) throw new EntryError(parsed.error);
  const { tensor, index } = parsed;
  if (parsed.parsed.kind === "param") {
    const { node: id, param } = parsed.parsed;
    const node = graph.nodes.find((n) => n.id === id);
    if (!node) throw new EntryError(`'${text}': no node '${id}' in the network; ${known(graph)}`);
    const value = node.params[param];
    if (!value) {
      const has = Object.keys(node.params);
      throw new EntryError(`'${text}': node '${id}' (${node.op.name}) has no parameter '${param}'; ` +
        (has.length ? `its parameters: ${has.join(", ")}` : "it has no parameters"), ["nodes", node.specIndex]);
    }
    return { text: entryText(tensor, index), tensor, index, flat: flatIndex(text, value, index, ["nodes", node.specIndex]), value, node, param };
  }
  const id = parsed.parsed.input;
  const input = graph.inputs.find((i) => i.id === id);
  if (!input) {
    const node = graph.nodes.find((n) => n.id === id);
    if (node) throw new EntryError(`'${text}': '${id}' is the output of node ${id} (${node.op.name}), computed rather than differentiated: name a parameter or an input; ${known(graph)}`, ["nodes", node.specIndex]);
    throw new EntryError(`'${text}': no input or parameter named '${id}'; ${known(graph)}`);
  }
  const at = ["inputs", id];
  if (input.classes !== undefined) throw new EntryError(`'${text}': '${id}' holds integer class labels, which are never differentiated; ${known(graph)}`, at);
  if ((input as { constant?: boolean }).constant) throw new EntryError(`'${text}': '${id}' is a constant input, which is never differentiated; ${known(graph)}`, at);
  return { text: entryText(tensor, index), tensor, index, flat: flatIndex(text, input.value, index, at), value: input.value };
}

function flatIndex(text: string, value: Tensor, index: number[], at: (string | number)[]): number {
  const shape = value.shape;
  if (index.length !== shape.length)
    throw new EntryError(`'${text}': the tensor has shape ${shapeText(shape)}, so an entry needs ${shape.length} ${shape.length === 1 ? "index" : "indices"}, got ${index.length}`, at);
  const s = strides(shape);
  let flat = 0;
  index.forEach((i, d) => {
    if (i >= shape[d]) throw new EntryError(`'${text}': index ${i} is out of range for dimension ${d} of size ${shape[d]} (shape ${shapeText(shape)}; indices start at 0)`, at);
    flat += i * s[d];
  });
  return flat;
}

/** What can be asked about: the parameters and the differentiable inputs. */
function known(graph: Graph): string {
  const params = graph.nodes.flatMap((n) => Object.entries(n.params).map(([p, t]) => `${paramName(n.id, p)} ${shapeText(t.shape)}`));
  const inputs = graph.inputs.filter((i) => i.classes === undefined && !(i as { constant?: boolean }).constant).map((i) => `${i.id} ${shapeText(i.shape)}`);
  return `entries can be taken of ${[...params, ...inputs].join(", ") || "nothing (the network has no parameters or differentiable inputs)"}`;
}
