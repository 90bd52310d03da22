/**
 * extensionTestsPath module: the extension host calls run(), which runs the
 * mocha suites bundled beside it and settles when they finish (the host then
 * exits 0 or 1, and scripts/editor-host/host.mjs exits with that code).
 */
import * as fs from "node:fs";
import * as path from "node:path";
import Mocha from "mocha";

export function run(): Promise<void> {
  const mocha = new Mocha({ ui: "bdd", timeout: 120_000, color: false, reporter: "spec" });
  const only = process.env.GRADLENS_EDITOR_GREP;
  if (only) mocha.grep(only);
  // Restricted Mode needs a window of its own (Workspace Trust is decided when it opens).
  const restricted = process.env.GRADLENS_EDITOR_SUITE === "restricted";
  for (const f of fs.readdirSync(__dirname).sort()) {
    if (f.endsWith(".test.js") && (f === "restricted.test.js") === restricted) mocha.addFile(path.join(__dirname, f));
  }
  return new Promise((resolve, reject) => {
    mocha.run((failures) => {
      const out = process.env.VSCODE_TEST_RESULT_FILE;
      if (out) fs.writeFileSync(out, JSON.stringify({ failures, tests: mocha.suite.total() }));
      if (failures > 0) reject(new Error(`${failures} editor test(s) failed`));
      else resolve();
    });
  });
}
