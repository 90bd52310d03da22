// One place for each fact. The defaults live in src/shared/defaults.ts and the
// version in package.json; what cannot import them (package.json's settings,
// the README's tables) is held to them here.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, test } from "node:test";
import { DEFAULTS } from "../../src/shared/defaults.js";
import { VERSION } from "../../src/shared/version.js";
import { paramName, parseTensorName } from "../../src/shared/names.js";
import { DEFAULT_OPTIONS } from "../../src/engine/check.js";
import { DEFAULT_MAX_MEMORY_MB } from "../../src/engine/limits.js";

const root = join(import.meta.dirname, "..", "..");
const manifest = JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as {
  version: string;
  contributes: { configuration: { properties: Record<string, { default: unknown }> } };
};

describe("one place for each fact", () => {
  test("package.json's settings default to DEFAULTS (the extension's fallbacks read DEFAULTS too)", () => {
    const settings = manifest.contributes.configuration.properties;
    const defaults = (key: string) => settings[`gradlens.${key}`]?.default;
    assert.deepEqual(
      { rtol: defaults("rtol"), atol: defaults("atol"), step: defaults("step"), mode: defaults("mode"), jacobianLimit: defaults("jacobianLimit"), userCodeTimeoutSeconds: defaults("userCodeTimeoutSeconds"), maxMemoryMb: defaults("maxMemoryMb") },
      { rtol: DEFAULTS.rtol, atol: DEFAULTS.atol, step: DEFAULTS.step, mode: DEFAULTS.mode, jacobianLimit: DEFAULTS.jacobianLimit, userCodeTimeoutSeconds: DEFAULTS.timeoutSeconds, maxMemoryMb: DEFAULTS.maxMemoryMb },
    );
    // gradlens.pythonPath is empty by default: the Python extension's interpreter, else DEFAULTS.python.
    assert.equal(defaults("pythonPath"), "");
    assert.equal(DEFAULTS.python, "python3");
  });

  test("the engine's defaults are DEFAULTS", () => {
    const { mode, rtol, atol, step, jacobianLimit, gradientLimit, samples } = DEFAULT_OPTIONS;
    assert.deepEqual({ mode, rtol, atol, step, jacobianLimit, gradientLimit, samples },
      { mode: DEFAULTS.mode, rtol: DEFAULTS.rtol, atol: DEFAULTS.atol, step: DEFAULTS.step, jacobianLimit: DEFAULTS.jacobianLimit, gradientLimit: DEFAULTS.gradientLimit, samples: DEFAULTS.samples });
    assert.equal(DEFAULT_MAX_MEMORY_MB, DEFAULTS.maxMemoryMb);
  });

  test("VERSION is package.json's, in the CLI and in every report", { skip: existsSync(join(root, "dist/cli.js")) ? false : "dist/cli.js is not built" }, () => {
    assert.equal(VERSION, manifest.version);
    const run = spawnSync(process.execPath, [join(root, "bin/gradlens.js"), "--version"], { encoding: "utf8" });
    assert.equal(run.stdout, `gradlens ${manifest.version}\n`);
    const check = spawnSync(process.execPath, [join(root, "bin/gradlens.js"), "check", join(root, "examples/seed-mlp.gradnet.json"), "--json"], { encoding: "utf8" });
    assert.equal(JSON.parse(check.stdout).version, manifest.version);
  });

  test("a parameter's name \"<node>.<param>\" is made and read by one pair of functions", () => {
    assert.equal(paramName("fc", "W"), "fc.W");
    assert.deepEqual(parseTensorName("fc.W"), { kind: "param", node: "fc", param: "W" });
    assert.deepEqual(parseTensorName("x"), { kind: "input", input: "x" });
    assert.deepEqual(parseTensorName(paramName("ln", "gamma")), { kind: "param", node: "ln", param: "gamma" });
  });
});
