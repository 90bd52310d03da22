/**
 * `gradlens check | grads | graph` (DESIGN.md "gradlens CLI").
 * Exit codes: 0 all pass (kinks allowed), 1 a mismatch, 2 a bad file, bad usage,
 * or an exception or time-out in user code. Never a stack trace for the user's
 * mistakes; GRADLENS_DEBUG=1 shows one for ours.
 */
import { parseArgs } from "node:util";
import { writeFileSync } from "node:fs";
import { runInWorker, WorkerThread } from "../worker/client.js";
import type { WorkerRequest, WorkerResult } from "../worker/protocol.js";
import { toMermaid } from "../shared/mermaid.js";
import { renderStandaloneHtml } from "./standalone.js";
import { VERSION } from "../shared/version.js";
import { formatReport } from "./table.js";
import { DEFAULTS } from "../shared/defaults.js";

const USAGE = `usage:
  gradlens check FILE [--mode exhaustive|sampled|fast] [--rtol X] [--atol X] [--step H] [--seed N]
                      [--json] [--html OUT] [--timeout SECONDS] [--jacobian-limit N] [--samples N]
                      [--max-memory MB]
  gradlens grads FILE --json [--max-memory MB]
  gradlens graph FILE [--max-memory MB]

--max-memory MB refuses, up front, a network whose tensors, gradients and
Jacobians would need more than MB MiB (default ${DEFAULTS.maxMemoryMb}).

FILE is a *.gradnet.json or *.gradnet.ts network.
exit: 0 all gradients pass (kinks allowed), 1 a mismatch, 2 a bad file, bad usage,
      or an exception or time-out in user code.`;

class UsageError extends Error {}

function number(name: string, v: string | undefined, check: (x: number) => boolean, want: string): number | undefined {
  if (v === undefined) return undefined;
  const x = Number(v);
  if (v.trim() === "" || !Number.isFinite(x) || !check(x)) throw new UsageError(`--${name} must be ${want}, got '${v}'`);
  return x;
}

export async function main(argv: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv, allowPositionals: true, strict: true,
      options: {
        mode: { type: "string" }, rtol: { type: "string" }, atol: { type: "string" }, step: { type: "string" },
        seed: { type: "string" }, json: { type: "boolean" }, html: { type: "string" }, timeout: { type: "string" },
        "jacobian-limit": { type: "string" }, samples: { type: "string" }, "max-memory": { type: "string" },
        help: { type: "boolean", short: "h" }, version: { type: "boolean", short: "v" },
      },
    });
  } catch (e) {
    return usage((e as Error).message);
  }
  const { values: o, positionals } = parsed;
  if (o.version) {
    process.stdout.write(`gradlens ${VERSION}\n`);
    return 0;
  }
  if (o.help) {
    process.stdout.write(USAGE + "\n");
    return 0;
  }
  const [command, file, ...extra] = positionals;
  if (!command) return usage("no command given");
  if (!["check", "grads", "graph"].includes(command)) return usage(`unknown command '${command}'`);
  if (!file) return usage(`${command} needs a network FILE`);
  if (extra.length) return usage(`unexpected argument '${extra[0]}'`);
  // The worker thread loads its code while the options are read.
  const thread = new WorkerThread().start();

  let request: WorkerRequest;
  let timeoutMs: number;
  try {
    if (o.mode !== undefined && !["exhaustive", "sampled", "fast", "auto"].includes(o.mode)) throw new UsageError(`--mode must be exhaustive, sampled or fast, got '${o.mode}'`);
    if (command !== "check") {
      const checkOnly = ["mode", "rtol", "atol", "step", "seed", "html", "jacobian-limit", "samples"].filter((k) => (o as Record<string, unknown>)[k] !== undefined);
      if (checkOnly.length) throw new UsageError(`--${checkOnly[0]} is an option of 'check', not of '${command}'`);
    }
    if (command === "grads" && !o.json) throw new UsageError("grads prints JSON: use `gradlens grads FILE --json`");
    if (command === "graph" && o.json) throw new UsageError("graph prints Mermaid source; it has no --json");
    const positive = (x: number) => x > 0;
    timeoutMs = (number("timeout", o.timeout, positive, "a positive number of seconds") ?? DEFAULTS.timeoutSeconds) * 1000;
    request = {
      task: command as WorkerRequest["task"], file,
      ...opt("maxMemoryMb", number("max-memory", o["max-memory"], positive, "a positive number of MiB")),
      options: {
        ...(o.mode ? { mode: o.mode as "exhaustive" } : {}),
        ...opt("rtol", number("rtol", o.rtol, (x) => x >= 0, "a number ≥ 0")),
        ...opt("atol", number("atol", o.atol, (x) => x >= 0, "a number ≥ 0")),
        ...opt("step", number("step", o.step, positive, "a positive number")),
        ...opt("seed", number("seed", o.seed, Number.isInteger, "an integer")),
        ...opt("jacobianLimit", number("jacobian-limit", o["jacobian-limit"], (x) => Number.isInteger(x) && x > 0, "a positive integer")),
        ...opt("samples", number("samples", o.samples, (x) => Number.isInteger(x) && x > 0, "a positive integer")),
      },
    };
  } catch (e) {
    thread.terminate();
    if (e instanceof UsageError) return usage(e.message);
    throw e;
  }

  const interactive = process.stderr.isTTY && !o.json;
  const result = await runInWorker(request, {
    thread,
    timeoutMs,
    onProgress: interactive ? (f, m) => process.stderr.write(`\r\x1b[K${Math.round(f * 100)}% ${m}`) : undefined,
  });
  if (interactive) process.stderr.write("\r\x1b[K");
  return report(result, file, { json: !!o.json, html: o.html, timeoutMs });
}

