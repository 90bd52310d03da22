/**
 * `gradlens explain FILE ENTRY | descent FILE | sweep FILE --node ID`
 * (DESIGN.md "Teaching verbs"), run like `check`: in a worker thread with the
 * time limit for user code. Exit codes: explain 0 the analytic and numeric
 * gradients agree, 1 they disagree; descent 0 the curves agree, 1 they part;
 * sweep 0; all three 2 for a bad file, entry, node or usage (with `--json`,
 * the error document on stdout).
 */
import { parseArgs } from "node:util";
import { runInWorker } from "../worker/client.js";
import type { WorkerRequest, WorkerResult } from "../worker/protocol.js";
import { DEFAULTS } from "../shared/defaults.js";
import { failureErrors, isFailure, reportFailure, usageDocument } from "./errors.js";
import { formatDescent, formatExplanation, formatSweep } from "./teach-text.js";

export const TEACH_COMMANDS = ["explain", "descent", "sweep"] as const;
type TeachCommand = (typeof TEACH_COMMANDS)[number];

export const TEACH_USAGE = `  gradlens explain FILE ENTRY [--json] [--step H] [--timeout SECONDS] [--python PATH]     ENTRY: fc.W[1,0] or x[2,1]
  gradlens descent FILE [--steps N] [--lr A] [--json] [--timeout SECONDS] [--python PATH]
  gradlens sweep FILE --node ID [--json] [--timeout SECONDS] [--python PATH]`;

class TeachUsage extends Error {}

const OPTIONS = {
  json: { type: "boolean" }, step: { type: "string" }, steps: { type: "string" }, lr: { type: "string" },
  node: { type: "string" }, timeout: { type: "string" }, "max-memory": { type: "string" }, python: { type: "string" },
} as const;

/** Which options each verb takes (besides --json, --timeout, --max-memory, --python). */
const OWN: Record<TeachCommand, string[]> = { explain: ["step"], descent: ["steps", "lr", "step"], sweep: ["node"] };

export async function teachMain(argv: string[], usage: (message: string) => number): Promise<number> {
  const json = argv.includes("--json");
  let request: WorkerRequest, timeoutMs: number;
  try {
    ({ request, timeoutMs } = requestOf(argv));
  } catch (e) {
    if (!(e instanceof TeachUsage || (e as { code?: string }).code?.startsWith("ERR_PARSE_ARGS"))) throw e;
    if (json) process.stdout.write(JSON.stringify(usageDocument((e as Error).message), null, 2) + "\n");
    return usage((e as Error).message);
  }
  const result = await runInWorker(request, { timeoutMs });
  return output(result, request, json);
}

function requestOf(argv: string[]): { request: WorkerRequest; timeoutMs: number } {
  const { values: o, positionals } = parseArgs({ args: argv, allowPositionals: true, strict: true, options: OPTIONS });
  const [command, file, ...rest] = positionals as [TeachCommand, string?, ...string[]];
  if (!file) throw new TeachUsage(`${command} needs a network FILE`);
  const entry = command === "explain" ? rest.shift() : undefined;
  if (command === "explain" && !entry) throw new TeachUsage("explain needs an ENTRY, like fc.W[1,0] or x[2,1]");
  if (rest.length) throw new TeachUsage(`unexpected argument '${rest[0]}'`);
  const other = Object.keys(o).find((k) => !["json", "timeout", "max-memory", "python", ...OWN[command]].includes(k));
  if (other) throw new TeachUsage(`--${other} is not an option of '${command}'`);
  if (command === "sweep" && !o.node) throw new TeachUsage("sweep needs --node ID (the node whose local Jacobian to sweep)");
  const positive = (x: number) => x > 0;
  const step = number("step", o.step, positive, "a positive number");
  const request: WorkerRequest = {
    task: command, file, entry, node: o.node,
    ...(o.python !== undefined ? { python: o.python } : {}),
    steps: number("steps", o.steps, (x) => Number.isInteger(x) && x >= 0, "a whole number ≥ 0"),
    lr: number("lr", o.lr, positive, "a positive number"),
    maxMemoryMb: number("max-memory", o["max-memory"], positive, "a positive number of MiB"),
    ...(step !== undefined ? { options: { step } } : {}),
  };
  return { request, timeoutMs: (number("timeout", o.timeout, positive, "a positive number of seconds") ?? DEFAULTS.timeoutSeconds) * 1000 };
}

function number(name: string, v: string | undefined, check: (x: number) => boolean, want: string): number | undefined {
  if (v === undefined) return undefined;
  const x = Number(v);
  if (v.trim() === "" || !Number.isFinite(x) || !check(x)) throw new TeachUsage(`--${name} must be ${want}, got '${v}'`);
  return x;
}

function output(result: WorkerResult, request: WorkerRequest, json: boolean): number {
  if (isFailure(result)) {
    if (process.env.GRADLENS_DEBUG && result.kind === "internal-error" && result.stack) process.stderr.write(result.stack + "\n");
    return reportFailure(failureErrors(result, request.file), json);
  }
  const print = (value: unknown, text: () => string) => process.stdout.write((json ? JSON.stringify(value, null, 2) : text()) + "\n");
  const name = request.file.replace(/^.*[\\/]/, "").replace(/\.gradnet\.(json|ts)$/, "");
  switch (result.kind) {
    case "explain":
      print(result.explanation, () => formatExplanation(result.explanation, { name, output: result.explanation.path[0]?.node ?? "" }));
      return result.explanation.agree ? 0 : 1;
    case "descent":
      print(result.descent, () => formatDescent(result.descent, name));
      return result.descent.agree ? 0 : 1;
    case "sweep":
      print(result.sweep, () => formatSweep(result.sweep));
      return 0;
    default:
      return reportFailure([{ file: request.file, line: 1, column: 1, message: `unexpected ${result.kind} result from ${request.task} (an internal error in GradLens)` }], json);
  }
}
