/**
 * Runs mocha suites bundled beside this file inside the extension host and
 * settles when they finish (the host then exits 0 or 1; scripts/editor-host/host.mjs
 * turns that into its own exit code). Writes {failures, tests} to
 * VSCODE_TEST_RESULT_FILE when the harness gives one.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import Mocha from "mocha";

export function runSuite(files: string[]): Promise<void> {
  const mocha = new Mocha({ ui: "bdd", timeout: 120_000, color: false, reporter: "spec" });
  const only = process.env.GRADLENS_EDITOR_GREP;
  if (only) mocha.grep(only);
  for (const f of files) mocha.addFile(path.join(__dirname, f));
  return new Promise((resolve, reject) => {
    mocha.run((failures) => {
      const out = process.env.VSCODE_TEST_RESULT_FILE;
      if (out) fs.writeFileSync(out, JSON.stringify({ failures, tests: mocha.suite.total() }));
      if (failures > 0) reject(new Error(`${failures} editor test(s) failed`));
      else resolve();
    });
  });
}
