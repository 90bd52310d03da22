/**
 * Runs fuzz cases through the same code path as `gradlens check` (runTask →
 * WorkerResult → exit code) and judges each outcome: exit 0 or 1 with a
 * report, or exit 2 with `FILE:LINE:COL: error: message` inside the file's
 * text. Anything else — an internal error, a throw out of runTask, a bad
 * location, a report JSON cannot carry — is a finding.
 */
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { runTask } from "../../src/worker/run-task.js";
import type { WorkerRequest, WorkerResult } from "../../src/worker/protocol.js";
import { generateCase, type FuzzCase, type Seed } from "./generate.js";
import "../../src/config/typescript-support.js";

export const root = join(import.meta.dirname, "..", "..");

/** The valid networks every case starts from. */
export function loadSeeds(): Seed[] {
  const seeds: Seed[] = [];
  for (const dir of ["examples", "examples/bench"]) {
    for (const f of readdirSync(join(root, dir)).sort()) {
      if (!f.endsWith(".gradnet.json")) continue;
      const text = readFileSync(join(root, dir, f), "utf8");
      // Networks with many input values (mnist: 8×784) cost ~100 ms a check: picked a third as often.
      const inputs = Object.values((JSON.parse(text) as { inputs: Record<string, { shape?: number[] }> }).inputs);
      const values = inputs.reduce((a, i) => a + (i.shape ?? [1]).reduce((x, y) => x * y, 1), 0);
      seeds.push({ name: `${dir}/${f}`, text, weight: values > 4096 ? 1 / 3 : 1 });
    }
  }
  return seeds;
}

export interface Outcome {
  index: number;
  seed: string;
  mutations: string[];
  file: string;
  exit: 0 | 1 | 2 | "bug";
  /** The stderr line(s) the CLI would print for exit 2; the finding for "bug". */
  message?: string;
  ms: number;
  heapMb: number;
}

/** The CLI's exit code for a result (src/cli/main.ts `report`), or "bug". */
export function exitCodeOf(result: WorkerResult): 0 | 1 | 2 | "bug" {
  switch (result.kind) {
    case "report": return result.report.ok ? 0 : 1;
    case "grads": case "graph": return 0;
    case "config-error": case "user-error": case "timeout": case "cancelled": return 2;
    default: return "bug";
  }
}

/** Line and column inside the text: 1 ≤ line ≤ lines, 1 ≤ column ≤ that line's length + 1. */
export function insideText(text: string, line: number, column: number): boolean {
  const lines = text.split(/\r\n|\r|\n/);
  return Number.isInteger(line) && Number.isInteger(column) && line >= 1 && line <= lines.length && column >= 1 && column <= lines[line - 1].length + 1;
}

/**
 * Numbers a reader compares (errors, the loss, a scale factor) must be finite:
 * JSON has no NaN or Infinity, and JSON.stringify would turn them into null.
 * (Jacobian and gradient entries may be NaN: the report says "NaN where an
 * entry was not computed", and a non-finite node shows them as null.)
 */
const MUST_BE_FINITE = new Set(["maxRelError", "relError", "loss", "factor", "rtol", "atol", "step"]);

export function nonFiniteInReport(value: unknown, path = "report"): string | undefined {
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const bad = nonFiniteInReport(value[i], `${path}[${i}]`);
      if (bad) return bad;
    }
  } else if (value && typeof value === "object") {
    for (const [k, v] of Object.entries(value)) {
      if (MUST_BE_FINITE.has(k) && typeof v === "number" && !Number.isFinite(v)) return `${path}.${k} is ${v}`;
      const bad = nonFiniteInReport(v, `${path}.${k}`);
      if (bad) return bad;
    }
  }
  return undefined;
}

export function judge(result: WorkerResult, text: string): { exit: Outcome["exit"]; message?: string } {
  const exit = exitCodeOf(result);
  if (exit === "bug") return { exit, message: `${result.kind}: ${"message" in result ? result.message : ""}` };
  if (result.kind === "config-error") {
    if (result.errors.length === 0) return { exit: "bug", message: "config-error without errors" };
    for (const e of result.errors) {
      if (!insideText(text, e.line, e.column)) return { exit: "bug", message: `location ${e.line}:${e.column} is outside the file's text: ${e.message}` };
      if (!e.message || /\n\s+at /.test(e.message)) return { exit: "bug", message: `unreadable message: ${JSON.stringify(e.message.slice(0, 200))}` };
    }
    return { exit, message: result.errors.map((e) => `${e.file}:${e.line}:${e.column}: error: ${e.message}`).join("\n") };
  }
  if (result.kind === "user-error") return { exit, message: result.message };
  if (result.kind === "report") {
    const bad = nonFiniteInReport({ ...result.report, timings: undefined });
    if (bad) return { exit: "bug", message: `the report holds a non-finite number: ${bad}` };
  }
  return { exit };
}

export const FUZZ_REQUEST: Omit<WorkerRequest, "file"> = {
  task: "check",
  // Fast mode keeps each case quick; local checks stay on, so a non-finite node still gives exit 1.
  options: { mode: "fast" },
  // A smaller budget than the CLI's 512 MiB: same refusal path, cheaper cases.
  maxMemoryMb: 64,
};

export async function runCase(c: FuzzCase, dir: string, task: WorkerRequest["task"] = "check"): Promise<Outcome> {
  const file = join(dir, `case-${String(c.index).padStart(5, "0")}.gradnet.json`);
  writeFileSync(file, c.bytes);
  const text = new TextDecoder().decode(c.bytes); // what readFile(file, "utf8") gives, less a byte order mark
  const t0 = performance.now();
  let result: WorkerResult;
  try {
    result = await runTask({ ...FUZZ_REQUEST, task, file });
  } catch (e) {
    return { index: c.index, seed: c.seed, mutations: c.mutations, file, exit: "bug", message: `runTask threw: ${(e as Error)?.stack ?? e}`, ms: performance.now() - t0, heapMb: heapMb() };
  }
  const ms = performance.now() - t0;
  return { index: c.index, seed: c.seed, mutations: c.mutations, file, ms, heapMb: heapMb(), ...judge(result, text) };
}

const heapMb = () => process.memoryUsage().heapUsed / 2 ** 20;

export function makeCases(count: number, fuzzSeed: number, seeds = loadSeeds()): FuzzCase[] {
  return Array.from({ length: count }, (_, i) => generateCase(seeds, i, fuzzSeed));
}

export function caseDir(name: string): string {
  const dir = join(root, "artifacts", name);
  mkdirSync(dir, { recursive: true });
  return dir;
}
