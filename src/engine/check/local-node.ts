/** One node's local check: the node on its own, called at the values the forward pass gave it. */
import { callUserOp, describeValue, runBackward, runBackwardBatch, runForward, UserOpError, type CheckedBackward, type GraphNode } from "../graph.js";
import type { Perturbation } from "../op.js";
import { isTensor } from "../tensor.js";
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

/**
 * Every perturbed forward of one (node, wrt) the check needs — the columns of
 * the numeric Jacobian, the second steps of the error estimate, fast mode's
 * ±h·v — in one place: one call of the op's `forwardBatch` when it has one
 * (an op whose calls are round trips to another process), else `forward` once
 * per perturbation on a working copy. Outputs in the order of `perturbations`.
 */
export function perturbedForwards(check: LocalCheck, w: Wrt, perturbations: { indices: ArrayLike<number>; values: ArrayLike<number> }[]): Float64Array[] {
  const { node } = check;
  const batch = node.op.forwardBatch;
  if (batch && perturbations.length > 0) {
    const where = `${node.id} (${node.op.name})`;
    const full: Perturbation[] = perturbations.map((p) => ({ ...(w.kind === "input" ? { input: w.key as number } : { param: w.key as string }), indices: p.indices, values: p.values }));
    const outs = callUserOp({ ...node, inputs: node.inputs }, "forward", { inputs: check.inputs, params: node.params, attrs: node.attrs }, (ctx) => batch(ctx, full)) as unknown;
    if (!Array.isArray(outs) || outs.length !== perturbations.length)
      throw new UserOpError(`${where}: forwardBatch must return one tensor per perturbation (${perturbations.length}), got ${Array.isArray(outs) ? outs.length : describeValue(outs)}`);
    return outs.map((o, k) => {
      if (!isTensor(o) || o.data.length !== check.output.data.length)
        throw new UserOpError(`${where}: forwardBatch output ${k + 1} must be a tensor like the forward's output (${check.output.data.length} values), got ${describeValue(o)}`);
      return o.data;
    });
  }
  const x = { shape: w.tensor.shape, data: new Float64Array(w.tensor.data) };
  return perturbations.map((p) => {
    for (let k = 0; k < p.indices.length; k++) x.data[p.indices[k]] = p.values[k];
    const out = forwardWith(check, w, x).data;
    for (let k = 0; k < p.indices.length; k++) x.data[p.indices[k]] = w.tensor.data[p.indices[k]];
    return out;
  });
}

/** The node's backward for several upstream gradients (its `backwardBatch` when it has one). */
export function backwardsOf(check: LocalCheck, gradOutputs: Tensor[]): CheckedBackward[] {
  return runBackwardBatch(check.node, { inputs: check.inputs, params: check.node.params, output: check.output }, gradOutputs);
}

/** Batch size (the first input's first dimension), to name a forgotten 1/B. */
export function batchOf(inputs: Tensor[]): number | undefined {
  return inputs[0]?.shape.length ? inputs[0].shape[0] : undefined;
}
