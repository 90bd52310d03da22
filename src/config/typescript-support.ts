/**
 * Side-effect import: registers the `.gradnet.ts` loader with loadNetworkFile.
 * Kept apart so that JSON-only code paths do not pull in esbuild.
 */
import { setTypeScriptSupport } from "./load.js";
import * as typescript from "./typescript.js";

setTypeScriptSupport({ loadTypeScript: typescript.loadTypeScript, resolveCustomOps: typescript.resolveCustomOps });
