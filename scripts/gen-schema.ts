// Writes src/config/schema/gradnet.schema.json from the op registry (op names,
// attributes, their docs) and its validator compiled ahead of time,
// gradnet.validate.js (validator-code.ts). `--check` exits 1 if either
// committed file is stale.
import { readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { builtinOpList } from "../src/engine/ops/index.js";
import { buildSchema, schemaText } from "../src/config/schema/build.js";
import { validatorCode } from "../src/config/schema/validator-code.js";

const dir = join(dirname(fileURLToPath(import.meta.url)), "..", "src", "config", "schema");
const outputs = [
  { file: join(dir, "gradnet.schema.json"), text: schemaText(builtinOpList) },
  { file: join(dir, "gradnet.validate.js"), text: validatorCode(buildSchema(builtinOpList)) },
];
if (process.argv.includes("--check")) {
  let stale = false;
  for (const { file, text } of outputs) {
    let current = "";
    try { current = readFileSync(file, "utf8"); } catch { /* missing counts as stale */ }
    if (current !== text) {
      console.error(`${file} is out of date: run npm run gen-schema`);
      stale = true;
    }
  }
  if (stale) process.exit(1);
} else {
  for (const { file, text } of outputs) {
    writeFileSync(file, text);
    console.log(`wrote ${file}`);
  }
}
