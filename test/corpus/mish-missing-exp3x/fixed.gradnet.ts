// Corpus case mish-missing-exp3x — corrected twin of bug.gradnet.ts: ω with its e^(3x) term.
// Source: https://github.com/explosion/thinc/pull/578 ("Fix incorrect numerator of backprop_mish in Ops").
// thinc's backprop_mish before the fix built the numerator without its e^(3x) term:
//     omega = 4.0 * (Xsub + 1.0)
//     omega += 4.0 * xp.exp(2.0 * Xsub)
//     omega += xp.exp(Xsub) * ((4.0 * Xsub) + 6.0)        # the fix adds: omega += xp.exp(3.0 * Xsub)
//
// mish(x) = x·tanh(softplus(x)); mish'(x) = e^x·ω / δ² with
// ω = 4(x + 1) + 4e^(2x) + e^(3x) + e^x(4x + 6) and δ = 2e^x + e^(2x) + 2 (below the threshold 20).
import { defineOp, map, network, tensor } from "gradlens";

const THRESHOLD = 20;

const mish = defineOp({
  name: "mish",
  forward: ({ inputs: [X] }) => map(X, (x) => (x < THRESHOLD ? x * Math.tanh(Math.log1p(Math.exp(x))) : x)),
  backward: ({ inputs: [X], gradOutput: dY }) => {
    const dX = tensor(X.shape);
    for (let i = 0; i < X.data.length; i++) {
      const x = X.data[i];
      if (x >= THRESHOLD) {
        dX.data[i] = dY.data[i];
        continue;
      }
      let omega = 4.0 * (x + 1.0);
      omega += 4.0 * Math.exp(2.0 * x);
      omega += Math.exp(3.0 * x);
      omega += Math.exp(x) * (4.0 * x + 6.0);
      let delta = 2.0 * Math.exp(x);
      delta += Math.exp(2.0 * x);
      delta += 2.0;
      dX.data[i] = dY.data[i] * ((Math.exp(x) * omega) / delta ** 2);
    }
    return { inputs: [dX] };
  },
});

export default network({
  name: "corpus-mish-missing-exp3x-fixed",
  seed: 10,
  inputs: { x: { shape: [4, 3] }, target: { shape: [4, 3] } },
  nodes: [
    { id: "fc", op: "linear", units: 3 },
    { id: "act", op: mish },
    { id: "loss", op: "mse", inputs: ["act", "target"] },
  ],
});
