// The .gradnet.json loader: locations, syntax messages, the JSON Schema (current,
// complete, and agreeing with the examples), and the synchronous editor path.
import assert from "node:assert/strict";
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { describe, test } from "node:test";
import { ConfigError, ConfigErrors, loadNetworkFile, loadNetworkText, parseNetworkText, validateNetworkText } from "../../src/config/load.js";
import { LineIndex, parseJsonText } from "../../src/config/json.js";
import { schemaText } from "../../src/config/schema/build.js";
import { validatorCode } from "../../src/config/schema/validator-code.js";
import { formatPath, schemaProblems } from "../../src/config/validate.js";
import { builtinOpList, builtinOpNames } from "../../src/engine/ops/index.js";
import { toNested } from "../../src/engine/tensor.js";

const root = join(import.meta.dirname, "..", "..");
const schemaFile = join(root, "src/config/schema/gradnet.schema.json");

function syntaxError(text: string): string {
  try {
    parseJsonText(text, "f.gradnet.json");
  } catch (e) {
    assert.ok(e instanceof ConfigError);
    return e.format();
  }
  assert.fail("parsed without an error");
}

describe("locations", () => {
  test("LineIndex: 1-based line and column, \\n, \\r\\n and \\r all end a line", () => {
    const lines = new LineIndex("ab\ncd\r\nef\rg");
    assert.deepEqual(lines.position(0), { line: 1, column: 1 });
    assert.deepEqual(lines.position(4), { line: 2, column: 2 });
    assert.deepEqual(lines.position(7), { line: 3, column: 1 });
    assert.deepEqual(lines.position(10), { line: 4, column: 1 });
  });

  const text = '{\n  "nodes": [\n    { "id": "fc", "op": "linear", "units": 3 }\n  ]\n}\n';
  const parsed = parseJsonText(text, "f");

  test("locate a value and its key", () => {
    const value = parsed.locate(["nodes", 0, "units"]);
    assert.deepEqual([value.line, value.column, value.endLine, value.endColumn], [3, 44, 3, 45]);
    const key = parsed.locate(["nodes", 0, "units"], "key");
    assert.deepEqual([key.line, key.column, key.length], [3, 35, 7]);
  });

  test("a path that does not exist falls back to its nearest existing ancestor", () => {
    const at = parsed.locate(["nodes", 0, "bias"]);
    assert.deepEqual([at.line, at.column], [3, 5]);
    const deeper = parsed.locate(["nodes", 7, "inputs", 0]);
    assert.deepEqual([deeper.line, deeper.column], [2, 12]);
    assert.deepEqual([parsed.locate([]).line, parsed.locate([]).column], [1, 1]);
  });

  test("an array element has no key: target 'key' gives the element", () => {
    const at = parsed.locate(["nodes", 0], "key");
    assert.deepEqual([at.line, at.column], [3, 5]);
  });

  test("formatPath names values the way a person reads them", () => {
    assert.equal(formatPath(["nodes", 2, "units"]), "nodes[2].units");
    assert.equal(formatPath(["inputs", "x", "shape", 0]), "inputs.x.shape[0]");
    assert.equal(formatPath(["inputs", "my x"]), 'inputs["my x"]');
    assert.equal(formatPath([]), "the network");
  });
});

