/**
 * One local factor of the chain: ∂(node output)/∂wrt on the entries the
 * explained entry reaches — analytic rows from the node's backward with one-hot
 * upstream gradients, numeric columns by central differences of its forward
 * alone (the local check's helpers, at the values the forward pass gave it).
 */
import type { GraphNode } from "../graph.js";
import type { Tensor } from "../tensor.js";
import { Rng } from "../random.js";
import { DEFAULT_OPTIONS } from "../check.js";
import { backwardOf, forwardWith, gradOf, type LocalCheck, type Wrt } from "../check/local-node.js";

/** What the factor is taken with respect to: input position k, or a parameter. */
export type WrtKey = { kind: "input"; position: number } | { kind: "param"; name: string };

export interface FactorCall {
  node: GraphNode;
  values: Map<string, Tensor>;
  wrt: WrtKey;
  h: number;
}

/** The node alone, at the forward pass's values, as the local check calls it. */
function localCheckOf(call: FactorCall): { check: LocalCheck; w: Wrt } {
  const { node, values, wrt } = call;
  const inputs = node.inputs.map((n) => values.get(n)!);
  const check: LocalCheck = { node, inputs, output: values.get(node.id)!, opts: DEFAULT_OPTIONS, rng: new Rng(0) };
  const w: Wrt = wrt.kind === "input"
    ? { name: node.inputs[wrt.position], kind: "input", key: wrt.position, tensor: inputs[wrt.position] }
    : { name: wrt.name, kind: "param", key: wrt.name, tensor: node.params[wrt.name] };
  return { check, w };
}

/** Columns ∂out/∂wrt[c] by central differences of the node's forward, each the whole output: [cols][out size]. */
export function numericColumns(call: FactorCall, cols: number[]): Float64Array[] {
  const { check, w } = localCheckOf(call);
  const x = { shape: w.tensor.shape, data: new Float64Array(w.tensor.data) };
  return cols.map((c) => {
    const orig = x.data[c];
    x.data[c] = orig + call.h;
    const plus = forwardWith(check, w, x).data;
    x.data[c] = orig - call.h;
    const minus = forwardWith(check, w, x).data;
    x.data[c] = orig;
    const col = new Float64Array(plus.length);
    for (let r = 0; r < col.length; r++) col[r] = (plus[r] - minus[r]) / (2 * call.h);
    return col;
  });
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

/** What the node's backward sends to wrt for upstream gradient g (the real vector–Jacobian product), at cols. */
export function sentDown(call: FactorCall, g: Tensor, cols: number[]): number[] {
  const { check, w } = localCheckOf(call);
  const grad = gradOf(backwardOf(check, g), w);
  return cols.map((c) => (grad ? grad.data[c] : 0));
}
