// `npm run test:vscode`: the same editor tests through the standard runner
// (@vscode/test-cli → @vscode/test-electron), which downloads a desktop VS Code
// matching engines.vscode's floor and runs the suite in its extension host.
// It needs internet access. Offline (as in CI here) use `npm run test:editor`,
// which runs the same bundled suite in code-server's real extension host.
import { defineConfig } from "@vscode/test-cli";
import { mkdirSync, cpSync, readdirSync, existsSync } from "node:fs";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";

const root = dirname(fileURLToPath(import.meta.url));
// A fresh workspace with the examples and fixtures, as test-editor.sh prepares it.
const workspace = join(root, "out", "vscode-test-ws");
mkdirSync(join(workspace, "examples"), { recursive: true });
for (const f of readdirSync(join(root, "examples"))) {
  if (f.endsWith(".gradnet.json")) cpSync(join(root, "examples", f), join(workspace, "examples", f));
}
if (existsSync(join(root, "examples", "buggy"))) cpSync(join(root, "examples", "buggy"), join(workspace, "examples", "buggy"), { recursive: true });
cpSync(join(root, "test", "editor", "fixtures"), join(workspace, "fixtures"), { recursive: true });

export default defineConfig({
  label: "editor",
  // restricted.test.js needs a window opened untrusted (test-editor.sh runs it in a second window).
  files: "out/editor-tests/extension.test.js",
  version: "1.90.0",
  workspaceFolder: workspace,
  mocha: { ui: "bdd", timeout: 120000, color: true },
  launchArgs: ["--disable-extensions", "--disable-workspace-trust"],
  env: { GRADLENS_ARTIFACTS: join(root, "artifacts") },
});
