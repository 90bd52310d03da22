/**
 * extensionTestsPath of the main editor suites. Restricted Mode needs a window
 * opened untrusted (host.mjs --restricted sets GRADLENS_EDITOR_SUITE), and the
 * panel-restore suites run as two phases around a reload (suite-restore-*.ts).
 */
import { runSuite } from "./runner.js";

export function run(): Promise<void> {
  return runSuite(process.env.GRADLENS_EDITOR_SUITE === "restricted" ? ["restricted.test.js"] : ["extension.test.js", "teach.test.js", "python.test.js", "testing.test.js"]);
}
