// Corpus case logaddexp-input-for-exp — BUG.
// Source: https://github.com/rsokl/MyGrad/pull/21 ("fix logaddexp backprop"); the line before the fix:
//     dLda = grad * self.a.data / (np.exp(self.a.data) + np.exp(self.b.data))
// (and the same for b): the numerator is a where it should be e^a.
//
// f(a, b) = log(e^a + e^b), ∂f/∂a = e^a / (e^a + e^b) = σ(a − b), ∂f/∂b = σ(b − a).
import { defineOp, network, zip } from "gradlens";

const logaddexp = defineOp({
  name: "logaddexp",
  forward: ({ inputs: [a, b] }) => zip(a, b, (ai, bi) => Math.log(Math.exp(ai) + Math.exp(bi))),
  backward: ({ inputs: [a, b], gradOutput: grad }) => ({
    inputs: [
      zip(grad, zip(a, b, (ai, bi) => ai / (Math.exp(ai) + Math.exp(bi))), (g, d) => g * d), // BUG: grad * a / (e^a + e^b): a where e^a belongs
      zip(grad, zip(a, b, (ai, bi) => bi / (Math.exp(ai) + Math.exp(bi))), (g, d) => g * d), // BUG: the same for b
    ],
  }),
});

export default network({
  name: "corpus-logaddexp-input-for-exp",
  seed: 7,
  inputs: { x: { shape: [4, 3] }, target: { shape: [4, 3] } },
  nodes: [
    { id: "fa", op: "linear", units: 3, inputs: ["x"] },
    { id: "fb", op: "linear", units: 3, inputs: ["x"] },
    { id: "lae", op: logaddexp, inputs: ["fa", "fb"] },
    { id: "loss", op: "mse", inputs: ["lae", "target"] },
  ],
});
