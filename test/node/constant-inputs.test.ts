// Constant inputs ("constant": true), class inputs read as ids (an op's idInputs), the
// attribute types ops declare (strings, bounded numbers), and gradientTarget: what a
// gradient may be asked of.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { ConfigError, loadNetworkText } from "../../src/config/load.js";
import { attrSchema } from "../../src/config/schema/build.js";
import { checkGraph } from "../../src/engine/check.js";
import { backward, buildGraph, describeNetwork, forward } from "../../src/engine/graph.js";
import { NetworkError, type NetworkSpec } from "../../src/engine/network.js";
import { defineOp, type OpDef } from "../../src/engine/op.js";
import { gradientTarget } from "../../src/engine/targets.js";
import { toMermaid } from "../../src/shared/mermaid.js";

const masked: NetworkSpec = {
  seed: 3,
  inputs: {
    x: { shape: [4, 3] },
    mask: { shape: [4, 3], constant: true },
    target: { values: [[1, 0, 0], [0, 1, 0], [0, 0, 1], [1, 1, 1]], constant: true },
  },
  nodes: [
    { id: "fc", op: "linear", units: 3 },
    { id: "m", op: "mul", inputs: ["fc", "mask"] },
    { id: "loss", op: "mse", inputs: ["m", "target"] },
  ],
};

function networkError(f: () => unknown): NetworkError {
  try {
    f();
  } catch (e) {
    assert.ok(e instanceof NetworkError, `a NetworkError, got ${e}`);
    return e;
  }
  assert.fail("no error");
}

describe("constant inputs", () => {
  test("never differentiated: no Jacobian against them, not in gradients[], marked constant in the report", () => {
    const report = checkGraph(buildGraph(masked), { mode: "exhaustive" });
    assert.equal(report.ok, true);
    assert.deepEqual(report.gradients.map((g) => g.name).sort(), ["fc.W", "fc.b", "x"]);
    assert.deepEqual(report.nodes.find((n) => n.id === "m")!.jacobians.map((j) => j.wrt), ["fc"]);
    assert.deepEqual(report.nodes.find((n) => n.id === "loss")!.jacobians.map((j) => j.wrt), ["m"]);
    assert.deepEqual(report.inputs.map((i) => [i.id, i.constant ?? false]), [["x", false], ["mask", true], ["target", true]]);
  });

  test("values: seeded from N(0, 1) like any input, or as given", () => {
    const g = buildGraph(masked);
    const mask = g.inputs.find((i) => i.id === "mask")!;
    assert.equal(mask.constant, true);
    assert.ok(mask.value.data.some((v) => v !== Math.round(v)), "seeded reals, not labels");
    assert.deepEqual(Array.from(g.inputs.find((i) => i.id === "target")!.value.data), [1, 0, 0, 0, 1, 0, 0, 0, 1, 1, 1, 1]);
  });

  test("backprop gives the constant no gradient to report, and the graph view marks it", () => {
    const g = buildGraph(masked);
    const { values } = forward(g);
    const grads = backward(g, values);
    assert.ok(grads.values.get("fc"));
    assert.match(toMermaid(describeNetwork(masked)), /mask<br>constant \[4, 3\]/);
    assert.equal(describeNetwork(masked).inputs[1].constant, true);
  });

  test("usable by a custom op, whose gradient for it is ignored", () => {
    const scaleBy = defineOp({
      name: "scaleBy",
      forward: ({ inputs: [x, c] }) => ({ shape: x.shape, data: x.data.map((v, i) => v * c.data[i]) }),
      backward: ({ inputs: [x, c], gradOutput: g }) => ({
        inputs: [{ shape: x.shape, data: g.data.map((v, i) => v * c.data[i]) }, { shape: c.shape, data: new Float64Array(c.data.length).fill(NaN) }],
      }),
    });
    const report = checkGraph(buildGraph({ inputs: { x: { shape: [2, 2] }, c: { shape: [2, 2], constant: true } }, nodes: [{ id: "s", op: scaleBy, inputs: ["x", "c"] }, { id: "l", op: "sum" }] }));
    assert.equal(report.ok, true);
    assert.deepEqual(report.nodes[0].jacobians.map((j) => j.wrt), ["x"]);
  });

  test("\"constant\" must be a boolean: a located error at it (JSON: the schema says so too)", () => {
    const e = networkError(() => buildGraph({ inputs: { x: { shape: [2], constant: "yes" as unknown as boolean } }, nodes: [{ id: "s", op: "sum" }] }));
    assert.deepEqual(e.path, ["inputs", "x", "constant"]);
    assert.match(e.message, /"constant" must be true or false, got "yes"/);
    const text = '{\n  "inputs": { "x": { "shape": [2], "constant": 1 } },\n  "nodes": [{ "id": "s", "op": "sum" }]\n}\n';
    assert.throws(() => loadNetworkText(text, "c.gradnet.json"), (err: unknown) => err instanceof ConfigError && /c\.gradnet\.json:2:48: error: inputs\.x\.constant must be true or false, got 1/.test(err.format()));
  });

  test("a JSON network with a constant input loads and checks", () => {
    const text = JSON.stringify({ inputs: { x: { shape: [2, 3] }, m: { shape: [2, 3], constant: true } }, nodes: [{ id: "p", op: "mul", inputs: ["x", "m"] }, { id: "s", op: "sum" }] });
    const { graph } = loadNetworkText(text, "c.gradnet.json");
    assert.deepEqual(checkGraph(graph).gradients.map((g) => g.name), ["x"]);
  });
});

