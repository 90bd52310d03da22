// Writes src/config/schema/gradnet.schema.json from the op registry (op names,
// attributes, their docs). `--check` exits 1 if the committed file is stale.
import { readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { builtinOpList } from "../src/engine/ops/index.js";
import { schemaText } from "../src/config/schema/build.js";

const out = join(dirname(fileURLToPath(import.meta.url)), "..", "src", "config", "schema", "gradnet.schema.json");
const text = schemaText(builtinOpList);
if (process.argv.includes("--check")) {
  let current = "";
  try { current = readFileSync(out, "utf8"); } catch { /* missing counts as stale */ }
  if (current !== text) {
    console.error(`${out} is out of date: run npm run gen-schema`);
    process.exit(1);
  }
} else {
  writeFileSync(out, text);
  console.log(`wrote ${out}`);
}
