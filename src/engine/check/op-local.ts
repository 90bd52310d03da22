/** The local check of one op, outside any graph (the op tests use this). */
import { callForward, declaredOutputs } from "../graph.js";
import type { Attrs, OpDef } from "../op.js";
import { Rng } from "../random.js";
import type { JacobianReport } from "../../shared/report.js";
import type { Tensor } from "../tensor.js";
import { DEFAULT_OPTIONS, type CheckOptions } from "./options.js";
import { nodeJacobians } from "./outputs.js";

/**
 * Every local Jacobian of `op` at these inputs: per input and parameter, and for a
 * multi-output op per output too (each report's `output`). The forward's `rng` is
 * seeded with `options.seed` (default 0), the same on every call.
 */
export function checkOpLocal(
  op: OpDef,
  ctx: { inputs: Tensor[]; params?: Record<string, Tensor>; attrs?: Attrs; labelInputs?: number[] },
  options: Partial<CheckOptions> = {},
): JacobianReport[] {
  const opts = { ...DEFAULT_OPTIONS, ...options };
  const attrs = ctx.attrs ?? {};
  const outputNames = declaredOutputs(op, attrs);
  const node = {
    id: op.name, op, attrs, params: ctx.params ?? {},
    inputs: ctx.inputs.map((_, k) => `input${k + 1}`),
    labelInputs: new Set([...(ctx.labelInputs ?? []), ...(op.labelInputs ?? []), ...(op.idInputs ?? [])]),
    ...(outputNames ? { outputNames } : {}),
    rngSeed: opts.seed ?? 0,
  };
  const out = callForward(node, ctx.inputs);
  return nodeJacobians(node, ctx.inputs, out, opts, () => new Rng(opts.seed ?? 0)).jacobians;
}
