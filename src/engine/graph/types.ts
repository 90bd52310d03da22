/** The built graph: what buildGraph returns and forward, backward and the check walk. */
import type { Attrs, OpDef } from "../op.js";
import type { NetworkSpec } from "../network.js";
import type { Tensor } from "../tensor.js";

export interface GraphInput {
  id: string;
  shape: number[];
  /** Set for label inputs: integer classes in [0, classes). Never differentiated. */
  classes?: number;
  /** "constant": true — never differentiated, never in gradients[]. */
  constant?: boolean;
  value: Tensor;
}

export interface GraphNode {
  id: string;
  op: OpDef;
  /** The values it reads: input ids, node ids, or "node:output" for an output of a multi-output node. */
  inputs: string[];
  attrs: Attrs;
  params: Record<string, Tensor>;
  inputShapes: number[][];
  /** The (first) output's shape. */
  outputShape: number[];
  /** A multi-output node's output names, in order ("h", "c"); undefined for a single output. */
  outputNames?: string[];
  /** The values it produces, in order: [id], or ["id:h", "id:c"] for a multi-output node. */
  outputValues: string[];
  /** Each output's shape, in the order of outputValues. */
  outputShapes: number[][];
  /** Seed of the stream its forward gets as `rng`: from the network's seed and the node's id. */
  rngSeed: number;
  /** Position in spec.nodes (for locations). */
  specIndex: number;
  /** Input positions that are never differentiated: class labels, ids, and constant inputs. */
  labelInputs: Set<number>;
  /** The block the node belongs to (the spec's "group"), drawn as one collapsible box. */
  group?: string;
}

export interface Graph {
  name: string;
  seed: number;
  file?: string;
  inputs: GraphInput[];
  /** Topological order. */
  nodes: GraphNode[];
  /** The value whose value is the loss: a node id, or "node:output". */
  output: string;
  /** Fixed seeded projection r when the output is not a scalar: L = Σ rᵢ·outᵢ. */
  projection?: Float64Array;
  spec: NetworkSpec;
}
