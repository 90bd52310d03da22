// BUGGY on purpose: an LSTM cell (outputs h and c) whose backward forgets the c → c path.
//
// c = f ⊙ c_prev + i ⊙ g and h = o ⊙ tanh(c), so the gradient arriving at c_prev is
// dc ⊙ f with dc = gradOutputs.c + gradOutputs.h ⊙ o ⊙ (1 − tanh²c): the cell state reaches the
// loss directly and through h. The backward below gives c_prev only the part through h — the
// gradient that arrives at output c never flows back to c_prev. (The gates' gradients use the
// whole dc and are right.) In an unrolled LSTM that is the path that carries memory back in time.
//
// gradlens check fails at node `cell` with "zero", naming the output: "∂h/∂(every input and
// parameter), ∂c/∂x, ∂c/∂h0, ∂c/∂W and ∂c/∂b are right, ∂c/∂c0 is zero — the backward leaves out
// the path through output c: the gradient it returns for c0 has no gradOutputs.c · ∂c/∂c0 term,
// although c depends on it". The initial cell state c0 comes from a linear layer over x (an
// encoder of the initial state), so end to end its weights c0.W and c0.b get the wrong gradient —
// and gradient descent on them, with the analytic gradient, leaves the numeric curve
// (gradlens descent). The loss reads both h and c here:
// were c unread, gradOutputs.c would be zero in the network and dL/dc0 would come out right, but
// the local check (one output at a time, one-hot upstream gradients) would still catch it.
// The fix is examples/lstm.gradnet.ts.
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

const lstmCell = defineOp({
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
    // BUG: c_prev reaches the loss through c = f ⊙ c_prev + i ⊙ g, directly (gradOutputs.c) and through h; this
    // carries back only the part through h and forgets gradOutputs.c — the c → c path. (Right: dc ⊙ f.)
    const dcPrev = like(cPrev, (k) => gh.data[k] * o.data[k] * (1 - tc.data[k] ** 2) * f.data[k]);
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

export default network({
  name: "buggy-lstm-forgets-c",
  seed: 3,
  inputs: {
    x: { shape: [2, 3] }, h0: { shape: [2, 4] },
    W: { shape: [16, 7] }, b: { shape: [16] },
    y: { shape: [2], classes: 3 },
  },
  nodes: [
    { id: "c0", op: "linear", units: 4, inputs: ["x"] },
    { id: "cell", op: lstmCell, inputs: ["x", "h0", "c0", "W", "b"] },
    { id: "both", op: "concat", inputs: ["cell:h", "cell:c"] },
    { id: "head", op: "linear", units: 3 },
    { id: "loss", op: "softmax_cross_entropy", inputs: ["head", "y"] },
  ],
});
