// .gradnet.ts loading and "ops" from TS modules: esbuild bundling with
// "gradlens" bound to the running engine (one engine instance), located
// errors for bad files, the public API's helpers, and the shipped type
// declarations (complete, and the examples type-check against them).
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { describe, test } from "node:test";
import ts from "typescript";
import "../../src/config/typescript-support.js";
import { ConfigError, loadNetworkFile } from "../../src/config/load.js";
import { esbuildKind, locateInSource, resolveCustomOps } from "../../src/config/typescript.js";
import { userOpLocation } from "../../src/config/user-code.js";
import * as gradlens from "../../src/config/public.js";
import { checkOpLocal } from "../../src/engine/check.js";

const root = join(import.meta.dirname, "..", "..");
const fixture = (name: string) => join(root, "test/fixtures/ts", name);

async function configError(file: string): Promise<ConfigError> {
  try {
    await loadNetworkFile(file);
  } catch (e) {
    assert.ok(e instanceof ConfigError, String(e));
    return e;
  }
  assert.fail(`${file} loaded without an error`);
}

describe("loading .gradnet.ts", () => {
  test("the default export is the network; defineOp values are its ops, imported from a relative module", async () => {
    const loaded = await loadNetworkFile(join(root, "examples/custom/softmax.gradnet.ts"));
    assert.equal(loaded.graph.name, "custom-softmax");
    assert.deepEqual(loaded.graph.nodes.map((n) => [n.id, n.op.name, n.op.builtin === true]), [["fc", "linear", true], ["p", "mySoftmax", false], ["loss", "crossEntropy", false]]);
    assert.deepEqual(loaded.graph.nodes[1].outputShape, [4, 3], "a custom op's output shape is found by running its forward");
    assert.match(loaded.graph.nodes[1].op.definedAt ?? "", /examples\/custom\/layers\.ts:\d+:\d+$/);
    assert.equal(esbuildKind(), "native", "the native esbuild is preferred when it can be loaded");
  });

  test("\"gradlens\" inside the bundle is this engine, not a copy (JSON \"ops\" → ./engine-probe.ts#probe)", async () => {
    const loaded = await loadNetworkFile(fixture("probe-ops.gradnet.json"));
    const op = loaded.graph.nodes[0].op as ReturnType<typeof gradlens.defineOp> & { engine?: unknown };
    assert.equal(op.name, "probe");
    const engine = op.engine as typeof gradlens;
    for (const name of ["defineOp", "tensor", "matmul", "isTensor"] as const) assert.equal(engine[name], gradlens[name], `${name} is the engine's own`);
    assert.ok(userOpLocation("probe"), "the op registered itself in this engine's user-code registry");
    const x = gradlens.tensor([2, 2], [1, -2, 3, 0.5]);
    const [jac] = checkOpLocal(op, { inputs: [x] });
    assert.equal(jac.status, "pass");
  });

  test("a node's location in a .gradnet.ts is its id: … in the source", async () => {
    const loaded = await loadNetworkFile(join(root, "examples/buggy/linear-transpose.gradnet.ts"));
    const at = loaded.locate(["nodes", 0]);
    assert.deepEqual([at.line, at.column], [29, 7]);
  });
});

