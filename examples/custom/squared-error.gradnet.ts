// Regression with a hand-written tanh and squared error
// (examples/buggy/squared-error-no-2.gradnet.ts drops the 2 of d(e²)/de = 2e;
// examples/buggy/backward-zeros.gradnet.ts never writes tanh's gradient).
import { network } from "gradlens";
import { myTanh, squaredError } from "./layers";

export default network({
  name: "custom-squared-error",
  seed: 3,
  inputs: { x: { shape: [4, 3] }, target: { shape: [4, 2] } },
  nodes: [
    { id: "fc", op: "linear", units: 2 },
    { id: "h", op: myTanh },
    { id: "loss", op: squaredError, inputs: ["h", "target"] },
  ],
});
