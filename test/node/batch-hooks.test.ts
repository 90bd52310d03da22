// The op hooks for ops whose every call is costly (Python layers, issue 12): the local check
// sends all the perturbed forwards of one (node, input or parameter) through one function, and
// an op with `forwardBatch` gets them in one call per batch (the columns, then any second steps);
// `backwardBatch` gets the one-hot rows and the probes. The numbers are the same as without them.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { checkGraph } from "../../src/engine/check.js";
import { buildGraph } from "../../src/engine/graph.js";
import type { NetworkSpec } from "../../src/engine/network.js";
import { defineOp, type ForwardContext, type OpDef, type Perturbation } from "../../src/engine/op.js";
import { tensor, type Tensor } from "../../src/engine/tensor.js";
import type { Report } from "../../src/shared/report.js";

/** y = tanh(x·w) per column, with a parameter: inputs and params both perturbed. */
function forwardOf({ inputs: [x], params: { w } }: ForwardContext): Tensor {
  const n = w.data.length;
  return tensor(x.shape, x.data.map((v, i) => Math.tanh(v * w.data[i % n])));
}

const base = {
  name: "scaledTanh",
  params: { w: { shape: ({ inputShapes: [x] }: { inputShapes: number[][] }) => [x[x.length - 1]], init: "normal" as const } },
  forward: forwardOf,
  backward: ({ inputs: [x], params: { w }, output: y, gradOutput: g }: Parameters<NonNullable<OpDef["backward"]>>[0]) => {
    const n = w.data.length;
    const dw = new Float64Array(n);
    const dx = x.data.map((v, i) => {
      const d = g.data[i] * (1 - y.data[i] ** 2);
      dw[i % n] += d * v;
      return d * w.data[i % n];
    });
    return { inputs: [tensor(x.shape, dx)], params: { w: tensor([n], dw) } };
  },
};

function counting() {
  const calls = { forward: 0, backward: 0, forwardBatch: 0, backwardBatch: 0, perturbations: 0 };
  const op = defineOp({
    ...base,
    forward: (ctx) => (calls.forward++, forwardOf(ctx)),
    backward: (ctx) => (calls.backward++, base.backward(ctx)),
    forwardBatch: (ctx, perturbations: Perturbation[]) => {
      calls.forwardBatch++;
      calls.perturbations += perturbations.length;
      return perturbations.map((p) => {
        const replaced = (t: Tensor) => {
          const copy = tensor(t.shape, new Float64Array(t.data));
          for (let k = 0; k < p.indices.length; k++) copy.data[p.indices[k]] = p.values[k];
          return copy;
        };
        const inputs = ctx.inputs.map((t, i) => (p.input === i ? replaced(t) : t));
        const params = Object.fromEntries(Object.entries(ctx.params).map(([name, t]) => [name, p.param === name ? replaced(t) : t]));
        return forwardOf({ ...ctx, inputs, params });
      });
    },
    backwardBatch: (ctx, gradOutputs) => (calls.backwardBatch++, gradOutputs.map((gradOutput) => base.backward({ ...ctx, gradOutput }))),
  });
  return { op, calls };
}

function spec(op: OpDef): NetworkSpec {
  return { seed: 8, inputs: { x: { shape: [3, 4] } }, nodes: [{ id: "fc", op: "linear", units: 4 }, { id: "s", op }, { id: "loss", op: "mean" }] };
}

/** The report without timings and without anything that names how the numbers were computed. */
function numbers(r: Report): string {
  return JSON.stringify({ ...r, timings: undefined });
}

describe("forwardBatch and backwardBatch", () => {
  for (const mode of ["exhaustive", "sampled", "fast"] as const) {
    test(`the check uses them and gives the same report as the plain op (${mode})`, () => {
      const { op, calls } = counting();
      const plain = checkGraph(buildGraph(spec(defineOp(base))), { mode, samples: 3, endToEnd: false });
      const batched = checkGraph(buildGraph(spec(op)), { mode, samples: 3, endToEnd: false });
      assert.equal(numbers(batched), numbers(plain));
      assert.ok(calls.forwardBatch >= 2, `forwardBatch calls: ${calls.forwardBatch}`);
      assert.ok(calls.backwardBatch >= 1, `backwardBatch calls: ${calls.backwardBatch}`);
      // One forwardBatch per (node, wrt) — x and w — plus the determinism probe's plain forward and the forward pass.
      if (mode !== "fast") assert.equal(calls.forwardBatch, 2, "one batch of perturbed forwards per input and parameter");
      assert.ok(calls.backward === 0 || calls.backward <= 1, `plain backward calls: ${calls.backward} (the forward pass's backprop)`);
    });
  }

  test("in exhaustive mode the perturbations are the Jacobian's columns, ± each: 2·(12 + 4)", () => {
    const { op, calls } = counting();
    checkGraph(buildGraph(spec(op)), { mode: "exhaustive", endToEnd: false });
    assert.equal(calls.perturbations, 2 * (12 + 4));
  });
});
