// The JSON Schema as VS Code sees it: run through vscode-json-languageservice,
// the engine behind VS Code's JSON support (validation, completion, hover).
// No editor and no fake of one: this is the library VS Code itself calls.
import assert from "node:assert/strict";
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL, fileURLToPath } from "node:url";
import { describe, test } from "node:test";
import { getLanguageService, TextDocument, type JSONDocument } from "vscode-json-languageservice";
import { ConfigError, loadNetworkFile } from "../../src/config/load.js";
import { builtinOpList } from "../../src/engine/ops/index.js";

const root = join(import.meta.dirname, "..", "..");
const schemaUri = pathToFileURL(join(root, "src/config/schema/gradnet.schema.json")).href;

// As package.json's jsonValidation does: *.gradnet.json → the schema. A file's own
// "$schema" (relative, as in the examples) is read from disk, as VS Code does.
const service = getLanguageService({
  schemaRequestService: async (uri) => readFileSync(fileURLToPath(uri), "utf8"),
  workspaceContext: { resolveRelativePath: (relative, resource) => new URL(relative, resource).href },
});
service.configure({ validate: true, allowComments: true, schemas: [{ uri: schemaUri, fileMatch: ["*.gradnet.json"] }] });

function open(file: string, text = readFileSync(file, "utf8")): { doc: TextDocument; json: JSONDocument } {
  const doc = TextDocument.create(pathToFileURL(file).href, "json", 1, text);
  return { doc, json: service.parseJSONDocument(doc) };
}

async function problems(file: string): Promise<string[]> {
  const { doc, json } = open(file);
  const diagnostics = await service.doValidation(doc, json, { schemaValidation: "error", comments: "ignore" });
  return diagnostics.map((d) => `${d.range.start.line + 1}:${d.range.start.character + 1} ${d.message}`);
}

describe("the schema in VS Code's JSON language service", () => {
  test("every example network has no problems", async () => {
    for (const dir of ["examples", "examples/bench"]) {
      for (const f of readdirSync(join(root, dir)).filter((n) => n.endsWith(".gradnet.json"))) {
        assert.deepEqual(await problems(join(root, dir, f)), [], f);
      }
    }
  });

  // Problems the schema can see: VS Code marks them at the same place the loader (and the CLI) reports.
  for (const name of ["unknown-op", "bad-attr-type", "unknown-attr", "wrong-type", "bad-param-name", "arity", "unknown-key"]) {
    test(`${name}: marked where the loader reports it`, async () => {
      const file = join(root, "test/fixtures/bad", `${name}.gradnet.json`);
      const loaderError = await loadNetworkFile(file).then(
        () => assert.fail("loaded"),
        (e: unknown) => (e instanceof ConfigError ? e : assert.fail(String(e))),
      );
      const marks = await problems(file);
      assert.ok(marks.some((m) => m.startsWith(`${loaderError.line}:${loaderError.column} `)), `${loaderError.format()}\nVS Code: ${marks.join("; ")}`);
    });
  }

  test("completion inside a linear node offers its attributes with their docs", async () => {
    const text = '{\n  "inputs": { "x": { "shape": [4, 3] } },\n  "nodes": [\n    { "id": "fc", "op": "linear",  }\n  ]\n}\n';
    const { doc, json } = open(join(root, "a.gradnet.json"), text);
    const list = await service.doComplete(doc, { line: 3, character: 34 }, json);
    const items = new Map(list!.items.map((i) => [i.label, String((i.documentation as { value?: string })?.value ?? i.documentation ?? "")]));
    assert.match(items.get("units")!, /Number of outputs per row/);
    assert.match(items.get("bias")!, /Default: true/);
    assert.ok(!items.has("kernel"), "conv2d's attributes are not offered for linear");
  });

  test("completion of \"op\" offers every built-in op with its summary", async () => {
    const text = '{\n  "inputs": { "x": { "shape": [4, 3] } },\n  "nodes": [\n    { "id": "fc", "op": "" }\n  ]\n}\n';
    const { doc, json } = open(join(root, "b.gradnet.json"), text);
    const list = await service.doComplete(doc, { line: 3, character: 25 }, json);
    const labels = list!.items.map((i) => i.label.replace(/"/g, ""));
    assert.deepEqual(labels.sort(), builtinOpList.map((op) => op.name).sort());
    const linear = list!.items.find((i) => i.label === '"linear"')!;
    assert.match(String((linear.documentation as { value?: string })?.value ?? linear.documentation), /W \[units, in\]/);
  });

  test("hover on a top-level key shows its description", async () => {
    const { doc, json } = open(join(root, "examples/seed-mlp.gradnet.json"));
    const line = doc.getText().split("\n").findIndex((l) => l.includes('"seed"'));
    const hover = await service.doHover(doc, { line, character: 4 }, json);
    assert.match(JSON.stringify(hover?.contents), /Same file, same seed/);
  });
});
