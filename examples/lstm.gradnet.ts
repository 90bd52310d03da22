// An LSTM cell written by hand — a multi-output op with outputs h and c — unrolled over 3 steps.
//
//   z = [x, h_prev]·Wᵀ + b,   [i, f, g, o] = [σ(z_i), σ(z_f), tanh(z_g), σ(z_o)]   (the gates, [B, H] each)
//   c = f ⊙ c_prev + i ⊙ g,   h = o ⊙ tanh(c)
//
// The forward saves the gates and tanh(c) for the backward ({ outputs: { h, c }, saved }). The backward
// gets ∂L/∂h and ∂L/∂c (gradOutputs; a zero tensor for the last step's c, which nothing reads) and
// carries both back:
//
//   dc = gradOutputs.c + gradOutputs.h ⊙ o ⊙ (1 − tanh²c)     (c reaches the loss directly, and through h)
//   dc_prev = dc ⊙ f,   di = dc ⊙ g,   df = dc ⊙ c_prev,   dg = dc ⊙ i,   do = gradOutputs.h ⊙ tanh(c)
//   dz = [di·i(1 − i), df·f(1 − f), dg·(1 − g²), do·o(1 − o)],   dW = dzᵀ·[x, h_prev],   db = Σ_b dz
//
// W and b are network inputs, not a node's parameters: the three steps share them, so dL/dW sums the
// three steps' contributions (checked end to end as "W" and "b"). gradlens check: every node passes.
// examples/buggy/lstm-forgets-c.gradnet.ts is this cell with the c → c_prev path forgotten.
import { defineOp, map, network, type Tensor } from "gradlens";

const sigmoid = (v: number) => 1 / (1 + Math.exp(-v));

/** Columns [from, to) of a [B, n] tensor. */
function columns(t: Tensor, from: number, to: number): Tensor {
  const [B, n] = t.shape, w = to - from;
  const out = new Float64Array(B * w);
  for (let r = 0; r < B; r++) out.set(t.data.subarray(r * n + from, r * n + to), r * w);
  return { shape: [B, w], data: out };
}

/** [a, b] side by side: [B, m] and [B, n] → [B, m + n]. */
function sideBySide(a: Tensor, b: Tensor): Tensor {
  const [B, m] = a.shape, n = b.shape[1];
  const out = new Float64Array(B * (m + n));
  for (let r = 0; r < B; r++) {
    out.set(a.data.subarray(r * m, (r + 1) * m), r * (m + n));
    out.set(b.data.subarray(r * n, (r + 1) * n), r * (m + n) + m);
  }
  return { shape: [B, m + n], data: out };
}

/** A tensor of t's shape, entry k = f(k). */
const like = (t: Tensor, f: (k: number) => number): Tensor => map(t, (_, k) => f(k));

export const lstmCell = defineOp({
  name: "lstmCell",
  outputs: ["h", "c"],
  // inputs: x [B, D], h_prev [B, H], c_prev [B, H], W [4H, D + H], b [4H]
  outputShapes: ({ inputShapes: [, hPrev] }) => ({ h: hPrev, c: hPrev }),
  forward: ({ inputs: [x, hPrev, cPrev, W, b] }) => {
    const [B, H] = hPrev.shape, K = W.shape[1];
    const xh = sideBySide(x, hPrev);
    const z = new Float64Array(B * 4 * H);
    for (let r = 0; r < B; r++)
      for (let j = 0; j < 4 * H; j++) {
        let s = b.data[j];
        for (let k = 0; k < K; k++) s += xh.data[r * K + k] * W.data[j * K + k];
        z[r * 4 * H + j] = s;
      }
    const zT: Tensor = { shape: [B, 4 * H], data: z };
    const i = map(columns(zT, 0, H), sigmoid), f = map(columns(zT, H, 2 * H), sigmoid);
    const g = map(columns(zT, 2 * H, 3 * H), Math.tanh), o = map(columns(zT, 3 * H, 4 * H), sigmoid);
    const c = like(cPrev, (k) => f.data[k] * cPrev.data[k] + i.data[k] * g.data[k]);
    const tc = like(c, (k) => Math.tanh(c.data[k]));
    const h = like(c, (k) => o.data[k] * tc.data[k]);
    return { outputs: { h, c }, saved: { i, f, g, o, tc, xh } };
  },
  backward: ({ inputs: [x, , cPrev, W], gradOutputs: { h: gh, c: gc }, saved: { i, f, g, o, tc, xh } }) => {
    const [B, H] = cPrev.shape, D = x.shape[1], K = W.shape[1];
    // c reaches the loss directly (gc) and through h = o ⊙ tanh(c).
    const dc = like(cPrev, (k) => gc.data[k] + gh.data[k] * o.data[k] * (1 - tc.data[k] ** 2));
    const dcPrev = like(cPrev, (k) => dc.data[k] * f.data[k]);
    // ∂L/∂z for the four gates, through σ′ = σ(1 − σ) and tanh′ = 1 − tanh².
    const dz = new Float64Array(B * 4 * H);
    for (let r = 0; r < B; r++)
      for (let j = 0; j < H; j++) {
        const k = r * H + j, at = r * 4 * H + j;
        dz[at] = dc.data[k] * g.data[k] * i.data[k] * (1 - i.data[k]);
        dz[at + H] = dc.data[k] * cPrev.data[k] * f.data[k] * (1 - f.data[k]);
        dz[at + 2 * H] = dc.data[k] * i.data[k] * (1 - g.data[k] ** 2);
        dz[at + 3 * H] = gh.data[k] * tc.data[k] * o.data[k] * (1 - o.data[k]);
      }
    // z = xh·Wᵀ + b: dW = dzᵀ·xh, db = Σ_b dz, dxh = dz·W.
    const dW = new Float64Array(W.data.length), db = new Float64Array(4 * H), dxh = new Float64Array(B * K);
    for (let r = 0; r < B; r++)
      for (let j = 0; j < 4 * H; j++) {
        const d = dz[r * 4 * H + j];
        db[j] += d;
        for (let k = 0; k < K; k++) {
          dW[j * K + k] += d * xh.data[r * K + k];
          dxh[r * K + k] += d * W.data[j * K + k];
        }
      }
    const dxhT: Tensor = { shape: [B, K], data: dxh };
    return { inputs: [columns(dxhT, 0, D), columns(dxhT, D, K), dcPrev, { shape: W.shape, data: dW }, { shape: [4 * H], data: db }] };
  },
});

// B = 2 sequences, D = 3 features, H = 4 hidden units, 3 time steps.
export default network({
  name: "lstm",
  seed: 11,
  inputs: {
    x1: { shape: [2, 3] }, x2: { shape: [2, 3] }, x3: { shape: [2, 3] },
    h0: { shape: [2, 4] }, c0: { shape: [2, 4] },
    W: { shape: [16, 7] }, b: { shape: [16] },
    y: { shape: [2], classes: 3 },
  },
  nodes: [
    { id: "step1", op: lstmCell, inputs: ["x1", "h0", "c0", "W", "b"] },
    { id: "step2", op: lstmCell, inputs: ["x2", "step1:h", "step1:c", "W", "b"] },
    { id: "step3", op: lstmCell, inputs: ["x3", "step2:h", "step2:c", "W", "b"] },
    { id: "head", op: "linear", units: 3, inputs: ["step3:h"] },
    { id: "loss", op: "softmax_cross_entropy", inputs: ["head", "y"] },
  ],
});
