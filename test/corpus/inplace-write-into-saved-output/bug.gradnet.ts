// Corpus case inplace-write-into-saved-output — BUG.
// Source: https://github.com/linkedin/Liger-Kernel/issues/254 ("Are you even allowed to do these ops inplace?"):
// Liger's swiglu backward writes its gradients into its input tensors (src/liger_kernel/ops/swiglu.py#L59-L60),
// and "if we have an op like swiglu that modifies inputs in backwards: x_exp = Exponential.apply(x);
// y = swiglu(x_exp, ...)" then Exponential — which "saves the output for backprop" — reads a corrupted output.
//
// swiglu(a, b) = silu(a)·b: dL/da = g·b·silu'(a), dL/db = g·silu(a), returned as new tensors.
// exp(x): dL/dx = g·e^x = g·y, read from its own (saved) output y.
import { defineOp, map, network, zip } from "gradlens";

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
    for (let i = 0; i < a.data.length; i++) {
      const s = sigmoid(a.data[i]);
      const silu = a.data[i] * s;
      const db = dc.data[i] * silu;
      const da = dc.data[i] * b.data[i] * (s + silu * (1 - s));
      a.data[i] = da; // BUG: the gradient written into the input tensor a (the exponential's saved output)
      b.data[i] = db; // BUG: and into b
    }
    return { inputs: [a, b] };
  },
});

export default network({
  name: "corpus-inplace-write-into-saved-output",
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
