/**
 * `gradlens explain FILE ENTRY`: the chain rule for one entry θ, with numbers.
 *
 * From the loss down, at every node between θ and the loss and for each of its
 * inputs on the way, one factor: the upstream gradient dL/d(node output)
 * (analytic from backprop, numeric by central differences of the loss in that
 * output), the local derivative ∂(node output)/∂(input) (the node's backward
 * against its forward), and their product summed over the node's output entries
 * — what the node sends down. The lecture's dL/dw = dL/dp · dp/dl · dl/dw is
 * this walk on linear → softmax → cross-entropy. A value used twice gets one
 * step per use, whose products add up (fan-out). The first node whose product
 * departs from the numeric one while what it received agreed is where the bug is.
 *
 * A node with several outputs (an LSTM cell's h and c) gets one step per (output,
 * input on the way): the upstream gradient dL/d(cell:c), the local derivative
 * ∂(cell:c)/∂(input) (its backward with the upstream gradient at c and zeros at h),
 * and their product; what the node sends to an input is the sum of these over
 * its outputs, as its backward adds them up.
 */
import type { Graph, GraphNode } from "../graph.js";
import { passes, type Tolerance } from "../compare.js";
import { unravel, type Tensor } from "../tensor.js";
import { DEFAULTS } from "../../shared/defaults.js";
import { paramName } from "../../shared/names.js";
import type { ChainStep, ChainTerm, Explanation } from "../../shared/teach.js";
import { resolveEntry, type ResolvedEntry } from "./entry.js";
import { factorKey, MAX_ENTRIES, reachOf, type Reach } from "./reach.js";
import { analyticRows, sentDown, type FactorCall, type WrtKey } from "./local-factor.js";
import { lectureIdentity } from "./identity.js";
import { centralDifferences, upstreamOf, type Upstream } from "./upstream.js";

export interface ExplainOptions {
  step?: number;
  rtol?: number;
  atol?: number;
  /** Terms of the last sum listed (default 8). */
  maxTerms?: number;
}

/** Entries of a step shown (upstream gradients, the rows of its local factor). */
export const SHOWN_ENTRIES = 64;
/** Rows and columns of a local factor shown. */
const SHOWN_LOCAL = 24;

interface Walk {
  up: Upstream;
  entry: ResolvedEntry;
  reach: Reach;
  h: number;
  tol: Tolerance;
}

export function explain(graph: Graph, entryText: string, opts: ExplainOptions = {}): Explanation {
  const entry = resolveEntry(graph, entryText);
  const h = opts.step ?? DEFAULTS.step;
  const tol = { rtol: opts.rtol ?? DEFAULTS.rtol, atol: opts.atol ?? DEFAULTS.atol };
  const up = upstreamOf(graph);
  const walk: Walk = { up, entry, reach: reachOf(graph, entry, h, up.values, up.saved), h, tol };
  const analytic = analyticTotal(up, entry);
  const numeric = centralDifferences(up.evaluator.entries(entry.tensor, [entry.flat], h), h)[0];
  const path: ChainStep[] = [];
  const terms: ChainTerm[] = [];
  const notes: string[] = [];
  for (const node of walk.reach.path) {
    // Per input on the way, one step per output that carries θ (the sum over outputs is what the input gets).
    for (const wrt of walk.reach.wrts.get(node.id)!) {
      for (const output of walk.reach.outputs.get(node.id)!) {
        const { step, stepTerms } = chainStep(walk, node, output, wrt);
        path.push(step);
        terms.push(...stepTerms);
      }
    }
  }
  if (!path.length) notes.push(`${entry.text} does not move the loss: nothing between it and the loss depends on it, so dL/d${entry.text} = 0.`);
  for (const [node, left] of walk.reach.truncated) notes.push(`${node}: the first ${MAX_ENTRIES} of the ${MAX_ENTRIES + left} entries ${entry.text} moves are used.`);
  terms.sort((a, b) => Math.abs(b.product) - Math.abs(a.product));
  const shown = terms.slice(0, opts.maxTerms ?? 8);
  const identity = lectureIdentity(graph, entry, up.values);
  return {
    entry: entry.text, tensor: entry.tensor, index: entry.index, analytic, numeric, agree: passes(analytic, numeric, tol),
    terms: shown, omittedTerms: terms.length - shown.length, omittedSum: terms.slice(shown.length).reduce((s, t) => s + t.product, 0),
    path, firstDeparture: path.find((s) => s.product.departs)?.node ?? null,
    ...(identity ? { identity } : {}), loss: up.loss, step: h, notes,
  };
}

