/**
 * End-to-end loss evaluations for finite differences. The straightforward
 * evaluator perturbs one entry in place, runs the whole forward pass, and
 * restores the entry exactly. Faster evaluators (caching what a perturbation
 * cannot change, worker pools) implement the same interface and must give the
 * same numbers.
 */
import { forward, type Graph } from "./graph.js";
import type { Tensor } from "./tensor.js";
import { parseTensorName } from "../shared/names.js";

export interface EndToEndEvaluator {
  /** L(θ + h·e_i) and L(θ − h·e_i) for each flat index i of the named tensor ("<node>.<param>" or an input). */
  entries(name: string, indices: number[], h: number, progress?: (k: number) => void): { plus: Float64Array; minus: Float64Array };
  /** L(θ + h·v) and L(θ − h·v). */
  directional(name: string, v: Float64Array, h: number): { plus: number; minus: number };
  dispose?(): void;
}

export function tensorByName(graph: Graph, name: string): Tensor {
  const parsed = parseTensorName(name);
  if (parsed.kind === "param") {
    const t = graph.nodes.find((n) => n.id === parsed.node)?.params[parsed.param];
    if (t) return t;
  } else {
    const inp = graph.inputs.find((i) => i.id === parsed.input);
    if (inp) return inp.value;
  }
  throw new Error(`no tensor named '${name}'`);
}

export class StraightEvaluator implements EndToEndEvaluator {
  constructor(private readonly graph: Graph) {}

  entries(name: string, indices: number[], h: number, progress?: (k: number) => void) {
    const t = tensorByName(this.graph, name);
    const plus = new Float64Array(indices.length), minus = new Float64Array(indices.length);
    indices.forEach((flat, k) => {
      const orig = t.data[flat];
      try {
        t.data[flat] = orig + h;
        plus[k] = forward(this.graph).loss;
        t.data[flat] = orig - h;
        minus[k] = forward(this.graph).loss;
      } finally {
        t.data[flat] = orig;
      }
      if (progress && k % 64 === 0) progress(k);
    });
    return { plus, minus };
  }

  directional(name: string, v: Float64Array, h: number) {
    const t = tensorByName(this.graph, name);
    const orig = new Float64Array(t.data);
    try {
      for (let i = 0; i < v.length; i++) t.data[i] = orig[i] + h * v[i];
      const plus = forward(this.graph).loss;
      for (let i = 0; i < v.length; i++) t.data[i] = orig[i] - h * v[i];
      const minus = forward(this.graph).loss;
      return { plus, minus };
    } finally {
      t.data.set(orig);
    }
  }
}
