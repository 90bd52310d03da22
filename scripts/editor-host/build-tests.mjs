// Bundles the editor tests (test/editor/*.ts) for the extension host:
// CommonJS, Node, `vscode` and `mocha` resolved at run time.
import * as esbuild from "esbuild";
import { readdirSync, rmSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "../..");
const src = join(root, "test/editor");
const out = join(root, "out/editor-tests");
rmSync(out, { recursive: true, force: true });
await esbuild.build({
  entryPoints: readdirSync(src).filter((f) => f === "index.ts" || f.startsWith("suite-") || f.endsWith(".test.ts")).map((f) => join(src, f)),
  outdir: out, bundle: true, platform: "node", target: "node20", format: "cjs", sourcemap: "inline",
  external: ["vscode", "mocha"], logLevel: "warning",
});
