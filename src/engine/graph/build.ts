/**
 * Building the graph from a NetworkSpec. Every semantic check lives here, so
 * JSON and TypeScript networks get the same messages at the same paths: the
 * network object, its inputs, node ids, ops and input names (in any order),
 * then node by node in topological order (build-node.ts).
 *
 * `buildGraph` makes every input and parameter value as it goes;
 * `describeNetwork` runs the same checks and shape inference and makes no
 * value unless a custom op without `outputShape` must run forward to learn its
 * shape (then only the values of that forward pass). A user's parameter
 * `init` function therefore runs in buildGraph, and in describeNetwork only
 * for such a forward pass.
 */
import type { OpDef } from "../op.js";
import { NetworkError, type NetworkSpec } from "../network.js";
import { Rng, deriveSeed } from "../random.js";
import { sizeOf } from "../tensor.js";
import { didYouMean } from "../suggest.js";
import { MemoryBudget, type LimitHints } from "../limits.js";
import type { GraphView } from "../../shared/report.js";
import { addNode, graphInput, graphNode, type Build } from "./build-node.js";
import { inputValue, planInput, type PlannedInput } from "./inputs.js";
import { topologicalOrder } from "./order.js";
import { resolveNodes, type ResolvedNodes } from "./resolve.js";
import { parseValueName } from "./outputs.js";
import type { Limits } from "./spec-values.js";
import type { Graph } from "./types.js";
import { inputView, outputsView } from "./view.js";

/** Above this many values a single tensor is refused up front instead of attempted. */
export const MAX_TENSOR_SIZE = 16 * 1024 * 1024;

export interface BuildOptions {
  /** Overrides the network's own seed (the CLI's --seed): other inputs and initial parameters. */
  seed?: number;
  customOps?: Record<string, OpDef>;
  file?: string;
  /** Refuse tensors above this many values (default MAX_TENSOR_SIZE). */
  maxTensorSize?: number;
  /** The network's name when the spec gives none (the loader passes the file's; default "network"). */
  name?: string;
  /** Refuse a network whose tensors and gradients need more than this many MiB (default DEFAULT_MAX_MEMORY_MB in limits.ts). */
  maxMemoryMb?: number;
  /** What a refused network is told to do (the caller's flags and settings). */
  limitHints?: LimitHints;
}

/** Validates everything semantic (throws NetworkError at the offending path) and makes the graph with its values. */
export function buildGraph(spec: NetworkSpec, options: BuildOptions = {}): Graph {
  const b = build(spec, options, true);
  // Only nodes that feed the output matter; the rest are still checked locally.
  return { name: networkName(spec, options), seed: b.seed, file: options.file, inputs: b.inputs.map((i) => graphInput(b, i)), nodes: b.nodes.map((n) => graphNode(b, n)), output: b.output, projection: outputProjection(b), spec };
}

/**
 * The GraphView of `describeGraph(buildGraph(spec, options))`, with the same
 * errors, without making the input and parameter values (for the editor,
 * which describes a network at every keystroke).
 */
export function describeNetwork(spec: NetworkSpec, options: BuildOptions = {}): GraphView {
  const b = build(spec, options, false);
  return {
    name: networkName(spec, options),
    output: b.output,
    inputs: b.inputs.map(inputView),
    nodes: b.nodes.map((n) => ({
      id: n.id, op: n.op.name, inputs: n.inputs, inputShapes: n.inputShapes, outputShape: n.outputShape, ...outputsView(n),
      params: n.plans.map((p) => ({ name: p.name, shape: p.shape, size: sizeOf(p.shape) })),
      ...(n.group !== undefined ? { group: n.group } : {}),
    })),
  };
}

