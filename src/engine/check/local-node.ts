/**
 * One node's local check: the node on its own, called at the values the forward
 * pass gave it. A multi-output node is checked one output at a time (`of`): its
 * rows are that output's entries, its backward gets the one-hot upstream gradient
 * there and zeros at the other outputs, and every backward call gets what the
 * forward at this point saved.
 */
import { callForward, callUserOp, describeValue, forwardRng, runBackward, runBackwardBatch, UserOpError, type CheckedBackward, type GraphNode } from "../graph.js";
import type { Perturbation } from "../op.js";
import { isTensor } from "../tensor.js";
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
  // A single-output op's hook (a multi-output node is called output by output through forward).
  if (batch && !node.outputNames && perturbations.length > 0) {
    const where = `${node.id} (${node.op.name})`;
    const full: Perturbation[] = perturbations.map((p) => ({ ...(w.kind === "input" ? { input: w.key as number } : { param: w.key as string }), indices: p.indices, values: p.values }));
    const stream = forwardRng(node.rngSeed, node);
    let outs: unknown;
    try {
      outs = callUserOp({ ...node, inputs: node.inputs }, "forward", { inputs: check.inputs, params: node.params, attrs: node.attrs, rng: stream.rng }, (ctx) => batch(ctx, full));
    } finally {
      stream.close();
    }
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
  // A multi-output node: one backward per upstream gradient, zeros at the other outputs (backwardOf).
  if (check.of) return gradOutputs.map((g) => backwardOf(check, g));
  return runBackwardBatch(check.node, { inputs: check.inputs, params: check.node.params, output: check.output, saved: check.saved }, gradOutputs);
}

/** Batch size (the first input's first dimension), to name a forgotten 1/B. */
export function batchOf(inputs: Tensor[]): number | undefined {
  return inputs[0]?.shape.length ? inputs[0].shape[0] : undefined;
}
