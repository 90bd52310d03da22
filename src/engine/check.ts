/**
 * The gradient check (DESIGN.md "The check"), one file per job in check/:
 * options.ts (CheckOptions, defaults, VERSION), check-graph.ts (checkGraph:
 * the whole run and its report), nodes.ts and local.ts (the local check of
 * each node: analytic rows from backward with one-hot upstream gradients
 * against central differences of that node's forward alone), fast-local.ts
 * (fast mode's uᵀJv), reentrancy.ts (backward must repeat), end-to-end.ts
 * (dL/dθ against central differences of the whole loss), summary.ts,
 * memory.ts, non-finite.ts, progress.ts, op-local.ts (checkOpLocal, one op
 * outside any graph). This file is the folder's public face: import from here.
 */
import type { Diagnosis } from "../shared/report.js";
import { sizeOf } from "./tensor.js";
import { UserOpError } from "./graph.js";

export { checkGraph } from "./check/check-graph.js";
export { checkOpLocal } from "./check/op-local.js";
export { DEFAULT_OPTIONS, VERSION, type CheckOptions } from "./check/options.js";

export { sizeOf, UserOpError };
export type { Diagnosis };