function build(spec: NetworkSpec, options: BuildOptions, values: boolean): Build {
  const limits: Limits = { maxSize: options.maxTensorSize ?? MAX_TENSOR_SIZE, budget: new MemoryBudget(options.maxMemoryMb, options.limitHints) };
  const seed = networkSeed(spec, options);
  checkParts(spec);
  const b: Build = { seed, limits, values, shapes: new Map(), labels: new Map(), constants: new Set(), inputs: [], nodes: [], output: "" };
  for (const [id, inputSpec] of Object.entries(spec.inputs)) addInput(b, planInput(id, inputSpec, limits));
  if (b.inputs.length === 0) throw new NetworkError("\"inputs\" is empty: a network needs at least one input", ["inputs"]);
  // Resolve ids, ops and input names first (order-independent), then sort.
  const resolved = resolveNodes(spec, b.inputs.map((i) => i.id), options.customOps);
  for (const r of topologicalOrder(resolved.nodes, resolved.producers)) addNode(b, r);
  b.output = outputOf(spec, resolved);
  return b;
}

function networkSeed(spec: NetworkSpec, options: BuildOptions): number {
  if (typeof spec !== "object" || spec === null || Array.isArray(spec)) throw new NetworkError("a network must be an object with \"inputs\" and \"nodes\"", []);
  const seed = options.seed ?? spec.seed ?? 0;
  if (!Number.isInteger(seed)) throw new NetworkError(`"seed" must be an integer, got ${JSON.stringify(seed)}`, ["seed"]);
  return seed;
}

function checkParts(spec: NetworkSpec): void {
  if (spec.name !== undefined && typeof spec.name !== "string") throw new NetworkError("\"name\" must be a string", ["name"]);
  if (typeof spec.inputs !== "object" || spec.inputs === null || Array.isArray(spec.inputs))
    throw new NetworkError("\"inputs\" must be an object: name → { \"shape\": [...] }", spec.inputs === undefined ? [] : ["inputs"]);
  if (!Array.isArray(spec.nodes)) throw new NetworkError("\"nodes\" must be an array of nodes", spec.nodes === undefined ? [] : ["nodes"]);
  if (spec.nodes.length === 0) throw new NetworkError("\"nodes\" is empty: a network needs at least one node", ["nodes"]);
}

function addInput(b: Build, input: PlannedInput): void {
  if (b.values) input.value = inputValue(input, b.seed);
  b.inputs.push(input);
  b.shapes.set(input.id, input.shape);
  if (input.classes !== undefined) b.labels.set(input.id, input.classes);
  else if (input.constant) b.constants.add(input.id);
}

/** The value that is the loss: "output" (a node, or "node:output"), else the last node's (first) output. */
function outputOf(spec: NetworkSpec, resolved: ResolvedNodes): string {
  const output = spec.output ?? spec.nodes[spec.nodes.length - 1].id;
  const node = typeof output === "string" ? parseValueName(output).node : undefined;
  if (node === undefined || !resolved.nodeIndex.has(node)) {
    const known = [...resolved.nodeIndex.keys()];
    const input = typeof output === "string" && spec.inputs[output] !== undefined ? ` ('${output}' is an input)` : "";
    throw new NetworkError(`"output" must name a node${typeof output === "string" ? didYouMean(output, known) : ""}${input} (nodes: ${known.join(", ")})`, ["output"]);
  }
  return resolved.resolve(output as string, ["output"]);
}

/** The fixed seeded projection r of a non-scalar output (L = Σ rᵢ·outᵢ). */
function outputProjection(b: Build): Float64Array | undefined {
  const outSize = sizeOf(b.shapes.get(b.output)!);
  if (outSize === 1) return undefined;
  const rng = new Rng(deriveSeed(b.seed, "output-projection"));
  const projection = new Float64Array(outSize);
  for (let i = 0; i < outSize; i++) projection[i] = rng.normal();
  return projection;
}

/** The network's "name", else the one its loader gave (the file's), else "network". */
function networkName(spec: NetworkSpec, options: BuildOptions): string {
  return spec.name ?? options.name ?? "network";
}
