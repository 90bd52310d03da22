/**
 * One build in progress, and its step per node (in topological order):
 * attributes, labels, parameters, output shapes (declared, or learned by
 * running the forward pass so far), memory. A values build makes each input
 * and parameter value as soon as it is validated; a shapes-only build makes
 * only those a forward pass needs.
 */
import { ShapeError, type ShapeContext } from "../op.js";
import { NetworkError } from "../network.js";
import { Rng, deriveSeed } from "../random.js";
import { shapeText, sizeOf, type Tensor } from "../tensor.js";
import { buildAttrs } from "./attrs.js";
import { outputValuesOf } from "./outputs.js";
import { callForward } from "./run-node.js";
import { inputValue, type PlannedInput } from "./inputs.js";
import { checkClassCount, inputPath, labelPositions } from "./labels.js";
import { makeParam, planParams, type ParamPlan } from "./params.js";
import type { Resolved } from "./resolve.js";
import type { Limits } from "./spec-values.js";
import type { GraphInput, GraphNode } from "./types.js";

/** A node as the build knows it: a GraphNode whose parameter values may not be made yet. */
export interface PlannedNode extends Omit<GraphNode, "params"> {
  params?: Record<string, Tensor>;
  plans: ParamPlan[];
}

/** One build in progress. */
export interface Build {
  seed: number;
  limits: Limits;
  /** true: make each value as it is planned (buildGraph); false: only where a forward pass needs it (describeNetwork). */
  values: boolean;
  /** Shape of every input and of every node built so far. */
  shapes: Map<string, number[]>;
  /** The "classes" inputs: id → classes. */
  labels: Map<string, number>;
  /** Ids of the "constant" inputs. */
  constants: Set<string>;
  inputs: PlannedInput[];
  /** Topological order. */
  nodes: PlannedNode[];
  output: string;
}

export function addNode(b: Build, r: Resolved): void {
  const attrs = buildAttrs(r.op, r.spec, r.index);
  const inputShapes = r.inputs.map((n) => b.shapes.get(n)!);
  const labelInputs = labelPositions(r, b.labels, b.constants);
  const ctx: ShapeContext = { inputShapes, attrs, inputClasses: inputClasses(b, r.inputs) };
  const { plans, params } = nodeParams(b, r, ctx);
  const declared = declaredOutputShapes(r, ctx); // a custom op without one: found by running forward below
  if (r.op.builtin) checkClassCount(r, b.inputs, inputShapes);
  const outputValues = outputValuesOf(r.spec.id, r.outputNames);
  const node: PlannedNode = {
    id: r.spec.id, op: r.op, inputs: r.inputs, attrs, params, inputShapes, outputShape: declared?.[0] ?? [],
    ...(r.outputNames ? { outputNames: r.outputNames } : {}), outputValues, outputShapes: declared ?? [],
    rngSeed: rngSeedOf(b.seed, r.spec.id), specIndex: r.index, labelInputs, plans, ...groupOf(r),
  };
  b.nodes.push(node);
  if (declared) {
    declared.forEach((shape, k) => {
      if (sizeOf(shape) > b.limits.maxSize) throw new NetworkError(`${r.spec.id}: ${outputLabel(node, k)} ${shapeText(shape)} has ${sizeOf(shape)} values, over the limit of ${b.limits.maxSize}`, ["nodes", r.index]);
    });
  } else {
    node.outputShapes = shapesByForward(b);
    node.outputShape = node.outputShapes[0];
  }
  node.outputShapes.forEach((shape, k) => {
    b.limits.budget.add(`${outputLabel(node, k)} of ${r.spec.id}`, shape, ["nodes", r.index]);
    b.shapes.set(outputValues[k], shape);
  });
}

/** "the output", or "output 'h'" of a multi-output node. */
function outputLabel(node: Pick<PlannedNode, "outputNames">, k: number): string {
  return node.outputNames ? `output '${node.outputNames[k]}'` : "the output";
}

/** The seed of the rng a node's forward gets: the network's seed and the node's id. */
export const rngSeedOf = (seed: number, nodeId: string): number => deriveSeed(seed, `rng:${nodeId}`);

