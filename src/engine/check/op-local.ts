/** The local check of one op, outside any graph (the op tests use this). */
import type { GraphNode } from "../graph.js";
import { runForward } from "../graph.js";
import type { Attrs, OpDef } from "../op.js";
import { Rng } from "../random.js";
import type { JacobianReport } from "../../shared/report.js";
import type { Tensor } from "../tensor.js";
import { localJacobians } from "./local.js";
import { DEFAULT_OPTIONS, type CheckOptions } from "./options.js";

export function checkOpLocal(
  op: OpDef,
  ctx: { inputs: Tensor[]; params?: Record<string, Tensor>; attrs?: Attrs; labelInputs?: number[] },
  options: Partial<CheckOptions> = {},
): JacobianReport[] {
  const opts = { ...DEFAULT_OPTIONS, ...options };
  const node = {
    id: op.name, op, attrs: ctx.attrs ?? {}, params: ctx.params ?? {},
    inputs: ctx.inputs.map((_, k) => `input${k + 1}`),
    labelInputs: new Set([...(ctx.labelInputs ?? []), ...(op.labelInputs ?? [])]),
  };
  const values = new Map(ctx.inputs.map((t, k) => [`input${k + 1}`, t]));
  const output = runForward(node as GraphNode, values);
  return localJacobians({ node, inputs: ctx.inputs, output, opts, rng: new Rng(opts.seed ?? 0) }).jacobians;
}