// A tiny embedding: ids [B] from a "classes" input pick rows of a table W [classes, D].
const lookup: OpDef = defineOp({
  name: "lookup",
  idInputs: [0],
  params: { W: { shape: ({ inputClasses }) => [inputClasses![0]!, 2], init: "normal" } },
  forward: ({ inputs: [ids], params: { W } }) => {
    const out = new Float64Array(ids.data.length * 2);
    ids.data.forEach((id, b) => out.set(W.data.subarray(id * 2, id * 2 + 2), b * 2));
    return { shape: [ids.data.length, 2], data: out };
  },
  backward: ({ inputs: [ids], params: { W }, gradOutput: g }) => {
    const dW = new Float64Array(W.data.length);
    ids.data.forEach((id, b) => { dW[id * 2] += g.data[b * 2]; dW[id * 2 + 1] += g.data[b * 2 + 1]; });
    return { inputs: [null], params: { W: { shape: W.shape, data: dW } } };
  },
});

describe("ids from a \"classes\" input (idInputs)", () => {
  const spec: NetworkSpec = { inputs: { tok: { shape: [5], classes: 7 } }, nodes: [{ id: "emb", op: lookup }, { id: "s", op: "sum" }] };

  test("the table is sized from the input's classes; the ids are never differentiated", () => {
    const g = buildGraph(spec);
    assert.deepEqual(g.nodes[0].params.W.shape, [7, 2]);
    assert.deepEqual([...g.nodes[0].labelInputs], [0]);
    const report = checkGraph(g, { mode: "exhaustive" });
    assert.equal(report.ok, true);
    assert.deepEqual(report.gradients.map((g) => g.name), ["emb.W"]);
  });

  test("an id input fed by anything but a \"classes\" input is a located error naming both", () => {
    const e = networkError(() => buildGraph({ inputs: { tok: { shape: [5] } }, nodes: [{ id: "emb", op: lookup, inputs: ["tok"] }] }));
    assert.deepEqual(e.path, ["nodes", 0, "inputs", 0]);
    assert.match(e.message, /lookup takes integer ids as input 1, but 'tok' is not a "classes" input/);
    const c = networkError(() => buildGraph({ inputs: { tok: { shape: [5], constant: true } }, nodes: [{ id: "emb", op: lookup }] }));
    assert.match(c.message, /'tok' is not a "classes" input \(it is a constant input; give it "classes": C/);
  });
});

describe("attribute types an op may declare", () => {
  const op = defineOp({
    name: "tuned",
    attrs: {
      mode: { type: "string", oneOf: ["exact", "tanh"], default: "exact", doc: "Which formula." },
      names: { type: "string[]", doc: "Names of the parts." },
      p: { type: "number", min: 0, max: 1, maxExclusive: true, default: 0.5, doc: "A probability below 1." },
      k: { type: "int", min: 1, max: 4, doc: "A small count." },
    },
    forward: ({ inputs: [x] }) => x,
    backward: ({ gradOutput: g }) => ({ inputs: [g] }),
  });
  const build = (attrs: Record<string, unknown>) => buildGraph({ inputs: { x: { shape: [2] } }, nodes: [{ id: "t", op, ...attrs }] });

  test("valid values pass, defaults are filled in", () => {
    assert.deepEqual(build({ names: ["a", "b"], k: 4 }).nodes[0].attrs, { names: ["a", "b"], k: 4, mode: "exact", p: 0.5 });
  });

  for (const [attrs, message] of [
    [{ mode: "fast" }, /"mode" must be one of "exact", "tanh", got "fast"/],
    [{ mode: "" }, /"mode" must be one of/],
    [{ names: [] }, /"names" must be a non-empty array of non-empty strings, got \[\]/],
    [{ names: ["a", 3] }, /"names" must be a non-empty array/],
    [{ p: 1 }, /"p" must be a number in \[0, 1\), got 1/],
    [{ p: -0.1 }, /"p" must be a number in \[0, 1\)/],
    [{ k: 5 }, /"k" must be an integer in \[1, 4\], got 5/],
  ] as const) {
    test(`${JSON.stringify(attrs)} is refused at the attribute`, () => {
      const e = networkError(() => build(attrs));
      assert.equal(e.path[e.path.length - 1], Object.keys(attrs)[0]);
      assert.match(e.message, message);
    });
  }

  test("the schema says the same: enum, minLength, bounds with an exclusive maximum", () => {
    assert.deepEqual(attrSchema({ type: "string", oneOf: ["exact", "tanh"], doc: "d." }), { description: "d.", type: "string", enum: ["exact", "tanh"], errorMessage: 'must be one of "exact", "tanh"' });
    assert.deepEqual(attrSchema({ type: "number", min: 0, max: 1, maxExclusive: true, doc: "d." }), { description: "d.", type: "number", minimum: 0, exclusiveMaximum: 1, errorMessage: "must be a number in [0, 1)" });
    const names = attrSchema({ type: "string[]", doc: "d." });
    assert.deepEqual([names.type, names.minItems, (names.items as { minLength: number }).minLength], ["array", 1, 1]);
  });
});

describe("gradientTarget: what a gradient may be asked of", () => {
  const g = buildGraph({ ...masked, inputs: { ...masked.inputs, y: { shape: [4], classes: 3 } } });

  test("a parameter or a differentiable input, with or without an entry", () => {
    assert.deepEqual({ ...gradientTarget(g, "fc.W[1, 0]"), tensor: undefined }, { name: "fc.W", kind: "param", node: "fc", param: "W", tensor: undefined, index: [1, 0], flat: 3 });
    assert.equal(gradientTarget(g, "x").name, "x");
    assert.equal(gradientTarget(g, "x[3,2]").flat, 11);
  });

  test("a constant input is a located error at its \"constant\", naming it", () => {
    const e = networkError(() => gradientTarget(g, "mask[0, 1]"));
    assert.deepEqual(e.path, ["inputs", "mask", "constant"]);
    assert.match(e.message, /'mask' is a constant input: it is never differentiated, so it has no gradient/);
  });

  test("class labels, unknown names, nodes and bad indices are errors that name them", () => {
    assert.deepEqual(networkError(() => gradientTarget(g, "y")).path, ["inputs", "y", "classes"]);
    assert.match(networkError(() => gradientTarget(g, "fc.V")).message, /fc \(linear\) has no parameter 'V'; did you mean 'W'\? \(it has: W, b\)/);
    assert.match(networkError(() => gradientTarget(g, "fc")).message, /'fc' is a node: name one of its parameters \(fc\.W, fc\.b\)/);
    assert.match(networkError(() => gradientTarget(g, "z")).message, /no parameter or input 'z'/);
    assert.match(networkError(() => gradientTarget(g, "fc.W[1]")).message, /fc\.W has shape \[3, 3\], so an entry needs 2 integer indices/);
    assert.match(networkError(() => gradientTarget(g, "fc.W[1, 3]")).message, /index 3 is out of range for dimension 1/);
    assert.match(networkError(() => gradientTarget(g, "fc.W[1,]")).message, /needs 2 integer indices/);
  });
});
