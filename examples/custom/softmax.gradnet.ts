// The lecture's classifier with softmax and cross-entropy written by hand
// (examples/buggy/softmax-diagonal.gradnet.ts and cross-entropy-sign.gradnet.ts
// get them wrong). Check it: gradlens check examples/custom/softmax.gradnet.ts
import { network } from "gradlens";
import { crossEntropy, mySoftmax } from "./layers";

export default network({
  name: "custom-softmax",
  seed: 1,
  inputs: { x: { shape: [4, 3] }, y: { shape: [4], classes: 3 } },
  nodes: [
    { id: "fc", op: "linear", units: 3 },
    { id: "p", op: mySoftmax },
    { id: "loss", op: crossEntropy, inputs: ["p", "y"] },
  ],
});