function opt<K extends string>(key: K, v: number | undefined): Partial<Record<K, number>> {
  return v === undefined ? {} : ({ [key]: v } as Record<K, number>);
}

function report(result: WorkerResult, file: string, out: { json: boolean; html?: string; timeoutMs: number }): number {
  switch (result.kind) {
    case "report": {
      const r = result.report;
      if (out.html) {
        try {
          writeFileSync(out.html, renderStandaloneHtml(r));
        } catch (e) {
          return fail(`${out.html}: error: cannot write the HTML report: ${(e as Error).message}`);
        }
      }
      if (out.json) process.stdout.write(JSON.stringify(r, null, 2) + "\n");
      else process.stdout.write(formatReport(r, { color: !!process.stdout.isTTY && !process.env.NO_COLOR }) + "\n");
      return r.ok ? 0 : 1;
    }
    case "grads":
      process.stdout.write(JSON.stringify({ loss: result.loss, grads: result.grads }, null, 2) + "\n");
      return 0;
    case "graph":
      process.stdout.write(toMermaid(result.view) + "\n");
      return 0;
    case "config-error":
      for (const e of result.errors) process.stderr.write(`${e.file}:${e.line}:${e.column}: error: ${e.message}\n`);
      return 2;
    case "user-error": {
      const at = result.location ? `${result.location.file}:${result.location.line}:${result.location.column}` : file;
      return fail(`${at}: error: ${result.message}`);
    }
    case "timeout":
      return fail(`${file}: error: user code did not finish within ${result.seconds} s (an endless loop in a forward or backward?); stopped. Raise the limit with --timeout SECONDS.`);
    case "cancelled":
      return fail(`${file}: error: cancelled`);
    case "internal-error":
      if (process.env.GRADLENS_DEBUG && result.stack) process.stderr.write(result.stack + "\n");
      return fail(`${file}: error: ${result.message} (an internal error in GradLens; set GRADLENS_DEBUG=1 for details)`);
  }
}

function fail(message: string): number {
  process.stderr.write(message + "\n");
  return 2;
}

function usage(message: string): number {
  process.stderr.write(`gradlens: ${message}\n\n${USAGE}\n`);
  return 2;
}

/**
 * Exit once stdout and stderr are flushed: into a pipe, writes are
 * asynchronous, and process.exit() right after a large report cut the JSON off
 * (a 400 kB report ended mid-string).
 */
function exitAfterFlush(code: number): void {
  process.exitCode = code;
  process.stdout.write("", () => process.stderr.write("", () => process.exit(code)));
}

main(process.argv.slice(2)).then(
  (code) => exitAfterFlush(code),
  (e) => {
    if (process.env.GRADLENS_DEBUG) console.error(e);
    process.stderr.write(`gradlens: internal error: ${e?.message ?? e}\n`);
    exitAfterFlush(2);
  },
);
