/**
 * The computation graph (the folder graph/, one file per job): built from a
 * NetworkSpec with every semantic check (build.ts and the steps it calls:
 * inputs, resolve, order, attrs, labels, params), run forward (forward.ts, one
 * node's call in run-node.ts; values and outputs in outputs.ts),
 * backpropagated (backward.ts), drawn (view.ts). This file is the folder's
 * public face: import from here.
 */
export { buildGraph, describeNetwork, MAX_TENSOR_SIZE, type BuildOptions } from "./graph/build.js";
export { forward, lossOf, runForward, runNode, type ForwardResult } from "./graph/forward.js";
export { backwardOp, callForward, callOp, forwardOp, forwardTensor, forwardRng, normaliseOutput, rawForward, type ForwardNode, type NodeOutput } from "./graph/run-node.js";
export { declaredOutputs, outputNamesProblem, outputValuesOf, parseValueName, valueName } from "./graph/outputs.js";
export { backward, runBackward, runBackwardBatch, type BackwardCall, type CheckedBackward, type Gradients } from "./graph/backward.js";
export { describeGraph, feedsOutput, inputView, outputsView } from "./graph/view.js";
export { isDifferentiable } from "./graph/inputs.js";
export { describeValue, UserOpError } from "./graph/user-op.js";
export { callUserOp, watchUserOps, type Mutation, type UserStep, type Watch } from "./graph/guard.js";
export type { Graph, GraphInput, GraphNode } from "./graph/types.js";
