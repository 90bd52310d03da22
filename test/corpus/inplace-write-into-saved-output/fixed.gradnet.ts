// Corpus case inplace-write-into-saved-output — corrected twin of bug.gradnet.ts: swiglu's backward returns
// new tensors and leaves its inputs (the exponential's saved output among them) untouched.
import { defineOp, map, network, tensor, zip } from "gradlens";

const sigmoid = (v: number) => 1 / (1 + Math.exp(-v));

const exponential = defineOp({
  name: "exponential",
  forward: ({ inputs: [x] }) => map(x, Math.exp),
  backward: ({ output: out, gradOutput: g }) => ({ inputs: [zip(g, out, (gi, o) => gi * o)] }),
});

const swiglu = defineOp({
  name: "swiglu",
  forward: ({ inputs: [a, b] }) => zip(a, b, (ai, bi) => ai * sigmoid(ai) * bi),
  backward: ({ inputs: [a, b], gradOutput: dc }) => {
    const da = tensor(a.shape);
    const db = tensor(b.shape);
    for (let i = 0; i < a.data.length; i++) {
      const s = sigmoid(a.data[i]);
      const silu = a.data[i] * s;
      db.data[i] = dc.data[i] * silu;
      da.data[i] = dc.data[i] * b.data[i] * (s + silu * (1 - s));
    }
    return { inputs: [da, db] };
  },
});

export default network({
  name: "corpus-inplace-write-into-saved-output-fixed",
  seed: 26,
  inputs: { x: { shape: [4, 3] }, target: { shape: [4, 3] } },
  nodes: [
    { id: "fa", op: "linear", units: 3, inputs: ["x"] },
    { id: "e", op: exponential },
    { id: "fb", op: "linear", units: 3, inputs: ["x"] },
    { id: "s", op: swiglu, inputs: ["e", "fb"] },
    { id: "loss", op: "mse", inputs: ["s", "target"] },
  ],
});
