/**
 * `.gradnet.ts` loading (placeholder until the TypeScript loader lands): refuses
 * with a clear, located message rather than failing obscurely.
 */
import { ConfigError, type LoadOptions, type LoadedNetwork, type ResolveCustomOps } from "./load.js";

export async function loadTypeScript(file: string, _options: LoadOptions): Promise<LoadedNetwork> {
  throw new ConfigError("TypeScript networks (.gradnet.ts) are not supported by this build yet", file, { line: 1, column: 1 });
}

export const resolveCustomOps: ResolveCustomOps = async (_ops, { file, locate }) => {
  throw new ConfigError("custom ops from TypeScript modules are not supported by this build yet", file, locate(["ops"], "key"));
};
