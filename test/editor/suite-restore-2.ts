/** Phase 2 of the panel-restore suite (after the window reloaded). */
import { runSuite } from "./runner.js";

export const run = (): Promise<void> => runSuite(["restore-2.test.js"]);