describe("syntax errors: readable, at their offset", () => {
  test("missing comma between properties", () => {
    assert.equal(syntaxError('{\n  "a": 1\n  "b": 2\n}'), "f.gradnet.json:3:3: error: expected a comma before '\"b\"'");
  });
  test("truncated file names the bracket that is never closed", () => {
    assert.equal(
      syntaxError('{\n  "a": {"b": 1}\n'),
      "f.gradnet.json:3:1: error: unexpected end of file: the object opened at line 1, column 1 is not closed with '}'",
    );
  });
  test("trailing comma is reported at the comma", () => {
    assert.equal(syntaxError('{"a": [1, 2,]}'), "f.gradnet.json:1:12: error: trailing comma before ']': remove the comma");
    assert.equal(syntaxError('{"a": 1,\n}'), "f.gradnet.json:1:8: error: trailing comma before '}': remove the comma");
  });
  test("trailing garbage after the object", () => {
    assert.equal(syntaxError('{"a": 1} x'), "f.gradnet.json:1:10: error: unexpected 'x' after the end of the network object: expected the end of the file");
  });
  test("single quotes, bare words, missing colon, unterminated string, empty file", () => {
    assert.equal(syntaxError("{'a': 1}"), "f.gradnet.json:1:2: error: single quotes in 'a': JSON strings and keys need double quotes");
    assert.equal(syntaxError('{"a": tru}'), "f.gradnet.json:1:7: error: unexpected 'tru': expected a JSON value");
    assert.equal(syntaxError('{"a" 1}'), "f.gradnet.json:1:6: error: expected ':' after the property name, got '1'");
    assert.equal(syntaxError('{"a": "x\n"}'), "f.gradnet.json:1:7: error: unterminated string: close it with '\"' on the same line");
    assert.equal(syntaxError("  "), "f.gradnet.json:1:3: error: unexpected end of file: expected a value");
  });
  test("a duplicate key is an error at the second one (JSON.parse would keep the last silently)", () => {
    assert.equal(syntaxError('{"a": 1,\n "a": 2}'), "f.gradnet.json:2:2: error: duplicate key \"a\": a key may appear only once in an object");
  });
  test("comments are allowed", () => {
    const parsed = parseJsonText('{\n  // the loss\n  "a": /* inline */ 1\n}', "f");
    assert.deepEqual(parsed.value, { a: 1 });
  });
});

describe("JSON Schema", () => {
  test("the committed schema is the one generated from the op registry (npm run gen-schema)", () => {
    assert.equal(readFileSync(schemaFile, "utf8"), schemaText(builtinOpList));
  });

  test("the committed validator is ajv's code for the committed schema (npm run gen-schema)", () => {
    const committed = readFileSync(join(root, "src/config/schema/gradnet.validate.js"), "utf8");
    assert.equal(committed, validatorCode(JSON.parse(readFileSync(schemaFile, "utf8"))));
  });

  test("op names come from the registry; every attribute has a description", () => {
    const schema = JSON.parse(readFileSync(schemaFile, "utf8"));
    assert.deepEqual(schema.definitions.builtinOp.enum, [...builtinOpNames]);
    const perOp = schema.definitions.node.allOf as { if: { properties: { op: { const: string } } }; then: { properties: Record<string, { description?: string }> } }[];
    assert.deepEqual(perOp.map((s) => s.if.properties.op.const), [...builtinOpNames]);
    for (const op of builtinOpList) {
      const props = perOp.find((s) => s.if.properties.op.const === op.name)!.then.properties;
      for (const attr of Object.keys(op.attrs ?? {})) assert.ok(props[attr]?.description, `${op.name}.${attr} has no description`);
    }
  });

  test("every top-level, input and node property has a description (VS Code shows it on completion)", () => {
    const schema = JSON.parse(readFileSync(schemaFile, "utf8"));
    for (const [where, props] of [["top", schema.properties], ["input", schema.definitions.input.properties], ["node", schema.definitions.node.properties]]) {
      for (const [k, v] of Object.entries(props as Record<string, { description?: string }>)) assert.ok(v.description, `${where}.${k}`);
    }
  });

  test("every example network is valid against the schema and loads", async () => {
    for (const dir of ["examples", "examples/bench"]) {
      for (const f of readdirSync(join(root, dir)).filter((n) => n.endsWith(".gradnet.json"))) {
        const file = join(root, dir, f);
        assert.deepEqual(schemaProblems(JSON.parse(readFileSync(file, "utf8"))), [], file);
        const loaded = await loadNetworkFile(file);
        assert.ok(loaded.graph.nodes.length > 0);
      }
    }
  });

  test("attribute types in the schema's words", () => {
    const spec = (node: object) => ({ inputs: { x: { shape: [2, 1, 6, 6] } }, nodes: [{ id: "n", ...node }] });
    const msg = (node: object) => schemaProblems(spec(node)).map((p) => `${formatPath(p.path)}|${p.message}`);
    assert.deepEqual(msg({ op: "linear", units: 2.5 }), ["nodes[0].units|nodes[0].units must be a positive integer, got 2.5"]);
    assert.deepEqual(msg({ op: "linear", units: 2, bias: "no" }), ['nodes[0].bias|nodes[0].bias must be true or false, got "no"']);
    assert.deepEqual(msg({ op: "conv2d", filters: 2, kernel: [3, 0] }), ["nodes[0].kernel[1]|nodes[0].kernel[1] must be a positive integer, got 0"]);
    assert.deepEqual(msg({ op: "conv2d", filters: 2, kernel: "3" }), ['nodes[0].kernel|nodes[0].kernel must be a positive integer or an array of positive integers, got "3"']);
    assert.deepEqual(msg({ op: "leaky_relu", slope: "0.1" }), ['nodes[0].slope|nodes[0].slope must be a number, got "0.1"']);
    assert.deepEqual(msg({ op: "relu", units: 3 }), ["nodes[0].units|nodes[0]: unknown attribute 'units' for op 'relu' (it takes none)"]);
  });

  test("an unknown op with no near name lists the built-in ones; with an \"ops\" map any name passes the schema", () => {
    const [p] = schemaProblems({ inputs: { x: { shape: [2] } }, nodes: [{ id: "n", op: "frobnicate" }] });
    assert.match(p.message, /^nodes\[0\]\.op: unknown op 'frobnicate'; built-in ops are linear, matmul, /);
    assert.deepEqual(schemaProblems({ ops: { frobnicate: "./f.ts#frobnicate" }, inputs: { x: { shape: [2] } }, nodes: [{ id: "n", op: "frobnicate", k: 1 }] }), []);
    const [bad] = schemaProblems({ ops: { f: "./f.ts" }, inputs: { x: { shape: [2] } }, nodes: [{ id: "n", op: "f" }] });
    assert.equal(bad.message, 'ops.f must look like "./file.ts#exportName" or "./file.py#name", got "./f.ts"');
  });

  test("nested values: the exact entry that is not a number", () => {
    const [p] = schemaProblems({ inputs: { x: { values: [[1, 2], [3, "4"]] } }, nodes: [{ id: "n", op: "sum" }] });
    assert.deepEqual(p.path, ["inputs", "x", "values", 1, 1]);
    assert.equal(p.message, 'inputs.x.values[1][1] must be a number or nested arrays of numbers, got "4"');
  });

  test("an input needs shape or values; names and ids may not contain '.'", () => {
    assert.deepEqual(
      schemaProblems({ inputs: { x: { classes: 3 } }, nodes: [{ id: "n", op: "sum" }] }).map((p) => p.message),
      ["inputs.x needs 'shape' or 'values'"],
    );
    const [name] = schemaProblems({ inputs: { "a.b": { shape: [2] } }, nodes: [{ id: "n", op: "sum" }] });
    assert.deepEqual([name.path, name.target], [["inputs", "a.b"], "key"]);
    const [id] = schemaProblems({ inputs: { x: { shape: [2] } }, nodes: [{ id: "n.1", op: "sum" }] });
    assert.deepEqual(id.path, ["nodes", 0, "id"]);
  });
});

