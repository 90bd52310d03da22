/**
 * One build in progress, and its step per node (in topological order):
 * attributes, labels, parameters, output shape (declared, or learned by
 * running the forward pass so far), memory. A values build makes each input
 * and parameter value as soon as it is validated; a shapes-only build makes
 * only those a forward pass needs.
 */
import { ShapeError, type ShapeContext } from "../op.js";
import { NetworkError } from "../network.js";
import { Rng, deriveSeed } from "../random.js";
import { shapeText, sizeOf, type Tensor } from "../tensor.js";
import { buildAttrs } from "./attrs.js";
import { runForward } from "./forward.js";
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
  /** Ids of the "classes" inputs. */
  labels: Set<string>;
  inputs: PlannedInput[];
  /** Topological order. */
  nodes: PlannedNode[];
  output: string;
}

export function addNode(b: Build, r: Resolved): void {
  const attrs = buildAttrs(r.op, r.spec, r.index);
  const inputShapes = r.inputs.map((n) => b.shapes.get(n)!);
  const labelInputs = labelPositions(r, b.labels);
  const ctx: ShapeContext = { inputShapes, attrs };
  const { plans, params } = nodeParams(b, r, ctx);
  const outputShape = r.op.outputShape ? declaredOutputShape(r, ctx) : []; // custom op without outputShape: found by running forward below
  if (r.op.builtin) checkClassCount(r, b.inputs, inputShapes);
  const node: PlannedNode = { id: r.spec.id, op: r.op, inputs: r.inputs, attrs, params, inputShapes, outputShape, specIndex: r.index, labelInputs, plans, ...groupOf(r) };
  b.nodes.push(node);
  if (r.op.outputShape) {
    if (sizeOf(outputShape) > b.limits.maxSize) throw new NetworkError(`${r.spec.id}: output ${shapeText(outputShape)} has ${sizeOf(outputShape)} values, over the limit of ${b.limits.maxSize}`, ["nodes", r.index]);
  } else {
    node.outputShape = shapeByForward(b);
  }
  b.limits.budget.add(`the output of ${r.spec.id}`, node.outputShape, ["nodes", r.index]);
  b.shapes.set(r.spec.id, node.outputShape);
}

function declaredOutputShape(r: Resolved, ctx: ShapeContext): number[] {
  try {
    return r.op.outputShape!(ctx);
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

const paramRng = (seed: number, nodeId: string) => new Rng(deriveSeed(seed, `param:${nodeId}`));

/** Run the forward pass so far to learn the last node's shape; a shapes-only build makes the values it needs here. */
function shapeByForward(b: Build): number[] {
  const values = new Map<string, Tensor>(b.inputs.map((inp) => [inp.id, graphInput(b, inp).value]));
  const nodes = b.nodes.map((n) => graphNode(b, n));
  for (const n of nodes.slice(0, -1)) values.set(n.id, runForward(n, values));
  return runForward(nodes[nodes.length - 1], values).shape;
}

export function graphInput(b: Build, input: PlannedInput): GraphInput {
  const value = (input.value ??= inputValue(input, b.seed));
  return input.classes !== undefined ? { id: input.id, shape: input.shape, classes: input.classes, value } : { id: input.id, shape: input.shape, value };
}

export function graphNode(b: Build, n: PlannedNode): GraphNode {
  if (!n.params) {
    const rng = paramRng(b.seed, n.id);
    const ctx: ShapeContext = { inputShapes: n.inputShapes, attrs: n.attrs };
    n.params = Object.fromEntries(n.plans.map((p) => [p.name, makeParam(p, rng, ctx)]));
  }
  return { id: n.id, op: n.op, inputs: n.inputs, attrs: n.attrs, params: n.params, inputShapes: n.inputShapes, outputShape: n.outputShape, specIndex: n.specIndex, labelInputs: n.labelInputs, ...(n.group !== undefined ? { group: n.group } : {}) };
}

/** The node's "group" (checked by resolve.ts), present only when given. */
const groupOf = (r: Resolved): { group?: string } => (typeof r.spec.group === "string" ? { group: r.spec.group } : {});
