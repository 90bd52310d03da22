/**
 * The computation graph (the folder graph/, one file per job): built from a
 * NetworkSpec with every semantic check (build.ts and the steps it calls:
 * inputs, resolve, order, attrs, labels, params), run forward (forward.ts),
 * backpropagated (backward.ts), drawn (view.ts). This file is the folder's
 * public face: import from here.
 */
export { buildGraph, describeNetwork, MAX_TENSOR_SIZE, type BuildOptions } from "./graph/build.js";
export { forward, lossOf, runForward, type ForwardResult } from "./graph/forward.js";
export { backward, runBackward, runBackwardBatch, type BackwardCall, type CheckedBackward, type Gradients } from "./graph/backward.js";
export { describeGraph, feedsOutput } from "./graph/view.js";
export { describeValue, UserOpError } from "./graph/user-op.js";
export { callUserOp, watchUserOps, type Mutation, type UserStep, type Watch } from "./graph/guard.js";
export type { Graph, GraphInput, GraphNode } from "./graph/types.js";
