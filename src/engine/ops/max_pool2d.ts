/**
 * max_pool2d: y[b, c, i, j] = max over the kh × kw window at (i·sh, j·sw) of x [B, C, H, W]
 * (no padding). The output depends on the window's maximum only, so dL/dx is g at
 * the argmax of each window and 0 elsewhere (windows that overlap add up).
 */
import type { AttrSpec, Attrs, OpDef } from "../op.js";
import { ShapeError } from "../op.js";
import { shapeText } from "../tensor.js";
import { attr, pair } from "./util.js";

const attrs: Record<string, AttrSpec> = {
  kernel: { type: "int|int[]", required: true, min: 1, doc: "Window size k or [kh, kw]." },
  stride: { type: "int|int[]", min: 1, doc: "Step between windows: s or [sh, sw]; default the kernel size (no overlap)." },
};

function geometry(a: Attrs) {
  const [kh, kw] = pair(attr(attrs, a, "kernel"), "kernel", "max_pool2d");
  const given = attr<number | number[] | undefined>(attrs, a, "stride");
  const [sh, sw] = given === undefined || given === null ? [kh, kw] : pair(given, "stride", "max_pool2d");
  return { kh, kw, sh, sw };
}

const outSize = (x: number[], g: { kh: number; kw: number; sh: number; sw: number }): [number, number] => [
  Math.floor((x[2] - g.kh) / g.sh) + 1,
  Math.floor((x[3] - g.kw) / g.sw) + 1,
];

/**
 * Flat index into x of the window's maximum.
 * NOTE: on a tie the gradient goes to the FIRST maximum in row-major window order
 * (strict `>`), a valid subgradient; the checker reports a tie as a kink.
 */
function argmaxAt(X: Float64Array, base: number, { Wd, kh, kw }: { Wd: number; kh: number; kw: number }): number {
  let best = base, bestValue = X[base];
  for (let u = 0; u < kh; u++)
    for (let v = 0; v < kw; v++) {
      const at = base + u * Wd + v;
      if (X[at] > bestValue) {
        bestValue = X[at];
        best = at;
      }
    }
  return best;
}

export const max_pool2d: OpDef = {
  name: "max_pool2d",
  builtin: true,
  summary: "Max over kh × kw windows of x [B, C, H, W] (stride default = kernel, no padding)",
  formula: "∂y/∂x = 1 at the window's argmax, else 0; dL/dx = g routed to each argmax (first one on a tie)",
  arity: 1,
  attrs,
  outputShape: ({ inputShapes: [x], attrs: a }) => {
    if (x.length !== 4) throw new ShapeError(`max_pool2d expects x [B, C, H, W], got ${shapeText(x)}`, 0);
    const g = geometry(a);
    const [ho, wo] = outSize(x, g);
    if (ho < 1 || wo < 1)
      throw new ShapeError(`max_pool2d kernel [${g.kh}, ${g.kw}] does not fit in x ${shapeText(x)}`, 0);
    return [x[0], x[1], ho, wo];
  },
  forward: ({ inputs: [x], attrs: a }) => {
    const g = geometry(a);
    const [B, C, H, Wd] = x.shape, [Ho, Wo] = outSize(x.shape, g);
    const X = x.data, Y = new Float64Array(B * C * Ho * Wo), window = { Wd, kh: g.kh, kw: g.kw };
    for (let bc = 0, o = 0; bc < B * C; bc++)
      for (let i = 0; i < Ho; i++)
        for (let j = 0; j < Wo; j++, o++) Y[o] = X[argmaxAt(X, (bc * H + i * g.sh) * Wd + j * g.sw, window)];
    return { shape: [B, C, Ho, Wo], data: Y };
  },
  backward: ({ inputs: [x], attrs: a, gradOutput: grad }) => {
    const g = geometry(a);
    const [B, C, H, Wd] = x.shape, [Ho, Wo] = outSize(x.shape, g);
    const X = x.data, G = grad.data, dx = new Float64Array(X.length), window = { Wd, kh: g.kh, kw: g.kw };
    for (let bc = 0, o = 0; bc < B * C; bc++)
      for (let i = 0; i < Ho; i++)
        for (let j = 0; j < Wo; j++, o++) dx[argmaxAt(X, (bc * H + i * g.sh) * Wd + j * g.sw, window)] += G[o];
    return { inputs: [{ shape: [...x.shape], data: dx }] };
  },
};
