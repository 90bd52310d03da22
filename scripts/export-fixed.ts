/**
 * Writes a copy of a network with every input and parameter fixed by "values"
 * (the numbers GradLens's seeded initialisation gave), so that another
 * implementation (PyTorch, for the reference gradients in test/data/torch) can
 * rebuild exactly the same computation.
 *
 *   node --import tsx scripts/export-fixed.ts IN.gradnet.json OUT.gradnet.json
 */
import { readFileSync, writeFileSync } from "node:fs";
import { parse } from "jsonc-parser";
import { loadNetworkFile } from "../src/config/load.js";
import { toNested } from "../src/engine/tensor.js";

async function main(): Promise<void> {
const [inFile, outFile] = process.argv.slice(2);
const loaded = await loadNetworkFile(inFile);
const spec = parse(readFileSync(inFile, "utf8"));
delete spec.$schema;
for (const inp of loaded.graph.inputs)
  spec.inputs[inp.id] = { ...(inp.classes !== undefined ? { classes: inp.classes } : {}), ...(inp.constant ? { constant: true } : {}), values: toNested(inp.value) };
for (const node of loaded.graph.nodes) {
  const target = spec.nodes[node.specIndex];
  if (Object.keys(node.params).length) target.params = Object.fromEntries(Object.entries(node.params).map(([k, t]) => [k, toNested(t)]));
}
writeFileSync(outFile, JSON.stringify(spec, null, 1) + "\n");
}

void main();
