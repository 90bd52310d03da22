// Corpus case elu-alpha-hardcoded — corrected twin of bug.gradnet.ts: y + α on the negative side.
// Source: https://github.com/tiny-dnn/tiny-dnn/pull/896 (Parameterization of elu layer). The backward
// line that was written for α = 1 and had to change once α became a parameter:
//     dx[j] = dy[j] * (y[j] > float_t(0) ? float_t(1) : (float_t(1) + y[j]));
// With α ≠ 1 it is right where x > 0 and wrong where x ≤ 0.
//
// elu(x) = x for x > 0, α(e^x − 1) otherwise; elu'(x) = 1 for x > 0, α·e^x = y + α otherwise.
import { defineOp, map, network, zip } from "gradlens";

const ALPHA = 0.5;

const elu = defineOp({
  name: "elu",
  forward: ({ inputs: [x] }) => map(x, (v) => (v > 0 ? v : ALPHA * (Math.exp(v) - 1))),
  backward: ({ output: y, gradOutput: dy }) => ({
    inputs: [zip(dy, y, (d, yj) => d * (yj > 0 ? 1 : ALPHA + yj))], // α·e^x = y + α where x ≤ 0
  }),
});

export default network({
  name: "corpus-elu-alpha-hardcoded-fixed",
  seed: 12,
  inputs: { x: { shape: [4, 3] }, target: { shape: [4, 3] } },
  nodes: [
    { id: "fc", op: "linear", units: 3 },
    { id: "act", op: elu },
    { id: "loss", op: "mse", inputs: ["act", "target"] },
  ],
});
