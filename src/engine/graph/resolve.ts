/**
 * Node ids, ops and input names, resolved before the graph is sorted (so the
 * order of "nodes" does not matter): unique ids, known ops, known inputs,
 * the right number of them.
 */
import type { OpDef } from "../op.js";
import { builtinOps } from "../ops/index.js";
import { NetworkError, type NetworkSpec, type NodeSpec } from "../network.js";
import { didYouMean } from "../suggest.js";

/** A node with its op and input names resolved; `index` is its position in spec.nodes. */
export type Resolved = { spec: NodeSpec; op: OpDef; inputs: string[]; index: number };

export interface ResolvedNodes {
  nodes: Resolved[];
  /** Node id → position in spec.nodes. */
  nodeIndex: Map<string, number>;
}

/** `inputIds`: the network's inputs, in order (a first node without "inputs" takes the first). */
export function resolveNodes(spec: NetworkSpec, inputIds: string[], customOps: Record<string, OpDef> = {}): ResolvedNodes {
  const opsByName = new Map<string, OpDef>(builtinOps);
  for (const [name, op] of Object.entries(customOps)) opsByName.set(name, op);
  const inputSet = new Set(inputIds);
  const nodeIndex = indexNodes(spec.nodes, inputSet);
  const nodes = spec.nodes.map((node, i): Resolved => {
    const op = resolveOp(node, i, opsByName, spec.ops);
    const inputs = node.inputs === undefined ? [i === 0 ? inputIds[0] : spec.nodes[i - 1].id] : inputNames(node, i, (name) => nodeIndex.has(name) || inputSet.has(name), () => [...inputIds, ...nodeIndex.keys()]);
    checkArity(op, inputs.length, node, i);
    return { spec: node, op, inputs, index: i };
  });
  return { nodes, nodeIndex };
}

/** Every node an object with a unique id (among nodes and inputs) that can name a gradient. */
function indexNodes(nodes: NodeSpec[], inputs: Set<string>): Map<string, number> {
  const nodeIndex = new Map<string, number>();
  nodes.forEach((node, i) => {
    if (typeof node !== "object" || node === null || Array.isArray(node)) throw new NetworkError("a node must be an object with \"id\" and \"op\"", ["nodes", i]);
    if (typeof node.id !== "string" || node.id === "") throw new NetworkError("a node needs an \"id\" (a non-empty string)", node.id === undefined ? ["nodes", i] : ["nodes", i, "id"]);
    if (node.id.includes(".")) throw new NetworkError(`node id '${node.id}' must not contain '.' (gradients are named "<node>.<param>")`, ["nodes", i, "id"]);
    if (nodeIndex.has(node.id) || inputs.has(node.id)) {
      const other = nodeIndex.has(node.id) ? `node ${nodeIndex.get(node.id)}` : "an input";
      throw new NetworkError(`duplicate id '${node.id}': ${other} already has it`, ["nodes", i, "id"]);
    }
    if (node.group !== undefined && (typeof node.group !== "string" || node.group.trim() === ""))
      throw new NetworkError(`"group" must be a non-empty string (the name of the block this node belongs to), got ${JSON.stringify(node.group) ?? String(node.group)}`, ["nodes", i, "group"]);
    nodeIndex.set(node.id, i);
  });
  return nodeIndex;
}

/** A node's "inputs": names of inputs or other nodes. */
function inputNames(node: NodeSpec, i: number, isKnown: (name: string) => boolean, known: () => string[]): string[] {
  if (!Array.isArray(node.inputs) || node.inputs.some((n) => typeof n !== "string"))
    throw new NetworkError("\"inputs\" must be an array of names", ["nodes", i, "inputs"]);
  node.inputs.forEach((name, k) => {
    if (!isKnown(name)) {
      const names = known().filter((k) => k !== node.id);
      throw new NetworkError(`unknown input '${name}'${didYouMean(name, names)} (known: ${names.join(", ")})`, ["nodes", i, "inputs", k]);
    }
    if (name === node.id) throw new NetworkError(`node '${node.id}' takes its own output as input: a cycle`, ["nodes", i, "inputs", k]);
  });
  return node.inputs;
}

function resolveOp(node: NodeSpec, i: number, opsByName: Map<string, OpDef>, declared?: Record<string, string>): OpDef {
  const op = node.op;
  if (op === undefined) throw new NetworkError(`node '${node.id}' needs an "op"`, ["nodes", i]);
  if (typeof op === "object" && op !== null && typeof (op as OpDef).forward === "function") return op as OpDef;
  if (typeof op !== "string") throw new NetworkError(`"op" must be a built-in op name or a defineOp(...) value`, ["nodes", i, "op"]);
  const found = opsByName.get(op);
  if (found) return found;
  if (declared && op in declared) throw new NetworkError(`custom op '${op}' from "${declared[op]}" could not be loaded`, ["nodes", i, "op"]);
  throw new NetworkError(`unknown op '${op}'${didYouMean(op, opsByName.keys())}`, ["nodes", i, "op"]);
}

function checkArity(op: OpDef, n: number, node: NodeSpec, i: number): void {
  if (op.arity === undefined) return;
  const [min, max] = typeof op.arity === "number" ? [op.arity, op.arity] : op.arity;
  if (n < min || n > max) {
    const want = min === max ? `${min}` : max === Infinity ? `at least ${min}` : `${min} to ${max}`;
    throw new NetworkError(`${op.name} takes ${want} input${want === "1" ? "" : "s"}, got ${n}`, node.inputs !== undefined ? ["nodes", i, "inputs"] : ["nodes", i, "op"]);
  }
}
