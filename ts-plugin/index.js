// @ts-check
/**
 * gradlens-ts-plugin: a TypeScript server plugin contributed by the GradLens
 * extension (package.json › contributes.typescriptServerPlugins), so that a
 * `.gradnet.ts` network gets types, completion and hovers for
 * `import … from "gradlens"` in a workspace that has no node_modules.
 *
 * It wraps the language service host's module resolution: when "gradlens" does
 * not resolve the usual way (no package installed in the workspace — an
 * installed one always wins), it resolves to the declarations shipped with the
 * extension, types/gradlens.d.ts. Nothing else changes, the user's files are
 * not touched, and no user code runs (resolution only reads files).
 *
 * Plain CommonJS: tsserver `require`s it from <extension>/node_modules/gradlens-ts-plugin.
 */
const fs = require("node:fs");
const path = require("node:path");

const MODULE = "gradlens";

/**
 * The extension's types/gradlens.d.ts: this folder sits in the extension
 * (ts-plugin/, through the node_modules link in a checkout) or in its
 * node_modules (the installed .vsix), so look upwards for it.
 * @returns {string | undefined}
 */
function findDeclarations() {
  let dir = __dirname;
  for (let i = 0; i < 4; i++) {
    const candidate = path.join(dir, "types", "gradlens.d.ts");
    if (fs.existsSync(candidate)) return candidate;
    const up = path.dirname(dir);
    if (up === dir) break;
    dir = up;
  }
  return undefined;
}

/** @param {{ typescript: typeof import("typescript") }} modules */
function init(modules) {
  const ts = modules.typescript;

  /** @param {import("typescript").server.PluginCreateInfo} info */
  function create(info) {
    const log = (/** @type {string} */ message) => info.project.projectService.logger.info(`[gradlens-ts-plugin] ${message}`);
    const declarations = findDeclarations();
    if (!declarations) {
      log(`types/gradlens.d.ts not found above ${__dirname}; "gradlens" is left to TypeScript`);
      return info.languageService;
    }
    log(`"${MODULE}" resolves to ${declarations} where nothing else provides it`);
    const host = info.languageServiceHost;
    /** @type {import("typescript").ResolvedModuleFull} */
    const resolved = { resolvedFileName: declarations, extension: ts.Extension.Dts, isExternalLibraryImport: true };

    // TypeScript ≥ 5.0 asks the host through resolveModuleNameLiterals.
    const literals = host.resolveModuleNameLiterals;
    if (literals) {
      host.resolveModuleNameLiterals = (names, containingFile, ...rest) => {
        const results = literals.call(host, names, containingFile, ...rest);
        return results.map((r, i) => (names[i].text === MODULE && !r.resolvedModule ? { ...r, resolvedModule: resolved } : r));
      };
    }
    // Older TypeScript (a workspace version) asks through resolveModuleNames.
    const moduleNames = host.resolveModuleNames;
    if (moduleNames) {
      host.resolveModuleNames = (names, containingFile, ...rest) => {
        const results = moduleNames.call(host, names, containingFile, ...rest);
        return results.map((r, i) => (names[i] === MODULE && !r ? resolved : r));
      };
    }
    return info.languageService;
  }

  return { create };
}

module.exports = init;
