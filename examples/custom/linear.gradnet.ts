// A hand-written linear layer y = x·Wᵀ + b with a square W, its parameter
// shapes derived from the input's (examples/buggy/linear-transpose.gradnet.ts
// forgets a transpose in its backward), after a built-in linear layer that
// learns through its dL/dx.
import { network } from "gradlens";
import { myLinear } from "./layers";

export default network({
  name: "custom-linear",
  seed: 2,
  inputs: { x: { shape: [4, 3] }, y: { shape: [4], classes: 3 } },
  nodes: [
    { id: "hidden", op: "linear", units: 3 },
    { id: "fc", op: myLinear },
    { id: "loss", op: "softmax_cross_entropy", inputs: ["fc", "y"] },
  ],
});
