/**
 * The registry of built-in ops: ONE list, turned into a name → OpDef map.
 * Registering a name twice throws (tfjs' hand-kept list once registered two
 * gradients twice; here that cannot happen silently).
 */
import type { DiagnosisHints, OpDef } from "../op.js";
import { activationOps } from "./activations.js";
import { arithmeticOps } from "./arithmetic.js";
import { attention } from "./attention.js";
import { binaryOps } from "./binary.js";
import { conv2d } from "./conv2d.js";
import { dropout } from "./dropout.js";
import { elementwiseOps } from "./elementwise.js";
import { embedding } from "./embedding.js";
import { linear } from "./linear.js";
import { lossOps } from "./losses.js";
import { matmul } from "./matmul.js";
import { max_pool2d } from "./max_pool2d.js";
import { normOps } from "./norm.js";
import { reduceOps } from "./reduce.js";
import { shapeOps } from "./shape.js";
import { slice } from "./slice.js";
import { softmaxOps } from "./softmax.js";
import { where } from "./where.js";
import { split } from "./split.js";

/** Every built-in op, once. */
export const builtinOpList: readonly OpDef[] = [
  linear,
  matmul,
  ...binaryOps,
  ...elementwiseOps,
  ...activationOps,
  ...arithmeticOps,
  where,
  ...softmaxOps,
  ...lossOps,
  ...reduceOps,
  ...shapeOps,
  slice,
  ...normOps,
  conv2d,
  max_pool2d,
  embedding,
  attention,
  split,
  dropout,
];

/** name → op; throws if two ops share a name. */
export function registerOps(ops: readonly OpDef[]): ReadonlyMap<string, OpDef> {
  const map = new Map<string, OpDef>();
  for (const op of ops) {
    if (map.has(op.name)) throw new Error(`op '${op.name}' is registered twice`);
    map.set(op.name, op);
  }
  return map;
}

export const builtinOps: ReadonlyMap<string, OpDef> = registerOps(builtinOpList);
export const builtinOpNames: readonly string[] = [...builtinOps.keys()];

/** "a, b or c" */
const inWords = (names: readonly string[]): string =>
  names.length < 2 ? names.join("") : `${names.slice(0, -1).join(", ")} or ${names[names.length - 1]}`;

/**
 * The built-ins that take class labels (`labelInputs`) or ids (`idInputs`), in words for messages:
 * "cross_entropy, embedding, nll or softmax_cross_entropy".
 */
export const labelOpsInWords: string = inWords(builtinOpList.filter((op) => op.labelInputs?.length || op.idInputs?.length).map((op) => op.name).sort());

/**
 * What a diagnosis may add about this op: its own `diagnosisHints`. A custom op
 * without any that is named after a built-in with hints (`mySoftmax` contains
 * "softmax", in any case) is read as a hand-written version of that built-in, and
 * gets its hints.
 */
export function diagnosisHintsOf(op: OpDef): DiagnosisHints | undefined {
  if (op.builtin || op.diagnosisHints) return op.diagnosisHints;
  const name = op.name.toLowerCase();
  return builtinOpList.find((b) => b.diagnosisHints && name.includes(b.name))?.diagnosisHints;
}
