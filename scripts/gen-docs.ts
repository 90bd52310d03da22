// Writes the README's table of built-in ops from the op registry (scripts/op-table.ts).
// `--check` exits 1 if README.md is stale.
import { readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { builtinOpList } from "../src/engine/ops/index.js";
import { opTable, withOpTable } from "./op-table.js";

const readmePath = join(dirname(fileURLToPath(import.meta.url)), "..", "README.md");
const current = readFileSync(readmePath, "utf8");
const text = withOpTable(current, opTable(builtinOpList));
if (process.argv.includes("--check")) {
  if (current !== text) {
    console.error(`${readmePath}: the op table is out of date: run npm run gen-docs`);
    process.exit(1);
  }
} else if (current !== text) {
  writeFileSync(readmePath, text);
  console.log(`wrote the op table in ${readmePath}`);
} else {
  console.log(`${readmePath}: the op table is current`);
}
