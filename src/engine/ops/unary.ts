/**
 * `unaryOp`: an elementwise op y = f(x) from its two formulas, per entry.
 *
 * The Jacobian of y = f(x) is diagonal, so the backward is dL/dx = g ⊙ f′(x) with
 * g = dL/dy the upstream gradient; `dx(g, x, y, k)` gives one entry of it (from x,
 * or from the saved output y where f′ is written with y: σ(1 − σ), 1 − tanh²).
 * The op is elementwise for the incremental evaluator (`locality`).
 */
import type { AttrSpec, Attrs, OpDef } from "../op.js";
import type { Tensor } from "../tensor.js";

export interface UnaryOpSpec {
  name: string;
  summary: string;
  /** The derivative in the lecture's notation (hover, README). */
  formula: string;
  attrs?: Record<string, AttrSpec>;
  /** A number the formulas read, from the attributes, once per call (leaky_relu's slope). */
  constant?: (attrs: Attrs) => number;
  /** y = f(x) for one entry; k is `constant`'s value (0 without one). */
  f: (x: number, k: number) => number;
  /** dL/dx for one entry, from the upstream g, the input x and the output y. */
  dx: (g: number, x: number, y: number, k: number) => number;
}

const like = (t: Tensor): Tensor => ({ shape: [...t.shape], data: new Float64Array(t.data.length) });

export function unaryOp({ name, summary, formula, attrs, constant, f, dx }: UnaryOpSpec): OpDef {
  return {
    name,
    builtin: true,
    summary,
    formula,
    arity: 1,
    ...(attrs ? { attrs } : {}),
    locality: { kind: "elementwise" },
    outputShape: ({ inputShapes }) => [...inputShapes[0]],
    forward: ({ inputs: [x], attrs: a }) => {
      const k = constant ? constant(a) : 0;
      const y = like(x), xd = x.data, yd = y.data;
      for (let i = 0; i < xd.length; i++) yd[i] = f(xd[i], k);
      return y;
    },
    backward: ({ inputs: [x], output: y, attrs: a, gradOutput: g }) => {
      const k = constant ? constant(a) : 0;
      const d = like(x), xd = x.data, yd = y.data, gd = g.data, dd = d.data;
      for (let i = 0; i < xd.length; i++) dd[i] = dx(gd[i], xd[i], yd[i], k);
      return { inputs: [d] };
    },
  };
}