function analyticTotal(up: Upstream, entry: ResolvedEntry): number {
  const g = entry.node ? up.paramGradient(entry.tensor) : up.analytic(entry.tensor);
  return g ? g.data[entry.flat] : 0;
}

/** The wrt's name and shape: the explained parameter, or an input's value. */
function wrtOf(walk: Walk, node: GraphNode, wrt: WrtKey): { name: string; shape: number[] } {
  if (wrt.kind === "param") return { name: paramName(node.id, wrt.name), shape: node.params[wrt.name].shape };
  const name = node.inputs[wrt.position];
  return { name, shape: walk.up.values.get(name)!.shape };
}

/** One step: output `output` (an index into node.outputValues) of the node, with respect to wrt. */
function chainStep(walk: Walk, node: GraphNode, output: number, wrt: WrtKey): { step: ChainStep; stepTerms: ChainTerm[] } {
  const { up, h, tol } = walk;
  const value = node.outputValues[output];
  const rows = walk.reach.entries.get(value)!;
  const out = up.values.get(value)!;
  const gA = up.analytic(value);
  const gN = up.numeric(value, rows, h);
  const { name, shape } = wrtOf(walk, node, wrt);
  const call: FactorCall = { node, values: up.values, saved: up.saved.get(node.id), wrt, h, output };
  const { cols, columns } = walk.reach.columns.get(factorKey(value, wrt))!;
  const productNumeric = columns.map((col) => rows.reduce((s, r, k) => s + gN[k] * col[r], 0));
  const productAnalytic = sentDown(call, gA, cols);
  const shownRows = pick(rows, (k) => Math.abs(gN[k]) + Math.abs(gA.data[rows[k]]), SHOWN_ENTRIES);
  const sentRows = pick(cols, (j) => Math.abs(productNumeric[j]) + Math.abs(productAnalytic[j]), SHOWN_ENTRIES);
  const localRows = shownRows.slice(0, SHOWN_LOCAL), localCols = sentRows.slice(0, SHOWN_LOCAL).map((j) => cols[j]);
  const localA = analyticRows(call, localRows.map((k) => rows[k]), localCols);
  const step: ChainStep = {
    node: node.id, ...(node.outputNames ? { value } : {}), op: node.op.name, entries: shownRows.map((k) => unravel(rows[k], out.shape)), reached: rows.length,
    outputShape: out.shape,
    upstreamAnalytic: shownRows.map((k) => gA.data[rows[k]]), upstreamNumeric: shownRows.map((k) => gN[k]),
    upstreamDeparts: rows.some((r, k) => !passes(gA.data[r], gN[k], tol)),
    local: {
      wrt: name, rows: localRows.map((k) => unravel(rows[k], out.shape)), cols: localCols.map((c) => unravel(c, shape)),
      analytic: localA.flatMap((row) => Array.from(row)), numeric: localRows.flatMap((k) => localCols.map((_, j) => columns[j][rows[k]])),
      ...(node.op.builtin && node.op.formula ? { formula: node.op.formula } : {}),
    },
    product: {
      entries: sentRows.map((j) => unravel(cols[j], shape)), reached: cols.length,
      analytic: sentRows.map((j) => productAnalytic[j]), numeric: sentRows.map((j) => productNumeric[j]),
      departs: productAnalytic.some((a, j) => !passes(a, productNumeric[j], tol)),
    },
  };
  const final = wrt.kind === "param" || name === walk.entry.tensor;
  return { step, stepTerms: final ? termsOf(walk, { call, value, rows, gA, gN, column: columns[0] }) : [] };
}

/** The terms upstream[r] · ∂out[r]/∂θ of the last sum, one per entry of the value (node output) θ moves. */
function termsOf(walk: Walk, at: { call: FactorCall; value: string; rows: number[]; gA: Tensor; gN: Float64Array; column: Float64Array }): ChainTerm[] {
  const { call, value, rows, gA, gN, column } = at;
  const local = analyticRows(call, rows, [walk.entry.flat]);
  const shape = walk.up.values.get(value)!.shape;
  return rows.map((r, k) => ({
    node: value, index: unravel(r, shape), upstreamAnalytic: gA.data[r], upstreamNumeric: gN[k],
    local: local[k][0], localNumeric: column[r], product: gA.data[r] * local[k][0],
  }));
}

/** Up to n positions of rows, the largest by weight, in their natural order. */
function pick(rows: number[], weight: (k: number) => number, n: number): number[] {
  const all = rows.map((_, k) => k);
  if (all.length <= n) return all;
  return all.sort((a, b) => weight(b) - weight(a)).slice(0, n).sort((a, b) => a - b);
}
