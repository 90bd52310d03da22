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

export interface UnaryOpSpec<K = number> {
  name: string;
  summary: string;
  /** The derivative in the lecture's notation (hover, README). */
  formula: string;
  attrs?: Record<string, AttrSpec>;
  /**
   * What the formulas read from the attributes, once per call (leaky_relu's slope,
   * clamp's bounds); it may throw a ShapeError for attributes that make no sense.
   */
  constant?: (attrs: Attrs) => K;
  /** y = f(x) for one entry; k is `constant`'s value (0 without one). */
  f: (x: number, k: K) => number;
  /** dL/dx for one entry, from the upstream g, the input x and the output y. */
  dx: (g: number, x: number, y: number, k: K) => number;
}

const like = (t: Tensor): Tensor => ({ shape: [...t.shape], data: new Float64Array(t.data.length) });

export function unaryOp<K = number>({ name, summary, formula, attrs, constant, f, dx }: UnaryOpSpec<K>): OpDef {
  const read = (a: Attrs): K => (constant ? constant(a) : (0 as unknown as K));
  return {
    name,
    builtin: true,
    summary,
    formula,
    arity: 1,
    ...(attrs ? { attrs } : {}),
    locality: { kind: "elementwise" },
    outputShape: ({ inputShapes, attrs: a }) => {
      read(a); // attributes that make no sense fail at build time, at the node
      return [...inputShapes[0]];
    },
    forward: ({ inputs: [x], attrs: a }) => {
      const k = read(a);
      const y = like(x), xd = x.data, yd = y.data;
      for (let i = 0; i < xd.length; i++) yd[i] = f(xd[i], k);
      return y;
    },
    backward: ({ inputs: [x], output: y, attrs: a, gradOutput: g }) => {
      const k = read(a);
      const d = like(x), xd = x.data, yd = y.data, gd = g.data, dd = d.data;
      for (let i = 0; i < xd.length; i++) dd[i] = dx(gd[i], xd[i], yd[i], k);
      return { inputs: [d] };
    },
  };
}
