/** The built graph: what buildGraph returns and forward, backward and the check walk. */
import type { Attrs, OpDef } from "../op.js";
import type { NetworkSpec } from "../network.js";
import type { Tensor } from "../tensor.js";

export interface GraphInput {
  id: string;
  shape: number[];
  /** Set for label inputs: integer classes in [0, classes). Never differentiated. */
  classes?: number;
  value: Tensor;
}

export interface GraphNode {
  id: string;
  op: OpDef;
  inputs: string[];
  attrs: Attrs;
  params: Record<string, Tensor>;
  inputShapes: number[][];
  outputShape: number[];
  /** Position in spec.nodes (for locations). */
  specIndex: number;
  /** Input positions that must not be differentiated (labels). */
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
  output: string;
  /** Fixed seeded projection r when the output is not a scalar: L = Σ rᵢ·outᵢ. */
  projection?: Float64Array;
  spec: NetworkSpec;
}
