/**
 * One local factor of the chain: ∂(node output)/∂wrt on the entries the
 * explained entry reaches — analytic rows from the node's backward with one-hot
 * upstream gradients, numeric columns by central differences of its forward
 * alone (the local check's helpers, at the values and with what the forward
 * pass saved). A node with several outputs has one factor per output: its rows
 * are that output's entries, and its backward gets the upstream gradient there
 * and zeros at the other outputs (the local check's `of`).
 */
import { callForward, type GraphNode } from "../graph.js";
import type { Tensor } from "../tensor.js";
import { Rng } from "../random.js";
import { DEFAULT_OPTIONS } from "../check.js";
import { backwardOf, gradOf, type LocalCheck, type Wrt } from "../check/local-node.js";

/** What the factor is taken with respect to: input position k, or a parameter. */
export type WrtKey = { kind: "input"; position: number } | { kind: "param"; name: string };

export interface FactorCall {
  node: GraphNode;
  values: Map<string, Tensor>;
  /** What the node's forward saved in the forward pass (its backward gets it). */
  saved?: unknown;
  wrt: WrtKey;
  h: number;
  /** Which output the factor is of (an index into node.outputValues); 0 for a node with one output. */
  output?: number;
}

/** The node alone, at the forward pass's values, as the local check calls it. */
function localCheckOf(call: FactorCall): { check: LocalCheck; w: Wrt } {
  const { node, values, wrt, saved } = call;
  const index = call.output ?? 0;
  const inputs = node.inputs.map((n) => values.get(n)!);
  const outputs = node.outputValues.map((v) => values.get(v)!);
  const check: LocalCheck = {
    node, inputs, output: outputs[index], opts: DEFAULT_OPTIONS, rng: new Rng(0), saved,
    ...(node.outputNames ? { of: { index, name: node.outputNames[index], outputs } } : {}),
  };
  const w: Wrt = wrt.kind === "input"
    ? { name: node.inputs[wrt.position], kind: "input", key: wrt.position, tensor: inputs[wrt.position] }
    : { name: wrt.name, kind: "param", key: wrt.name, tensor: node.params[wrt.name] };
  return { check, w };
}

/**
 * Columns ∂out/∂wrt[c] by central differences of the node's forward, for every output at once (one
 * forward pair per column): [output][cols][that output's size].
 */
export function numericColumnsByOutput(call: FactorCall, cols: number[]): Float64Array[][] {
  const { check, w } = localCheckOf(call);
  const { node } = call;
  const x = { shape: w.tensor.shape, data: new Float64Array(w.tensor.data) };
  // Positions, not names: a value may feed a node twice (x * x), and only this position is perturbed.
  const run = () => callForward(node, w.kind === "input" ? check.inputs.map((t, k) => (k === w.key ? x : t)) : check.inputs,
    w.kind === "param" ? { ...node.params, [w.key as string]: x } : node.params).outputs;
  const byOutput = node.outputValues.map(() => [] as Float64Array[]);
  for (const c of cols) {
    const orig = x.data[c];
    x.data[c] = orig + call.h;
    const plus = run();
    x.data[c] = orig - call.h;
    const minus = run();
    x.data[c] = orig;
    plus.forEach((p, k) => {
      const col = new Float64Array(p.data.length);
      for (let r = 0; r < col.length; r++) col[r] = (p.data[r] - minus[k].data[r]) / (2 * call.h);
      byOutput[k].push(col);
    });
  }
  return byOutput;
}

/** Rows ∂out[r]/∂wrt from the node's backward with upstream e_r, at the columns asked for: [rows][cols]. */
export function analyticRows(call: FactorCall, rows: number[], cols: number[]): Float64Array[] {
  const { check, w } = localCheckOf(call);
  const e = { shape: check.output.shape, data: new Float64Array(check.output.data.length) };
  return rows.map((r) => {
    e.data.fill(0);
    e.data[r] = 1;
    const g = gradOf(backwardOf(check, e), w);
    return Float64Array.from(cols, (c) => (g ? g.data[c] : 0));
  });
}

/**
 * What the node's backward sends to wrt for upstream gradient g at the factor's output (the real
 * vector–Jacobian product; zeros at a multi-output node's other outputs), at cols.
 */
export function sentDown(call: FactorCall, g: Tensor, cols: number[]): number[] {
  const { check, w } = localCheckOf(call);
  const grad = gradOf(backwardOf(check, g), w);
  return cols.map((c) => (grad ? grad.data[c] : 0));
}
