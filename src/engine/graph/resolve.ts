/**
 * Node ids, ops, output names and input names, resolved before the graph is
 * sorted (so the order of "nodes" does not matter): unique ids, known ops,
 * known inputs and outputs ("cell:h"), the right number of them.
 */
import type { OpDef } from "../op.js";
import { builtinOps } from "../ops/index.js";
import { NetworkError, type NetworkSpec, type NodeSpec, type SpecPath } from "../network.js";
import { didYouMean } from "../suggest.js";
import { buildAttrs } from "./attrs.js";
import { outputNamesProblem, outputValuesOf, parseValueName, valueName } from "./outputs.js";

/**
 * A node with its op, its output names (a multi-output op's) and its input
 * values resolved ("cell" → "cell:h", the first output); `index` is its
 * position in spec.nodes.
 */
export type Resolved = { spec: NodeSpec; op: OpDef; inputs: string[]; index: number; outputNames?: string[] };

export interface ResolvedNodes {
  nodes: Resolved[];
  /** Node id → position in spec.nodes. */
  nodeIndex: Map<string, number>;
  /** Value name ("fc", "cell:h") → position in spec.nodes of the node that produces it. */
  producers: Map<string, number>;
  /** A reference ("cell", "cell:c", an input id) → the value it names, or a NetworkError at `path`. */
  resolve(name: string, path: SpecPath, self?: string): string;
}

/** `inputIds`: the network's inputs, in order (a first node without "inputs" takes the first). */
export function resolveNodes(spec: NetworkSpec, inputIds: string[], customOps: Record<string, OpDef> = {}): ResolvedNodes {
  const opsByName = new Map<string, OpDef>(builtinOps);
  for (const [name, op] of Object.entries(customOps)) opsByName.set(name, op);
  const inputSet = new Set(inputIds);
  const nodeIndex = indexNodes(spec.nodes, inputSet);
  // Ops and output names first: a node may read an output of a node listed after it.
  const ops = spec.nodes.map((node, i) => resolveOp(node, i, opsByName, spec.ops));
  const outputNames = spec.nodes.map((node, i) => outputNamesOf(ops[i], node, i));
  const producers = new Map<string, number>();
  spec.nodes.forEach((node, i) => outputValuesOf(node.id, outputNames[i]).forEach((v) => producers.set(v, i)));
  const resolve = (name: string, path: SpecPath, self?: string) => resolveValue(name, path, { spec, inputIds, inputSet, nodeIndex, ops, outputNames }, self);
  const nodes = spec.nodes.map((node, i): Resolved => {
    const op = ops[i];
    const inputs = node.inputs === undefined
      ? [i === 0 ? inputIds[0] : outputValuesOf(spec.nodes[i - 1].id, outputNames[i - 1])[0]]
      : inputNames(node, i).map((name, k) => resolve(name, ["nodes", i, "inputs", k], node.id));
    checkArity(op, inputs.length, node, i);
    return { spec: node, op, inputs, index: i, ...(outputNames[i] ? { outputNames: outputNames[i] } : {}) };
  });
  return { nodes, nodeIndex, producers, resolve };
}

/** Every node an object with a unique id (among nodes and inputs) that can name a gradient and an output. */
function indexNodes(nodes: NodeSpec[], inputs: Set<string>): Map<string, number> {
  const nodeIndex = new Map<string, number>();
  nodes.forEach((node, i) => {
    if (typeof node !== "object" || node === null || Array.isArray(node)) throw new NetworkError("a node must be an object with \"id\" and \"op\"", ["nodes", i]);
    if (typeof node.id !== "string" || node.id === "") throw new NetworkError("a node needs an \"id\" (a non-empty string)", node.id === undefined ? ["nodes", i] : ["nodes", i, "id"]);
    if (node.id.includes(".")) throw new NetworkError(`node id '${node.id}' must not contain '.' (gradients are named "<node>.<param>")`, ["nodes", i, "id"]);
    if (node.id.includes(":")) throw new NetworkError(`node id '${node.id}' must not contain ':' (an output of a multi-output node is read as "<node>:<output>")`, ["nodes", i, "id"]);
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

/** A multi-output op's output names for this node (a built-in's may follow its attributes); undefined for one output. */
function outputNamesOf(op: OpDef, node: NodeSpec, i: number): string[] | undefined {
  if (op.outputs === undefined) return undefined;
  const names = typeof op.outputs === "function" ? op.outputs(buildAttrs(op, node, i)) : op.outputs;
  const problem = outputNamesProblem(names);
  if (problem) throw new NetworkError(`${node.id} (${op.name}): ${problem}`, ["nodes", i, "op"]);
  return [...names];
}

/** A node's "inputs": an array of strings. */
function inputNames(node: NodeSpec, i: number): string[] {
  if (!Array.isArray(node.inputs) || node.inputs.some((n) => typeof n !== "string"))
    throw new NetworkError("\"inputs\" must be an array of names", ["nodes", i, "inputs"]);
  return node.inputs;
}

interface Known {
  spec: NetworkSpec;
  inputIds: string[];
  inputSet: Set<string>;
  nodeIndex: Map<string, number>;
  ops: OpDef[];
  outputNames: (string[] | undefined)[];
}

/**
 * The value a reference names: an input, a node (its first output), or "node:output".
 * `self`: the node whose input this is (reading its own output is a cycle).
 */
function resolveValue(name: string, path: SpecPath, k: Known, self?: string): string {
  const { node: id, output } = parseValueName(name);
  const j = k.nodeIndex.get(id);
  if (j === undefined) {
    if (k.inputSet.has(id) && output !== undefined) throw new NetworkError(`'${id}' is an input: it has no outputs to pick (write '${id}')`, path);
    if (k.inputSet.has(name)) return name;
    const names = [...k.inputIds, ...[...k.nodeIndex.keys()].flatMap((n) => {
      const outs = k.outputNames[k.nodeIndex.get(n)!];
      return outs ? [n, ...outs.map((o) => valueName(n, o))] : [n];
    })].filter((n) => n !== self && parseValueName(n).node !== self);
    throw new NetworkError(`unknown input '${name}'${didYouMean(name, names)} (known: ${names.join(", ")})`, path);
  }
  if (id === self) throw new NetworkError(`node '${self}' takes its own output as input: a cycle`, path);
  const outs = k.outputNames[j];
  const op = k.ops[j];
  if (output === undefined) return outs ? valueName(id, outs[0]) : id;
  if (!outs) throw new NetworkError(`'${id}' (${op.name}) has a single output: write '${id}', not '${name}'`, path);
  // (A one-letter name is near every other: no suggestion, the list says it all.)
  if (!outs.includes(output)) throw new NetworkError(`'${id}' (${op.name}) has no output '${output}'${output.length > 1 ? didYouMean(output, outs) : ""} (its outputs: ${outs.join(", ")})`, path);
  return name;
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
