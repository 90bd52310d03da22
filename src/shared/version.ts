/**
 * GradLens's version: package.json's, read at build time (esbuild and tsx both
 * inline the JSON import), so the CLI's `--version` and every report's
 * `version` field never disagree with the manifest.
 */
import { version } from "../../package.json";

export const VERSION: string = version;
