/** Phase 1 of the panel-restore suite (before the window reloads). */
import { runSuite } from "./runner.js";

export const run = (): Promise<void> => runSuite(["restore-1.test.js"]);
