/**
 * Every node's forward value and its upstream gradient dL/d(node), analytic
 * beside numeric (micrograd's data and grad on every node): the panel's node
 * summaries and the heatmaps of a selected node. A large output is compared on
 * a seeded sample of its entries.
 */
import type { Graph } from "../graph.js";
import { feedsOutput } from "../graph.js";
import { passes } from "../compare.js";
import { deriveSeed, Rng } from "../random.js";
import { DEFAULTS } from "../../shared/defaults.js";
import { paramName } from "../../shared/names.js";
import type { GradientValues, NetworkValues, NodeValues } from "../../shared/teach.js";
import type { Tensor } from "../tensor.js";
import { centralDifferences } from "./upstream.js";
import { upstreamOf, type Upstream } from "./upstream.js";

/** Tensors up to this many entries are sent whole; above it, only their summaries. */
export const VALUES_LIMIT = 4096;

export interface ValuesOptions {
  step?: number;
  /** Entries compared per node output above VALUES_LIMIT. */
  samples?: number;
}

export function networkValues(graph: Graph, opts: ValuesOptions = {}): NetworkValues {
  const up = upstreamOf(graph);
  const feeds = feedsOutput(graph);
  const step = opts.step ?? DEFAULTS.step;
  const tensors = [
    ...graph.nodes.flatMap((n) => Object.entries(n.params).map(([p, t]) => ({ name: paramName(n.id, p), value: t, grad: up.paramGradient(paramName(n.id, p)) }))),
    ...graph.inputs.filter((i) => i.classes === undefined && !i.constant).map((i) => ({ name: i.id, value: i.value, grad: up.analytic(i.id) })),
  ];
  return {
    loss: up.loss, nodes: graph.nodes.map((n) => nodeValues(up, n.id, n.outputValues[0], feeds.has(n.id), opts)),
    gradients: tensors.map((t) => gradientValues(up, t, step, opts.samples)),
  };
}

/** dL/dθ of one tensor: backprop beside central differences of the whole loss. */
function gradientValues(up: Upstream, t: { name: string; value: Tensor; grad?: Tensor }, step: number, samples?: number): GradientValues {
  const size = t.value.data.length;
  const indices = size <= VALUES_LIMIT ? null : new Rng(deriveSeed(up.graph.seed, `values:${t.name}`)).sample(size, samples ?? DEFAULTS.samples);
  const at = indices ?? Array.from({ length: size }, (_, i) => i);
  const g = t.grad?.data ?? new Float64Array(size);
  const numeric = centralDifferences(up.evaluator.entries(t.name, at, step), step);
  return { name: t.name, shape: t.value.shape, analytic: at.map((i) => g[i]), numeric: Array.from(numeric), numericIndices: indices };
}

/** `value`: the node's value name (its id; for a node with several outputs, its first output's "id:name"). */
function nodeValues(up: Upstream, id: string, valueName: string, used: boolean, opts: ValuesOptions): NodeValues {
  const value = up.values.get(valueName)!;
  const size = value.data.length;
  const whole = size <= VALUES_LIMIT;
  const indices = whole ? null : new Rng(deriveSeed(up.graph.seed, `values:${id}`)).sample(size, opts.samples ?? DEFAULTS.samples);
  const g = up.analytic(valueName).data;
  const at = indices ?? Array.from({ length: size }, (_, i) => i);
  const numeric = used ? up.numeric(id, at, opts.step ?? DEFAULTS.step) : new Float64Array(at.length);
  let maxDifference = 0, departs = false;
  at.forEach((flat, k) => {
    maxDifference = Math.max(maxDifference, Math.abs(g[flat] - numeric[k]));
    if (!passes(g[flat], numeric[k], DEFAULTS)) departs = true;
  });
  let sum = 0, maxAbs = 0, gradMax = 0;
  for (let i = 0; i < size; i++) {
    sum += value.data[i];
    maxAbs = Math.max(maxAbs, Math.abs(value.data[i]));
    gradMax = Math.max(gradMax, Math.abs(g[i]));
  }
  return {
    id, shape: value.shape, value: whole ? Array.from(value.data) : [],
    upstreamAnalytic: whole ? Array.from(g) : at.map((i) => g[i]), upstreamNumeric: Array.from(numeric), numericIndices: indices,
    valueMean: size ? sum / size : 0, valueMaxAbs: maxAbs, gradMaxAbs: gradMax, maxDifference, departs,
    ...(used ? {} : { unused: true }),
  };
}
