/** One node's local check: the node on its own, called at the values the forward pass gave it. */
import { runBackward, runForward, type CheckedBackward, type GraphNode } from "../graph.js";
import type { Rng } from "../random.js";
import type { Tensor } from "../tensor.js";
import type { CheckOptions } from "./options.js";

export type LocalNode = Pick<GraphNode, "id" | "op" | "attrs" | "params" | "inputs" | "labelInputs">;

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
  /** The node's input values in the forward pass, and its output there. */
  inputs: Tensor[];
  output: Tensor;
  opts: CheckOptions;
  /** The node's seeded stream: sampled rows and columns, fast mode's directions. */
  rng: Rng;
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
  return runBackward(check.node, { inputs: check.inputs, params: check.node.params, output: check.output, gradOutput });
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
  return runForward({ ...node, params, inputs: ins.map((_, k) => `#${k}`) } as GraphNode, new Map(ins.map((t, k) => [`#${k}`, t])));
}

/** Batch size (the first input's first dimension), to name a forgotten 1/B. */
export function batchOf(inputs: Tensor[]): number | undefined {
  return inputs[0]?.shape.length ? inputs[0].shape[0] : undefined;
}