/** Each output's shape as the op declares it (outputShape, or a multi-output op's outputShapes), or undefined. */
function declaredOutputShapes(r: Resolved, ctx: ShapeContext): number[][] | undefined {
  const names = r.outputNames;
  if (!names) return r.op.outputShape ? [shapeCall(r, () => r.op.outputShape!(ctx))] : undefined;
  if (!r.op.outputShapes) return undefined;
  const shapes = shapeCall(r, () => r.op.outputShapes!(ctx));
  const given = typeof shapes === "object" && shapes !== null ? Object.keys(shapes) : [];
  if (names.some((n) => !Array.isArray(shapes[n])) || given.some((k) => !names.includes(k)))
    throw new NetworkError(`${r.spec.id} (${r.op.name}): outputShapes must give a shape for each output (${names.join(", ")}), got { ${given.join(", ")} }`, ["nodes", r.index, "op"]);
  return names.map((n) => shapes[n]);
}

function shapeCall<T>(r: Resolved, f: () => T): T {
  try {
    return f();
  } catch (e) {
    if (e instanceof ShapeError) throw new NetworkError(`${r.spec.id} (${r.op.name}): ${e.message}`, e.inputIndex !== undefined ? inputPath(r, e.inputIndex) : ["nodes", r.index, "op"]);
    throw e;
  }
}

/** The node's parameter plans, and (a values build) each value made as soon as it is planned. */
function nodeParams(b: Build, r: Resolved, ctx: ShapeContext): { plans: ParamPlan[]; params?: Record<string, Tensor> } {
  const plans: ParamPlan[] = [];
  const rng = b.values ? paramRng(b.seed, r.spec.id) : undefined;
  const params: Record<string, Tensor> | undefined = rng ? {} : undefined;
  for (const plan of planParams(r, ctx, b.limits)) {
    plans.push(plan);
    if (params) params[plan.name] = makeParam(plan, rng!, ctx);
  }
  return { plans, params };
}

/** Per input of a node: its classes when it is a "classes" input. */
function inputClasses(b: Build, names: string[]): (number | undefined)[] {
  return names.map((n) => b.labels.get(n));
}

const paramRng = (seed: number, nodeId: string) => new Rng(deriveSeed(seed, `param:${nodeId}`));

/** Run the forward pass so far to learn the last node's output shapes; a shapes-only build makes the values it needs here. */
function shapesByForward(b: Build): number[][] {
  const values = new Map<string, Tensor>(b.inputs.map((inp) => [inp.id, graphInput(b, inp).value]));
  const nodes = b.nodes.map((n) => graphNode(b, n));
  const run = (n: GraphNode) => callForward(n, n.inputs.map((v) => values.get(v)!)).outputs;
  for (const n of nodes.slice(0, -1)) run(n).forEach((t, k) => values.set(n.outputValues[k], t));
  return run(nodes[nodes.length - 1]).map((t) => t.shape);
}

export function graphInput(b: Build, input: PlannedInput): GraphInput {
  const value = (input.value ??= inputValue(input, b.seed));
  return { id: input.id, shape: input.shape, ...(input.classes !== undefined ? { classes: input.classes } : {}), ...(input.constant ? { constant: true } : {}), value };
}

export function graphNode(b: Build, n: PlannedNode): GraphNode {
  if (!n.params) {
    const rng = paramRng(b.seed, n.id);
    const ctx: ShapeContext = { inputShapes: n.inputShapes, attrs: n.attrs, inputClasses: inputClasses(b, n.inputs) };
    n.params = Object.fromEntries(n.plans.map((p) => [p.name, makeParam(p, rng, ctx)]));
  }
  return {
    id: n.id, op: n.op, inputs: n.inputs, attrs: n.attrs, params: n.params, inputShapes: n.inputShapes, outputShape: n.outputShape,
    ...(n.outputNames ? { outputNames: n.outputNames } : {}), outputValues: n.outputValues, outputShapes: n.outputShapes, rngSeed: n.rngSeed,
    specIndex: n.specIndex, labelInputs: n.labelInputs, ...(n.group !== undefined ? { group: n.group } : {}),
  };
}

/** The node's "group" (checked by resolve.ts), present only when given. */
const groupOf = (r: Resolved): { group?: string } => (typeof r.spec.group === "string" ? { group: r.spec.group } : {});
