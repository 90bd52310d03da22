// A hand-written mean over all entries as the loss
// (examples/buggy/mean-no-1-over-n.gradnet.ts forgets the 1/N in its backward).
import { network } from "gradlens";
import { meanAll } from "./layers";

export default network({
  name: "custom-mean",
  seed: 4,
  inputs: { x: { shape: [4, 3] } },
  nodes: [
    { id: "fc", op: "linear", units: 3 },
    { id: "h", op: "tanh" },
    { id: "loss", op: meanAll },
  ],
});
