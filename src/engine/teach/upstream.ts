/**
 * The upstream gradient dL/d(value) two ways: analytic from backprop
 * (what the user's backwards give), numeric by central differences of the loss
 * in that node's output, everything upstream of the node held at its forward
 * value (the incremental evaluator moves one cached entry and recomputes only
 * what lies downstream).
 */
import { backward, forward, type Graph } from "../graph.js";
import { IncrementalEvaluator } from "../incremental.js";
import { tensor, type Tensor } from "../tensor.js";

/** The forward values, the analytic gradients and an evaluator of the loss, at the network's values. */
export interface Upstream {
  graph: Graph;
  loss: number;
  values: Map<string, Tensor>;
  /** What each node's forward saved (node id → saved), for its backward. */
  saved: Map<string, unknown>;
  /** ∂L/∂value for every input and node output (zeros for one that does not reach the loss). */
  analytic(name: string): Tensor;
  /** ∂L/∂θ for "<node>.<param>". */
  paramGradient(name: string): Tensor | undefined;
  /** dL/d(value) at these flat indices, by central differences with step h; a value is a node id or "cell:c". */
  numeric(value: string, indices: ArrayLike<number>, h: number): Float64Array;
  evaluator: IncrementalEvaluator;
}

export function upstreamOf(graph: Graph): Upstream {
  const { values, loss, saved } = forward(graph);
  const grads = backward(graph, values, saved);
  const evaluator = new IncrementalEvaluator(graph);
  return {
    graph, loss, values, saved, evaluator,
    analytic: (name) => grads.values.get(name) ?? tensor(values.get(name)!.shape),
    paramGradient: (name) => grads.params.get(name),
    numeric: (value, indices, h) => centralDifferences(evaluator.outputEntries(value, indices, h), h),
  };
}

export function centralDifferences({ plus, minus }: { plus: Float64Array; minus: Float64Array }, h: number): Float64Array {
  const out = new Float64Array(plus.length);
  for (let k = 0; k < plus.length; k++) out[k] = (plus[k] - minus[k]) / (2 * h);
  return out;
}