describe("bad TypeScript networks: FILE:LINE:COL at the offending code", () => {
  const cases: { name: string; at: string; message: RegExp }[] = [
    { name: "syntax-error.gradnet.ts", at: "5:3", message: /^Expected "\}" but found "nodes"$/ },
    { name: "syntax-error-unicode.gradnet.ts", at: "4:26", message: /^Expected identifier but found "⊙"$/ },
    { name: "bad-node.gradnet.ts", at: "8:22", message: /^unknown op 'rleu'; did you mean 'relu'\?/ },
    { name: "bad-group.gradnet.ts", at: "8:37", message: /^"group" must be a non-empty string \(the name of the block this node belongs to\), got 2$/ },
    { name: "no-default.gradnet.ts", at: "1:1", message: /must `export default network\(\{ inputs, nodes \}\)`: it has no default export \(it exports net\)/ },
    { name: "import-subpath.gradnet.ts", at: "1:25", message: /'gradlens\/tensor': import from "gradlens" itself/ },
    { name: "bad-ops.gradnet.json", at: "3:18", message: /^custom op 'mySoftmax': "\.\/helper-layers\.ts" has no export 'notThere' \(its ops: badMatmul\)$/ },
  ];
  for (const c of cases) {
    test(`${c.name} → ${c.at}`, async () => {
      const e = await configError(fixture(c.name));
      assert.equal(`${e.line}:${e.column}`, c.at, e.format());
      assert.match(e.message, c.message);
      assert.equal(e.file, fixture(c.name));
    });
  }

  test("\"ops\": a missing module, a non-relative path and an export that is not an op", async () => {
    const locate = locateInSource('{ "ops": {} }', {});
    const file = fixture("x.gradnet.json");
    const refused = async (ops: Record<string, string>, message: RegExp) => {
      await assert.rejects(resolveCustomOps(ops, { file, locate }), (e: unknown) => {
        assert.ok(e instanceof ConfigError, String(e));
        assert.match(e.message, message);
        return true;
      });
    };
    await refused({ a: "./nowhere.ts#a" }, /custom op 'a': cannot read "\.\/nowhere\.ts" \(no such file/);
    await refused({ a: "layers#a" }, /must be a relative path like "\.\/layers\.ts#a"/);
    await refused({ a: "./engine-probe.ts#notAnOp" }, /export 'notAnOp' of "\.\/engine-probe\.ts" is not an op/);
    const ok = await resolveCustomOps({ probe: "./engine-probe.ts" }, { file, locate });
    assert.equal(ok.probe.name, "probe", "without #name the export named like the op is taken");
  });

  test("defineOp without backward or jacobian: a TypeError at the user's defineOp line", async () => {
    await assert.rejects(loadNetworkFile(fixture("define-op-incomplete.gradnet.ts")), /defineOp\("half"\): needs a "backward"/);
  });
});

describe("locateInSource", () => {
  const text = [
    "// nodes: [{ id: \"fc\" }] in a comment is never found",
    "export default network({",
    "  inputs: { x: { shape: [4, 3] }, \"y\": { shape: [4], classes: 3 } },",
    "  nodes: [",
    "    { id: \"fc\", op: \"linear\", units: 3 },",
    "    { id: 'loss', op: crossEntropy, inputs: [\"fc\", \"y\"] },",
    "  ],",
    "  output: \"loss\",",
    "});",
  ].join("\n");
  const spec = { nodes: [{ id: "fc" }, { id: "loss" }] };
  const locate = locateInSource(text, spec);
  const at = (path: (string | number)[], target?: "key" | "value") => {
    const l = locate(path, target);
    return `${l.line}:${l.column}+${l.length}`;
  };
  test("a node by its id, an attribute after it, an input by position", () => {
    assert.equal(at(["nodes", 0]), "5:7+8");
    assert.equal(at(["nodes", 0, "units"]), "5:38+1");
    assert.equal(at(["nodes", 0, "units"], "key"), "5:31+5");
    assert.equal(at(["nodes", 1, "op"]), "6:23+12");
    assert.equal(at(["nodes", 1, "inputs", 1]), "6:52+3");
  });
  test("inputs by key (quoted or not), top-level keys, fallback to export default", () => {
    assert.equal(at(["inputs", "x"]), "3:13+1");
    assert.equal(at(["inputs", "y"]), "3:35+3");
    assert.equal(at(["inputs", "y", "classes"]), "3:63+1");
    assert.equal(at(["output"]), "8:11+6");
    assert.equal(at(["nodes", 7]), "2:1+14");
  });
});

describe("the public gradlens API: helpers that keep a backward short", () => {
  const { tensor, add, sum, mean, matmul, transpose, softmax, oneHot, rows, stack, get, set, item, max, zip } = gradlens;
  test("add broadcasts a trailing-dims bias over the batch; sum/mean/max by axis", () => {
    const x = tensor([2, 3], [1, 2, 3, 4, 5, 6]);
    assert.deepEqual(Array.from(add(x, tensor([3], [10, 20, 30])).data), [11, 22, 33, 14, 25, 36]);
    assert.deepEqual(sum(x, 0).shape, [3]);
    assert.deepEqual(Array.from(sum(x, 0).data), [5, 7, 9]);
    assert.deepEqual(Array.from(sum(x, -1, true).data), [6, 15]);
    assert.deepEqual(sum(x, 1, true).shape, [2, 1]);
    assert.equal(item(sum(x)), 21);
    assert.equal(item(mean(x)), 3.5);
    assert.deepEqual(Array.from(mean(x, 1).data), [2, 5]);
    assert.deepEqual(Array.from(max(x, 0).data), [4, 5, 6]);
    assert.throws(() => zip(x, tensor([2], [1, 2]), (a, b) => a + b), /do not broadcast/);
  });
  test("matmul/transpose, softmax rows sum to 1, oneHot, rows/stack, get/set", () => {
    const W = tensor([2, 2], [1, 2, 3, 4]);
    assert.deepEqual(Array.from(matmul(W, transpose(W)).data), [5, 11, 11, 25]);
    const p = softmax(tensor([2, 3], [1, 2, 3, 1000, 1000, 1000]));
    assert.ok(Math.abs(p.data[0] + p.data[1] + p.data[2] - 1) < 1e-12);
    assert.ok(Math.abs(p.data[3] - 1 / 3) < 1e-12, "stable at large logits");
    assert.deepEqual(Array.from(oneHot(tensor([2], [2, 0]), 3).data), [0, 0, 1, 1, 0, 0]);
    const x = tensor([2, 3], [1, 2, 3, 4, 5, 6]);
    assert.deepEqual(stack(rows(x)), x);
    assert.equal(get(x, 1, 2), 6);
    set(x, [0, 1], -1);
    assert.equal(x.data[1], -1);
    assert.throws(() => get(x, 2, 0), /out of range/);
  });
  test("a plain { shape, data } is a tensor everywhere", () => {
    const plain = { shape: [3], data: new Float64Array([1, 2, 3]) };
    assert.equal(item(sum(plain)), 6);
    assert.ok(gradlens.isTensor(gradlens.scale(plain, 2)));
  });
});

describe("type declarations shipped for \"gradlens\" (types/gradlens.d.ts)", () => {
  const dts = join(root, "types/gradlens.d.ts");
  test("declare exactly the runtime's exports (values), and the types a custom op needs", () => {
    const program = ts.createProgram([dts], { noEmit: true, strict: true, types: [] });
    const checker = program.getTypeChecker();
    const source = program.getSourceFile(dts)!;
    const exported = checker.getExportsOfModule(checker.getSymbolAtLocation(source)!);
    const values = exported.filter((s) => s.flags & ts.SymbolFlags.Value).map((s) => s.name).sort();
    assert.deepEqual(values, Object.keys(gradlens).sort());
    const types = exported.map((s) => s.name);
    for (const t of ["Tensor", "OpDef", "ForwardContext", "BackwardContext", "BackwardResult", "JacobianResult", "ParamSpec", "ShapeContext", "NetworkSpec", "NodeSpec", "InputSpec", "Nested"])
      assert.ok(types.includes(t), `${t} is declared`);
  });
  test("the examples and fixtures type-check against them (examples/tsconfig.json)", () => {
    const config = ts.getParsedCommandLineOfConfigFile(join(root, "examples/tsconfig.json"), {}, { ...ts.sys, onUnRecoverableConfigFileDiagnostic: (d) => assert.fail(String(d.messageText)) })!;
    assert.ok(config.fileNames.some((f) => f.endsWith("examples/custom/layers.ts")));
    const program = ts.createProgram(config.fileNames, config.options);
    const problems = ts.getPreEmitDiagnostics(program).map((d) => ts.flattenDiagnosticMessageText(d.messageText, "\n"));
    assert.deepEqual(problems, []);
  });
});

const cli = join(root, "dist", "cli.js");
describe("through the real CLI", { skip: existsSync(cli) ? false : "dist/cli.js is not built (npm run build)" }, () => {
  test("with esbuild-wasm only (what the installed extension uses on every platform), no `node` on PATH: same results", () => {
    // An editor's user need not have Node installed: the wasm build must not spawn `node`.
    const env = { ...process.env, GRADLENS_ESBUILD: "wasm", PATH: join(root, "test/fixtures/ts") };
    const run = spawnSync(process.execPath, ["bin/gradlens.js", "check", "examples/custom/custom-ops.gradnet.json", "--json"], { cwd: root, encoding: "utf8", timeout: 120_000, env });
    assert.equal(run.status, 0, run.stderr);
    assert.equal(JSON.parse(run.stdout).ok, true);
    const thrown = spawnSync(process.execPath, ["bin/gradlens.js", "check", "test/fixtures/ts/throw-in-helper.gradnet.ts"], { cwd: root, encoding: "utf8", timeout: 120_000, env });
    assert.equal(thrown.status, 2);
    assert.match(thrown.stderr, /^test\/fixtures\/ts\/helper-layers\.ts:8:12: error: /);
    const bad = spawnSync(process.execPath, ["bin/gradlens.js", "check", "test/fixtures/ts/syntax-error.gradnet.ts"], { cwd: root, encoding: "utf8", timeout: 120_000, env });
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /^test\/fixtures\/ts\/syntax-error\.gradnet\.ts:5:3: error: Expected "\}" but found "nodes"/);
  });
  test("gradlens graph and grads work on a .gradnet.ts", () => {
    const graph = spawnSync(process.execPath, ["bin/gradlens.js", "graph", "examples/custom/linear.gradnet.ts"], { cwd: root, encoding: "utf8", timeout: 120_000 });
    assert.equal(graph.status, 0, graph.stderr);
    assert.match(graph.stdout, /myLinear/);
    const grads = spawnSync(process.execPath, ["bin/gradlens.js", "grads", "examples/custom/linear.gradnet.ts", "--json"], { cwd: root, encoding: "utf8", timeout: 120_000 });
    assert.equal(grads.status, 0, grads.stderr);
    const out = JSON.parse(grads.stdout) as { grads: Record<string, unknown> };
    assert.deepEqual(Object.keys(out.grads).sort(), ["fc.W", "fc.b", "hidden.W", "hidden.b", "x"]);
  });
  test("every .gradnet.ts in examples/ loads (none is a bad file)", () => {
    for (const dir of ["examples/custom", "examples/buggy"]) {
      for (const f of readdirSync(join(root, dir)).filter((x) => x.endsWith(".gradnet.ts"))) {
        const run = spawnSync(process.execPath, ["bin/gradlens.js", "graph", `${dir}/${f}`], { cwd: root, encoding: "utf8", timeout: 120_000 });
        assert.equal(run.status, 0, `${f}: ${run.stderr}`);
      }
    }
  });
});
