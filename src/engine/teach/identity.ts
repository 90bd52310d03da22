/**
 * The lecture's closed form for its own network, linear → softmax →
 * cross-entropy (or the fused softmax_cross_entropy): with p the softmax of the
 * logits l = x·Wᵀ + b, y the one-hot labels and B the batch,
 *   ∂L/∂w_{j,i} = (1/B) Σ_b (p_{b,j} − y_{b,j})·x_{b,i},   ∂L/∂b_j = (1/B) Σ_b (p_{b,j} − y_{b,j}),
 *   ∂L/∂x_{b,i} = (1/B) Σ_j (p_{b,j} − y_{b,j})·w_{j,i}.
 * It follows from the true derivatives, not from anyone's backward: the network
 * is recognised by its values (p must be the softmax of l), so it holds for a
 * softmax written by hand too, and a buggy backward departs from it.
 */
import type { Graph, GraphNode } from "../graph.js";
import type { LectureRole } from "../op.js";
import type { Tensor } from "../tensor.js";
import type { LectureIdentity } from "../../shared/teach.js";
import type { ResolvedEntry } from "./entry.js";

interface Lecture {
  linear: GraphNode;
  /** The softmax output p [B, C], and the labels y as class indices. */
  p: Float64Array;
  labels: Float64Array;
  B: number;
  C: number;
}

export function lectureIdentity(graph: Graph, entry: ResolvedEntry, values: Map<string, Tensor>): LectureIdentity | undefined {
  const linear = linearOf(graph, entry);
  const lecture = linear && lectureAfter(graph, linear, values);
  if (!lecture) return undefined;
  const { p, labels, B, C } = lecture;
  const x = values.get(linear!.inputs[0])!.data, W = linear!.params.W;
  const nIn = W.shape[1];
  const pMinusY = (b: number, j: number) => ({ p: p[b * C + j], y: labels[b] === j ? 1 : 0 });
  if (entry.node === linear) {
    const [j, i] = entry.param === "W" ? entry.index : [entry.index[0], -1];
    const terms = Array.from({ length: B }, (_, b) => {
      const { p: pj, y } = pMinusY(b, j);
      return i < 0 ? { index: [b], p: pj, y, product: pj - y } : { index: [b], p: pj, y, x: x[b * nIn + i], product: (pj - y) * x[b * nIn + i] };
    });
    const formula = i < 0 ? `(1/B) Σ_b (p[b,${j}] − y[b,${j}])` : `(1/B) Σ_b (p[b,${j}] − y[b,${j}])·x[b,${i}]`;
    return { formula, value: terms.reduce((s, t) => s + t.product, 0) / B, terms, batch: B };
  }
  const [b, i] = entry.index;
  const terms = Array.from({ length: C }, (_, j) => {
    const { p: pj, y } = pMinusY(b, j);
    return { index: [j], p: pj, y, w: W.data[j * nIn + i], product: (pj - y) * W.data[j * nIn + i] };
  });
  return { formula: `(1/B) Σ_j (p[${b},j] − y[${b},j])·w[j,${i}]`, value: terms.reduce((s, t) => s + t.product, 0) / B, terms, batch: B };
}

/** The built-in linear layer the entry is a weight, bias or input of. */
function linearOf(graph: Graph, entry: ResolvedEntry): GraphNode | undefined {
  const isLinear = (n: GraphNode | undefined) => roleOf(n) === "linear";
  if (entry.node) return isLinear(entry.node) && (entry.param === "W" || entry.param === "b") ? entry.node : undefined;
  const users = consumers(graph, entry.tensor);
  return users.length === 1 && isLinear(users[0]) && users[0].inputs[0] === entry.tensor && entry.index.length === 2 ? users[0] : undefined;
}

/** linear → softmax → cross_entropy (or → softmax_cross_entropy), ending the graph with a scalar loss. */
function lectureAfter(graph: Graph, linear: GraphNode, values: Map<string, Tensor>): Lecture | undefined {
  const l = values.get(linear.id)!;
  if (l.shape.length !== 2 || graph.projection) return undefined;
  const [B, C] = l.shape;
  const next = consumers(graph, linear.id);
  if (next.length !== 1) return undefined;
  const labelsOf = (loss: GraphNode) => {
    const y = graph.inputs.find((i) => i.id === loss.inputs[1]);
    return y?.classes !== undefined && loss.id === graph.output ? y.value.data : undefined;
  };
  const fused = next[0];
  if (roleOf(fused) === "softmax-cross-entropy" && fused.inputs[0] === linear.id) {
    const labels = labelsOf(fused);
    return labels && { linear, p: softmaxRows(l.data, B, C), labels, B, C };
  }
  const p = values.get(fused.id)!;
  const loss = consumers(graph, fused.id);
  if (loss.length !== 1 || roleOf(loss[0]) !== "cross-entropy" || loss[0].inputs[0] !== fused.id) return undefined;
  const labels = labelsOf(loss[0]);
  if (!labels || !isSoftmaxOf(p, l.data, B, C)) return undefined;
  return { linear, p: p.data, labels, B, C };
}

const consumers = (graph: Graph, id: string) => graph.nodes.filter((n) => n.inputs.includes(id));

/** A built-in's part in the lecture's network (a custom op's claim is not trusted: its backward is what is examined). */
const roleOf = (n: GraphNode | undefined): LectureRole | undefined => (n?.op.builtin ? n.op.lecture : undefined);

function softmaxRows(l: Float64Array, B: number, C: number): Float64Array {
  const p = new Float64Array(B * C);
  for (let b = 0; b < B; b++) {
    let max = -Infinity, total = 0;
    for (let j = 0; j < C; j++) max = Math.max(max, l[b * C + j]);
    for (let j = 0; j < C; j++) total += p[b * C + j] = Math.exp(l[b * C + j] - max);
    for (let j = 0; j < C; j++) p[b * C + j] /= total;
  }
  return p;
}

/** Is p (as the forward pass gave it) the softmax of l along the last axis? */
function isSoftmaxOf(p: Tensor, l: Float64Array, B: number, C: number): boolean {
  if (p.shape.length !== 2 || p.shape[0] !== B || p.shape[1] !== C) return false;
  const want = softmaxRows(l, B, C);
  return want.every((v, k) => Math.abs(v - p.data[k]) <= 1e-12);
}
