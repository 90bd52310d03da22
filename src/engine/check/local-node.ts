/**
 * One node's local check: the node on its own, called at the values the forward
 * pass gave it. A multi-output node is checked one output at a time (`of`): its
 * rows are that output's entries, its backward gets the one-hot upstream gradient
 * there and zeros at the other outputs, and every backward call gets what the
 * forward at this point saved.
 */
import { callForward, runBackward, type CheckedBackward, type GraphNode } from "../graph.js";
import type { Rng } from "../random.js";
import { tensor, type Tensor } from "../tensor.js";
import type { CheckOptions } from "./options.js";

export type LocalNode = Pick<GraphNode, "id" | "op" | "attrs" | "params" | "inputs" | "labelInputs" | "outputNames" | "rngSeed">;

/** Which output of a multi-output node a check is about, and every output at the point. */
export interface OutputOf {
  index: number;
  name: string;
  outputs: Tensor[];
}

/** What a local Jacobian is taken with respect to: a differentiable input, or a parameter. */
export interface Wrt {
  name: string;
  kind: "input" | "param";
  /** Input position or parameter name. */
  key: number | string;
  tensor: Tensor;
}

export interface LocalCheck {
  node: LocalNode;
  /** The node's input values in the forward pass, and its output there (a multi-output node: output `of`). */
  inputs: Tensor[];
  output: Tensor;
  opts: CheckOptions;
  /** The node's seeded stream: sampled rows and columns, fast mode's directions. */
  rng: Rng;
  /** A multi-output node: the output whose Jacobians this check takes. */
  of?: OutputOf;
  /** What the node's forward saved at this point: every backward call gets it. */
  saved?: unknown;
}

/** The numerator of a Jacobian's name: the node (∂fc/∂x), or the output of a multi-output node (∂c/∂x). */
export function ofWhat(check: LocalCheck): string {
  return check.of?.name ?? check.node.id;
}

/** The node's differentiable inputs (labels are not), then its parameters. */
export function wrtsOf(check: LocalCheck): Wrt[] {
  const { node } = check;
  const wrts: Wrt[] = [];
  check.inputs.forEach((t, k) => { if (!node.labelInputs.has(k)) wrts.push({ name: node.inputs[k], kind: "input", key: k, tensor: t }); });
  for (const [p, t] of Object.entries(node.params)) wrts.push({ name: p, kind: "param", key: p, tensor: t });
  return wrts;
}

/** The node's backward with upstream gradient `gradOutput`: gradOutput · J for every input and parameter. */
export function backwardOf(check: LocalCheck, gradOutput: Tensor): CheckedBackward {
  const { of, saved } = check;
  if (!of) return runBackward(check.node, { inputs: check.inputs, params: check.node.params, output: check.output, gradOutput, saved });
  // The other outputs get a zero upstream gradient: these rows are ∂(this output)/∂·.
  const gradOutputs = of.outputs.map((t, k) => (k === of.index ? gradOutput : tensor(t.shape)));
  return runBackward(check.node, { inputs: check.inputs, params: check.node.params, output: of.outputs[0], gradOutput: gradOutputs[0], outputs: of.outputs, gradOutputs, saved });
}

export function gradOf(res: CheckedBackward, w: Wrt): Tensor | null {
  return w.kind === "input" ? res.inputs[w.key as number] : res.params[w.key as string];
}

/** The node's forward with `w` replaced by `replaced`, everything else as the forward pass gave it. */
export function forwardWith(check: LocalCheck, w: Wrt, replaced: Tensor): Tensor {
  const { node, inputs } = check;
  const ins = w.kind === "input" ? inputs.map((t, k) => (k === w.key ? replaced : t)) : inputs;
  const params = w.kind === "param" ? { ...node.params, [w.key as string]: replaced } : node.params;
  // Positions, not names: a value may feed a node twice (x * x), and only this position is perturbed.
  return callForward(node, ins, params).outputs[check.of?.index ?? 0];
}

/** Batch size (the first input's first dimension), to name a forgotten 1/B. */
export function batchOf(inputs: Tensor[]): number | undefined {
  return inputs[0]?.shape.length ? inputs[0].shape[0] : undefined;
}
