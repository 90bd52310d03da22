// One build script, entries split by where they run: Node for the CLI, the
// extension host and the worker; the browser for the webview. Types are checked
// separately by `npm run typecheck` (tsc --noEmit).
import * as esbuild from "esbuild";
import { existsSync, mkdirSync, copyFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const production = process.argv.includes("--production");

// `--unless-prepared`: a test script run by `npm test` (scripts/test.sh), which built once already.
if (process.argv.includes("--unless-prepared") && process.env.GRADLENS_PREPARED === "1") process.exit(0);
const at = (p) => join(root, p);

const node = {
  bundle: true, platform: "node", target: "node20", format: "cjs", sourcemap: true,
  // jsonc-parser's UMD build requires its parts dynamically; its ESM build bundles cleanly.
  mainFields: ["module", "main"],
  minify: production, logLevel: "warning",
  // esbuild-wasm loads its .wasm file at run time; vscode is provided by the editor.
  external: ["vscode", "esbuild", "esbuild-wasm"],
};
const browser = { bundle: true, platform: "browser", target: "es2022", format: "iife", sourcemap: true, minify: production, logLevel: "warning" };

const entries = [
  { in: "src/cli/main.ts", out: "dist/cli.js", opts: node },
  // What `import … from "gradlens"` is (beside the loader that resolves it).
  { in: "src/config/public.ts", out: "dist/gradlens.js", opts: node },
  // src/worker: the check's worker thread, and the pool's threads.
  { in: "src/worker/entry.ts", out: "dist/worker.js", opts: node },
  { in: "src/worker/pool-entry.ts", out: "dist/pool-worker.js", opts: node },
  // The Python runner's relay thread (src/worker/python/README.md); runner.py is copied beside it below.
  { in: "src/worker/python/relay.ts", out: "dist/python-relay.js", opts: node },
  { in: "src/extension/extension.ts", out: "dist/extension.js", opts: node },
  { in: "webview/main.ts", out: "media/webview.js", opts: browser },
];

const builds = entries.filter((e) => existsSync(at(e.in)))
  .map((e) => esbuild.build({ ...e.opts, entryPoints: [at(e.in)], outfile: at(e.out) }));
await Promise.all(builds);

// The script the Python interpreter runs ships as it is: dist/python/runner.py (found beside the bundles).
mkdirSync(at("dist/python"), { recursive: true });
copyFileSync(at("src/worker/python/runner.py"), at("dist/python/runner.py"));

// Mermaid is shipped as its prebuilt browser bundle beside the webview bundle.
const mermaid = at("node_modules/mermaid/dist/mermaid.min.js");
if (existsSync(mermaid)) {
  mkdirSync(at("media"), { recursive: true });
  copyFileSync(mermaid, at("media/mermaid.min.js"));
}
