// An op given by its Jacobian (rows = outputs, columns = inputs) instead of a
// backward: gradlens multiplies the upstream gradient by it.
import { network } from "gradlens";
import { sigmoidByJacobian } from "./layers";

export default network({
  name: "custom-sigmoid-jacobian",
  seed: 5,
  inputs: { x: { shape: [4, 3] }, target: { shape: [4, 2] } },
  nodes: [
    { id: "fc", op: "linear", units: 2 },
    { id: "s", op: sigmoidByJacobian },
    { id: "loss", op: "mse", inputs: ["s", "target"] },
  ],
});
