/**
 * Memory limits: a network whose tensors or Jacobians would not fit is refused
 * up front, with its size named and the offending node or input located, not
 * attempted (a worker that runs out of heap says nothing useful).
 *
 * The estimate counts 8 bytes per value (Float64Array):
 * - every input, parameter and node output, and its gradient (backprop keeps
 *   one per value that reaches the loss, and one per parameter);
 * - the local Jacobians the check materialises, as check.ts plans them (the
 *   full matrix up to `jacobianLimit` entries, else `samples` rows and columns;
 *   none in fast mode): while one node is checked, seven matrices of its size
 *   (analytic, numeric, forward and backward differences, row and column
 *   indices, the analytic rows), and, kept in the report for the heatmaps,
 *   two more for every Jacobian small enough to show.
 */
import type { CheckMode } from "../shared/report.js";
import { NetworkError, type SpecPath } from "./network.js";
import { shapeText } from "./tensor.js";
import { DEFAULTS } from "../shared/defaults.js";

export const DEFAULT_MAX_MEMORY_MB: number = DEFAULTS.maxMemoryMb;
const BYTES_PER_VALUE = 8;
/** Matrices of a Jacobian's size alive while one node is checked (see localJacobians in check.ts). */
const WORKING_COPIES = 7;
/** Largest number of entries a report keeps per Jacobian matrix, analytic and numeric (for the heatmaps). */
export const DISPLAY_LIMIT = 65536;

export function formatBytes(bytes: number): string {
  const units = ["bytes", "KiB", "MiB", "GiB", "TiB"];
  let v = bytes, u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return u === 0 ? `${bytes} bytes` : `${v < 10 ? v.toFixed(1) : Math.round(v)} ${units[u]}`;
}

const limitBytes = (maxMemoryMb: number | undefined) => (maxMemoryMb ?? DEFAULT_MAX_MEMORY_MB) * 2 ** 20;

/**
 * What a refused network is told to do: the engine's callers know their own
 * flags and settings (the CLI's and the extension's wording: LIMIT_HINTS in
 * src/shared/defaults.ts); the engine alone says it in its own terms.
 */
export interface LimitHints {
  /** Completes "…, or <raiseLimit>". */
  raiseLimit: string;
  /** A sentence: how to compare fewer Jacobian entries. */
  fewerEntries: string;
}

const ENGINE_HINTS: LimitHints = {
  raiseLimit: "raise the limit (the maxMemoryMb option) if this machine has the memory",
  fewerEntries: "Check fewer entries (sampled or fast mode, a smaller jacobianLimit)",
};

interface Item {
  what: string;
  bytes: number;
  path: SpecPath;
  gradient: boolean;
}

/**
 * Running total of the tensors a graph will hold, kept while buildGraph
 * creates them: each is counted before it is allocated, and the first one
 * that goes over the limit stops the build, located at the largest so far.
 */
export class MemoryBudget {
  private used = 0;
  private largest: Item | undefined;
  readonly limit: number;

  constructor(maxMemoryMb?: number, private readonly hints: LimitHints = ENGINE_HINTS) {
    this.limit = limitBytes(maxMemoryMb);
  }

  /** A tensor of `shape` (and its gradient unless `gradient` is false). Throws NetworkError when the total goes over. */
  add(what: string, shape: number[], path: SpecPath, gradient = true): void {
    const values = shape.reduce((a, b) => a * b, 1);
    const bytes = values * BYTES_PER_VALUE * (gradient ? 2 : 1);
    this.used += bytes;
    if (!this.largest || bytes > this.largest.bytes) this.largest = { what: `${what} ${shapeText(shape)}`, bytes, path, gradient };
    if (this.used > this.limit) {
      const big = this.largest;
      throw new NetworkError(
        `the network needs at least ${formatBytes(this.used)} for its tensors and their gradients, over the memory limit of ${formatBytes(this.limit)}; ` +
          `the largest is ${big.what}: ${formatBytes(big.bytes)}${big.gradient ? " with its gradient" : ""}. Make it smaller, or ${this.hints.raiseLimit}`,
        big.path,
      );
    }
  }

  get bytes(): number {
    return this.used;
  }
}

export interface JacobianPlanOptions {
  mode: CheckMode | "auto";
  jacobianLimit: number;
  samples: number;
}

/** Rows × columns of the local Jacobian the check compares (an upper bound when sampled). Mirrors the plan in check.ts. */
export function plannedJacobian(R: number, C: number, o: JacobianPlanOptions): { rows: number; cols: number } {
  if (o.mode === "fast") return { rows: 0, cols: 0 };
  if (R * C <= o.jacobianLimit && o.mode !== "sampled") return { rows: R, cols: C };
  let cols = Math.min(o.samples, C);
  let rows = R * cols <= o.jacobianLimit ? R : Math.min(o.samples, R);
  // Same-shaped in and out: the diagonal joins the sample (at most twice the samples each way).
  if (rows < R && R === C) {
    rows = Math.min(2 * o.samples, R);
    cols = Math.min(2 * o.samples, C);
  }
  return { rows, cols };
}

export interface MemoryNode {
  id: string;
  specIndex: number;
  outputSize: number;
  /** Differentiable inputs and parameters: name and size. */
  wrts: { name: string; size: number }[];
}

/**
 * Refuses a check whose Jacobians would not fit beside the graph's tensors
 * (`tensorBytes`): throws NetworkError at the node with the largest Jacobian.
 */
export function checkJacobianMemory(nodes: MemoryNode[], tensorBytes: number, o: JacobianPlanOptions & { maxMemoryMb?: number; limitHints?: LimitHints }): void {
  const limit = limitBytes(o.maxMemoryMb);
  const hints = o.limitHints ?? ENGINE_HINTS;
  let kept = 0;
  let worst: { node: MemoryNode; wrt: string; R: number; C: number; rows: number; cols: number; bytes: number } | undefined;
  for (const node of nodes) {
    let working = 0;
    for (const w of node.wrts) {
      const { rows, cols } = plannedJacobian(node.outputSize, w.size, o);
      const entries = rows * cols;
      working += entries * BYTES_PER_VALUE * WORKING_COPIES;
      if (entries <= DISPLAY_LIMIT) kept += entries * BYTES_PER_VALUE * 2;
      const bytes = entries * BYTES_PER_VALUE * WORKING_COPIES;
      if (!worst || bytes > worst.bytes) worst = { node, wrt: w.name, R: node.outputSize, C: w.size, rows, cols, bytes };
    }
    if (worst && tensorBytes + kept + working > limit) {
      const sampled = worst.rows < worst.R || worst.cols < worst.C;
      throw new NetworkError(
        `${worst.node.id}: checking its local Jacobian ∂${worst.node.id}/∂${worst.wrt} (${worst.R}×${worst.C}${sampled ? `, ${worst.rows}×${worst.cols} of it sampled` : ""}) needs about ${formatBytes(worst.bytes)}, ` +
          `and the whole check at least ${formatBytes(tensorBytes + kept + working)}, over the memory limit of ${formatBytes(limit)}. ` +
          `${hints.fewerEntries}, or ${hints.raiseLimit}`,
        ["nodes", worst.node.specIndex],
      );
    }
  }
}