describe("loading", () => {
  const seedMlp = join(root, "examples/seed-mlp.gradnet.json");

  test("loadNetworkText (sync, for the editor) gives the same network as loadNetworkFile", async () => {
    const fromFile = await loadNetworkFile(seedMlp);
    const fromText = loadNetworkText(readFileSync(seedMlp, "utf8"), seedMlp);
    assert.deepEqual(fromText.spec, fromFile.spec);
    assert.deepEqual(fromText.graph.nodes.map((n) => [n.id, n.outputShape]), [["fc", [4, 3]], ["p", [4, 3]], ["loss", []]]);
    // Same file, same seed: same numbers.
    assert.deepEqual(toNested(fromText.graph.nodes[0].params.W), toNested(fromFile.graph.nodes[0].params.W));
    assert.deepEqual(toNested(fromText.graph.inputs[0].value), toNested(fromFile.graph.inputs[0].value));
  });

  test("a param given as { shape } is seeded as if not given; a shape that is not the op's is refused at its shape", () => {
    const net = (w: string) => `{ "seed": 3, "inputs": { "x": { "shape": [4, 3] } },\n  "nodes": [{ "id": "fc", "op": "linear", "units": 2, "params": { "W": ${w} } }, { "id": "s", "op": "sum" }] }`;
    const omitted = loadNetworkText(net("[[1, 2, 3], [4, 5, 6]]").replace(/, "params": \{[^}]*\} \}/, " }"), "p.gradnet.json");
    const shaped = loadNetworkText(net('{ "shape": [2, 3] }'), "p.gradnet.json");
    assert.deepEqual(toNested(shaped.graph.nodes[0].params.W), toNested(omitted.graph.nodes[0].params.W));
    assert.deepEqual(toNested(shaped.graph.nodes[0].params.b), toNested(omitted.graph.nodes[0].params.b));
    const [wrong] = validateNetworkText(net('{ "shape": [3, 2] }'), "p.gradnet.json");
    assert.equal(wrong.format(), "p.gradnet.json:2:83: error: fc.W has shape [2, 3], not [3, 2]");
    const [typo] = validateNetworkText(net('{ "shap": [2, 3] }'), "p.gradnet.json");
    assert.match(typo.message, /params\.W must be nested arrays of numbers, or \{ "shape": \[\.\.\.\] \} for seeded values, got an object/);
  });

  test("locate on a loaded network points into the file", async () => {
    const loaded = await loadNetworkFile(seedMlp);
    const at = loaded.locate(["nodes", 2, "inputs", 1]);
    const lines = readFileSync(seedMlp, "utf8").split("\n");
    assert.equal(lines[at.line - 1].slice(at.column - 1, at.column + 2), '"y"');
  });

  test("several schema problems come back together, in file order; the first is the error itself", () => {
    const text = '{\n  "inputs": { "x": { "shape": [4, 0] } },\n  "nodes": [\n    { "id": "fc", "op": "linear", "units": 0 }\n  ],\n  "seed": 1.5\n}\n';
    try {
      parseNetworkText(text, "f.gradnet.json");
      assert.fail("no error");
    } catch (e) {
      assert.ok(e instanceof ConfigErrors);
      assert.deepEqual(e.errors.map((x) => `${x.line}:${x.column}`), ["2:35", "4:44", "6:11"]);
      assert.equal(e.format(), e.errors[0].format());
      assert.equal(e.format(), "f.gradnet.json:2:35: error: inputs.x.shape[1] must be a positive integer, got 0");
    }
  });

  test("a JSON network with \"ops\" loads through the resolveCustomOps hook", async () => {
    const { softmax } = Object.fromEntries(builtinOpList.map((op) => [op.name, op]));
    const file = join(root, "test/fixtures/bad/custom-ops.gradnet.json");
    const seen: Record<string, string>[] = [];
    const loaded = await loadNetworkFile(file, {
      resolveCustomOps: async (ops) => {
        seen.push(ops);
        return { mySoftmax: { ...softmax, name: "mySoftmax", builtin: false } };
      },
    });
    assert.deepEqual(seen, [{ mySoftmax: "./layers.ts#mySoftmax" }]);
    assert.equal(loaded.graph.nodes[0].op.name, "mySoftmax");
  });

  test("loadNetworkText refuses an \"ops\" entry it was not given, at that entry", () => {
    const file = join(root, "test/fixtures/bad/custom-ops.gradnet.json");
    assert.throws(() => loadNetworkText(readFileSync(file, "utf8"), file), (e: unknown) => {
      assert.ok(e instanceof ConfigError);
      assert.deepEqual([e.line, e.column], [2, 12]);
      assert.match(e.message, /custom op 'mySoftmax' from "ops" is not loaded/);
      return true;
    });
  });

  test("validateNetworkText (the editor's as-you-type check): all problems, and none for a valid file whose \"ops\" are not loaded", () => {
    const custom = join(root, "test/fixtures/bad/custom-ops.gradnet.json");
    assert.deepEqual(validateNetworkText(readFileSync(custom, "utf8"), custom), []);
    const withTypo = readFileSync(custom, "utf8").replace('"sum"', '"summ"');
    assert.deepEqual(validateNetworkText(withTypo, "f").map((e) => e.format()), ["f:8:27: error: unknown op 'summ'; did you mean 'sum'?"]);
    const cycle = join(root, "test/fixtures/bad/cycle.gradnet.json");
    assert.deepEqual(validateNetworkText(readFileSync(cycle, "utf8"), "cycle.gradnet.json").map((e) => e.format()), [
      "cycle.gradnet.json:7:43: error: cycle: a → b → a",
    ]);
    assert.deepEqual(validateNetworkText(readFileSync(seedMlp, "utf8"), seedMlp), []);
  });

  test("absurdly deep nesting is refused at the bracket that goes too deep, not with a stack overflow", () => {
    const deep = '{"inputs": {"x": {"values": ' + "[".repeat(100_000) + "]".repeat(100_000) + '}}, "nodes": [{"id": "n", "op": "sum"}]}';
    assert.deepEqual(validateNetworkText(deep, "f").map((e) => e.format()), [
      "f:1:126: error: nested more than 100 levels deep: a network file needs only a few levels (values nest once per tensor dimension)",
    ]);
  });
});
