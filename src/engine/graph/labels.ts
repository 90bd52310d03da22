/**
 * Inputs that are never differentiated: class labels (and ids, read from "classes" inputs), and
 * constant inputs. Where labels may go, and whether their classes fit the scores they index.
 */
import { NetworkError, type NodeSpec, type SpecPath } from "../network.js";
import { shapeText } from "../tensor.js";
import type { Resolved } from "./resolve.js";
import { labelOpsInWords } from "../ops/index.js";

/**
 * The input positions of a node that are never differentiated: the op's
 * declared label and id inputs, which must be "classes" inputs; for a custom
 * op any other "classes" input it is given; and every position fed by a
 * constant input (any op may read one). A built-in takes labels only where it
 * declares label or id inputs.
 */
export function labelPositions(r: Resolved, labels: ReadonlyMap<string, number>, constants: ReadonlySet<string> = new Set()): Set<number> {
  const ids = new Set(r.op.idInputs ?? []);
  const labelPositions = new Set<number>([...(r.op.labelInputs ?? []), ...ids]);
  r.inputs.forEach((name, k) => {
    const isLabelInput = labels.has(name);
    if (labelPositions.has(k) && !isLabelInput) {
      const what = ids.has(k) ? "integer ids" : "class labels";
      throw new NetworkError(`${r.op.name} takes ${what} as input ${k + 1}, but '${name}' is not a "classes" input${constants.has(name) ? " (it is a constant input; give it \"classes\": C to hold integers in [0, C))" : ""}`, inputPath(r, k));
    }
    if (!labelPositions.has(k) && isLabelInput) {
      if (r.op.builtin) throw new NetworkError(`'${name}' holds class labels; ${r.op.name} cannot take it as input ${k + 1} (labels go to ${labelOpsInWords})`, inputPath(r, k));
      labelPositions.add(k); // a custom op may read labels; they are never differentiated
    }
    if (constants.has(name)) labelPositions.add(k);
  });
  return labelPositions;
}

/**
 * A built-in loss reads label y_b as a column of its scores [B, C]: a label
 * input with more classes than C could name a column that is not there.
 */
export function checkClassCount(r: Resolved, inputs: readonly { id: string; classes?: number }[], inputShapes: number[][]): void {
  const scores = inputShapes[0];
  const C = scores[scores.length - 1];
  for (const k of r.op.labelInputs ?? []) {
    const labels = inputs.find((i) => i.id === r.inputs[k]);
    if (labels?.classes === undefined || labels.classes <= C) continue;
    throw new NetworkError(
      `'${labels.id}' has ${labels.classes} classes, but ${r.spec.id} (${r.op.name}) scores only ${C} (its input '${r.inputs[0]}' has shape ${shapeText(scores)}): a label could name a class with no score`,
      ["inputs", labels.id, "classes"],
    );
  }
}

/** Where input k of a node is written: its "inputs" entry, or its "op" when the inputs are implicit. */
export function inputPath(r: { spec: NodeSpec; index: number }, k: number): SpecPath {
  return r.spec.inputs !== undefined ? ["nodes", r.index, "inputs", k] : ["nodes", r.index, "op"];
}
