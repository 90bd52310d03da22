/**
 * The corpus of real backward bugs (issue 9): checks every test/corpus/<id>/bug.gradnet.ts and its
 * corrected twin fixed.gradnet.ts through the real CLI (`node bin/gradlens.js check FILE --json`) and
 * measures, against test/corpus/corpus.json, how GradLens does on each: detected? at the right node?
 * which diagnosis kind, against the one a perfect GradLens would give? does the twin pass at N seeds?
 *
 *   node --import tsx scripts/corpus.ts [--mode exhaustive|sampled|fast] [--seeds N] [--bug-seeds K]
 *                                       [--json] [--cases id,id…] [--jobs N] [--no-build]
 *
 * Each bug is judged at its file's own seed; --bug-seeds K also checks it at --seed 0…K−1 and says
 * whether it is detected at the right node with the same kind at every one of them (`stable`).
 * `--from FILE` prints the table of a run saved with --json, without checking anything.
 *
 * Prints a table and the totals, or with --json one machine-readable document (see `CorpusRun`), so a
 * test can reuse the measurement. Exit 0 when the run completed (whatever the figures), 2 on bad usage
 * or a corpus that does not match its manifest.
 */
import { spawn, spawnSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { pathToFileURL } from "node:url";

const root = join(import.meta.dirname, "..");
const corpusDir = join(root, "test", "corpus");

// ---------------------------------------------------------------- the manifest

/** One case of test/corpus/corpus.json. */
export interface CorpusCase {
  id: string;
  title: string;
  /** The thread or commit that shows the bug, or "textbook". */
  source: string;
  /** The faulty line as its author wrote it (or the report's words where the thread shows no line). */
  quote: string;
  class: string;
  /** The node at fault. */
  node: string;
  /** The diagnosis a perfect GradLens would give (DESIGN.md kinds). */
  expected: {
    kind: string;
    factor?: number;
    region?: string;
    /** Other kinds that would also be right. */
    accept?: string[];
    /** Below the default tolerance: a perfect check reports the node as suspect. */
    suspect?: boolean;
    why: string;
  };
  /** The buggy op is the network's last node (its upstream gradient is always 1). */
  lastNode?: boolean;
}

const KINDS = new Set([
  "sign", "scale", "transpose", "missing-off-diagonal", "zero", "non-finite", "mismatch",
  "ignores-upstream", "sparsity", "partial", "mutates-input", "non-deterministic",
]);

function loadManifest(): CorpusCase[] {
  const doc = JSON.parse(readFileSync(join(corpusDir, "corpus.json"), "utf8")) as { cases: CorpusCase[] };
  const problems: string[] = [];
  const seen = new Set<string>();
  for (const c of doc.cases) {
    if (seen.has(c.id)) problems.push(`${c.id}: listed twice`);
    seen.add(c.id);
    for (const f of ["bug", "fixed"]) if (!existsSync(join(corpusDir, c.id, `${f}.gradnet.ts`))) problems.push(`${c.id}: no ${f}.gradnet.ts`);
    for (const k of [c.expected.kind, ...(c.expected.accept ?? [])]) if (!KINDS.has(k)) problems.push(`${c.id}: unknown kind '${k}'`);
    for (const field of ["title", "source", "quote", "class", "node"] as const) if (!c[field]) problems.push(`${c.id}: no ${field}`);
    if (!c.expected.why) problems.push(`${c.id}: no expected.why`);
  }
  const dirs = readdirSync(corpusDir).filter((d) => statSync(join(corpusDir, d)).isDirectory());
  for (const d of dirs) if (!seen.has(d)) problems.push(`${d}: a case directory that corpus.json does not list`);
  if (problems.length) throw new UsageError(`test/corpus/corpus.json does not match the corpus:\n  ${problems.join("\n  ")}`);
  return doc.cases;
}

// ---------------------------------------------------------------- one CLI run

/** The part of `check --json` this script reads (DESIGN.md's report fields, and `suspect` once it exists). */
interface ReportNode {
  id: string;
  status: "pass" | "fail" | "kink" | "skipped";
  maxRelError?: number;
  suspect?: boolean;
  diagnosis?: { kind: string; detail: string; factor?: number; region?: string };
}
interface Report {
  ok: boolean;
  nodes: ReportNode[];
  gradients: { name: string; status: string }[];
}

/** What one `gradlens check` said. */
export interface CheckOutcome {
  exit: number | null;
  /** Nodes that failed their local check. */
  failing: string[];
  /** Nodes marked suspect (a field of issue 9; absent today). */
  suspect: string[];
  /** End-to-end gradients that failed. */
  failingGradients: string[];
  /** The node at fault, as the report shows it. */
  atNode?: { status: string; kind?: string; factor?: number; region?: string; detail?: string; suspect?: boolean };
  /** The first line of stderr, when the check could not run (exit 2). */
  error?: string;
}

function runCheck(file: string, mode: string, seed: number | undefined, node: string): Promise<CheckOutcome> {
  const args = ["bin/gradlens.js", "check", relative(root, file), "--json", "--mode", mode];
  if (seed !== undefined) args.push("--seed", String(seed));
  return new Promise((resolve) => {
    const child = spawn(process.execPath, args, { cwd: root, stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    let err = "";
    child.stdout.on("data", (d: Buffer) => (out += d.toString()));
    child.stderr.on("data", (d: Buffer) => (err += d.toString()));
    const timer = setTimeout(() => child.kill("SIGKILL"), 120_000);
    child.on("close", (exit) => {
      clearTimeout(timer);
      const base: CheckOutcome = { exit, failing: [], suspect: [], failingGradients: [] };
      let report: Report | undefined;
      try {
        const doc = JSON.parse(out) as Partial<Report>;
        if (Array.isArray(doc.nodes)) report = doc as Report;
      } catch {
        // not a report: a bad file, an exception or a time-out (exit 2)
      }
      if (!report) {
        resolve({ ...base, error: (err.trim().split("\n")[0] || `exit ${exit}, no report`).slice(0, 300) });
        return;
      }
      const n = report.nodes.find((x) => x.id === node);
      resolve({
        ...base,
        failing: report.nodes.filter((x) => x.status === "fail").map((x) => x.id),
        suspect: report.nodes.filter((x) => x.suspect).map((x) => x.id),
        failingGradients: report.gradients.filter((g) => g.status === "fail").map((g) => g.name),
        atNode: n && {
          status: n.status,
          suspect: n.suspect,
          kind: n.diagnosis?.kind,
          factor: n.diagnosis?.factor,
          region: n.diagnosis?.region,
          detail: n.diagnosis?.detail,
        },
      });
    });
  });
}

/** Runs tasks with at most `jobs` at a time, results in task order. */
async function pool<T>(tasks: (() => Promise<T>)[], jobs: number): Promise<T[]> {
  const results: T[] = new Array(tasks.length);
  let next = 0;
  const worker = async () => {
    while (next < tasks.length) {
      const i = next++;
      results[i] = await tasks[i]();
    }
  };
  await Promise.all(Array.from({ length: Math.min(jobs, tasks.length) }, worker));
  return results;
}

// ---------------------------------------------------------------- judging a case

/** The measurement of one case. */
export interface CaseResult {
  id: string;
  class: string;
  node: string;
  expected: CorpusCase["expected"];
  lastNode: boolean;
  bug: CheckOutcome;
  /** The check failed (exit 1), or — for a case below tolerance — marked the node suspect. */
  detected: boolean;
  /** The node at fault failed (or was suspect) and no other node failed. */
  rightNode: boolean;
  /** The diagnosis kind at the node at fault, if it failed there. */
  kind?: string;
  /** A diagnosis other than plain mismatch, at the right node. */
  specific: boolean;
  /** The expected kind (or an accepted one), at the right node, with the expected factor. */
  exact: boolean;
  twin: { seeds: number[]; passed: number; failures: { seed: number; exit: number | null; failing: string[]; failingGradients: string[]; error?: string }[] };
  /** With --bug-seeds: the bug at other seeds (same judging), and whether every one agrees with the file's seed. */
  bugSeeds?: { seed: number; detected: boolean; rightNode: boolean; kind?: string }[];
  stable?: boolean;
}

function judgeBug(c: CorpusCase, bug: CheckOutcome) {
  const atFault = bug.failing.includes(c.node) || bug.suspect.includes(c.node);
  const detected = bug.exit === 1 || (c.expected.suspect === true && bug.suspect.length > 0);
  const rightNode = atFault && bug.failing.every((id) => id === c.node);
  const kind = bug.failing.includes(c.node) ? bug.atNode?.kind : undefined;
  return { detected, rightNode, kind };
}

function judge(c: CorpusCase, bug: CheckOutcome, twins: { seed: number; outcome: CheckOutcome }[], others: { seed: number; outcome: CheckOutcome }[]): CaseResult {
  const atFault = bug.failing.includes(c.node) || bug.suspect.includes(c.node);
  const detected = bug.exit === 1 || (c.expected.suspect === true && bug.suspect.length > 0);
  const rightNode = atFault && bug.failing.every((id) => id === c.node);
  const kind = bug.failing.includes(c.node) ? bug.atNode?.kind : undefined;
  const wanted = [c.expected.kind, ...(c.expected.accept ?? [])];
  const factorOk = c.expected.factor === undefined
    || (bug.atNode?.factor !== undefined && Math.abs(bug.atNode.factor - c.expected.factor) <= 1e-6 * Math.max(1, Math.abs(c.expected.factor)));
  const exact = rightNode && ((kind !== undefined && wanted.includes(kind) && factorOk) || (c.expected.suspect === true && bug.suspect.includes(c.node) && kind === undefined));
  const failures = twins
    .filter((t) => t.outcome.exit !== 0)
    .map((t) => ({ seed: t.seed, exit: t.outcome.exit, failing: t.outcome.failing, failingGradients: t.outcome.failingGradients, ...(t.outcome.error ? { error: t.outcome.error } : {}) }));
  const bugSeeds = others.map((o) => ({ seed: o.seed, ...judgeBug(c, o.outcome) }));
  return {
    id: c.id, class: c.class, node: c.node, expected: c.expected, lastNode: c.lastNode === true, bug,
    detected, rightNode, kind, specific: rightNode && kind !== undefined && kind !== "mismatch", exact,
    twin: { seeds: twins.map((t) => t.seed), passed: twins.length - failures.length, failures },
    ...(others.length
      ? { bugSeeds, stable: bugSeeds.every((b) => b.detected === detected && b.rightNode === rightNode && b.kind === kind) }
      : {}),
  };
}

// ---------------------------------------------------------------- the run

/** The document `--json` prints. */
export interface CorpusRun {
  mode: string;
  seeds: number;
  bugSeeds: number;
  cases: CaseResult[];
  totals: {
    cases: number;
    /** The check failed (or, below tolerance, flagged the node). */
    detected: number;
    rightNode: number;
    /** A diagnosis other than mismatch at the right node. */
    specific: number;
    exact: number;
    /** Cases whose expected kind is not mismatch: the most `specific` can be. */
    expectedSpecific: number;
    /** Bugs the check could not run on (exit 2). */
    errors: number;
    /** Twins that failed at one seed or more (each is a false alarm, or a wrong twin). */
    falseAlarms: number;
    /** With --bug-seeds: bugs judged the same at every seed. */
    stable?: number;
  };
}

/** Bad usage or a corpus that does not match its manifest: the script exits 2 with the message. */
export class UsageError extends Error {}

function usage(why: string): never {
  throw new UsageError(`${why}\nusage: node --import tsx scripts/corpus.ts [--mode exhaustive|sampled|fast] [--seeds N] [--bug-seeds K] [--json] [--cases id,id…] [--jobs N] [--no-build] [--from RUN.json]`);
}

function parseArgs(argv: string[]) {
  const o = { mode: "exhaustive", seeds: 10, bugSeeds: 0, json: false, cases: undefined as string[] | undefined, jobs: 2, build: true, from: undefined as string | undefined };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = () => argv[++i] ?? usage(`${a} needs a value`);
    if (a === "--mode") {
      o.mode = value();
      if (!["exhaustive", "sampled", "fast"].includes(o.mode)) usage(`--mode ${o.mode}: expected exhaustive, sampled or fast`);
    } else if (a === "--seeds" || a === "--bug-seeds" || a === "--jobs") {
      const n = Number(value());
      if (!Number.isInteger(n) || n < (a === "--jobs" ? 1 : 0)) usage(`${a}: expected a whole number`);
      if (a === "--seeds") o.seeds = n;
      else if (a === "--bug-seeds") o.bugSeeds = n;
      else o.jobs = n;
    } else if (a === "--json") o.json = true;
    else if (a === "--no-build") o.build = false;
    else if (a === "--cases") o.cases = value().split(",").filter(Boolean);
    else if (a === "--from") o.from = value();
    else usage(`unknown argument ${a}`);
  }
  return o;
}

export async function runCorpus(options: { mode: string; seeds: number; bugSeeds?: number; cases?: string[]; jobs: number }): Promise<CorpusRun> {
  let cases = loadManifest();
  if (options.cases) {
    const unknown = options.cases.filter((id) => !cases.some((c) => c.id === id));
    if (unknown.length) usage(`--cases: no case ${unknown.join(", ")}`);
    cases = cases.filter((c) => options.cases!.includes(c.id));
  }
  const seeds = Array.from({ length: options.seeds }, (_, i) => i);
  const bugSeeds = Array.from({ length: options.bugSeeds ?? 0 }, (_, i) => i);
  const tasks = cases.flatMap((c) => [
    () => runCheck(join(corpusDir, c.id, "bug.gradnet.ts"), options.mode, undefined, c.node),
    ...seeds.map((s) => () => runCheck(join(corpusDir, c.id, "fixed.gradnet.ts"), options.mode, s, c.node)),
    ...bugSeeds.map((s) => () => runCheck(join(corpusDir, c.id, "bug.gradnet.ts"), options.mode, s, c.node)),
  ]);
  const outcomes = await pool(tasks, options.jobs);
  const per = 1 + seeds.length + bugSeeds.length;
  const results = cases.map((c, i) => {
    const at = (k: number) => outcomes[i * per + k];
    return judge(
      c,
      at(0),
      seeds.map((seed, k) => ({ seed, outcome: at(1 + k) })),
      bugSeeds.map((seed, k) => ({ seed, outcome: at(1 + seeds.length + k) })),
    );
  });
  const count = (f: (r: CaseResult) => boolean) => results.filter(f).length;
  return {
    mode: options.mode,
    seeds: options.seeds,
    bugSeeds: options.bugSeeds ?? 0,
    cases: results,
    totals: {
      cases: results.length,
      detected: count((r) => r.detected),
      rightNode: count((r) => r.rightNode),
      specific: count((r) => r.specific),
      exact: count((r) => r.exact),
      expectedSpecific: count((r) => r.expected.kind !== "mismatch"),
      errors: count((r) => r.bug.exit === 2 || r.bug.error !== undefined),
      falseAlarms: count((r) => r.twin.failures.length > 0),
      ...(options.bugSeeds ? { stable: count((r) => r.stable === true) } : {}),
    },
  };
}

export function table(run: CorpusRun): string {
  const expectedText = (e: CorpusCase["expected"]) =>
    `${e.kind}${e.factor !== undefined ? ` ×${fraction(e.factor)}` : ""}${e.suspect ? " (suspect)" : ""}`;
  const givenText = (r: CaseResult) => {
    if (r.bug.error) return `error: ${r.bug.error.slice(0, 40)}`;
    if (r.kind) return `${r.kind}${r.bug.atNode?.factor !== undefined ? ` ×${fraction(r.bug.atNode.factor)}` : ""}`;
    if (r.bug.suspect.includes(r.node)) return "suspect";
    if (r.bug.exit === 0) return "— (passes)";
    if (r.bug.failing.length === 0) return "— (only end to end)";
    return `— (${r.node} ${r.bug.atNode?.status ?? "?"})`;
  };
  const rows = run.cases.map((r) => [
    r.id + (r.lastNode ? " ⁽ˡᵃˢᵗ⁾" : ""),
    expectedText(r.expected),
    givenText(r),
    r.detected ? "yes" : "NO",
    r.rightNode ? "yes" : r.bug.failing.length ? `NO (${r.bug.failing.join(", ")})` : "NO",
    r.exact ? "yes" : r.specific ? "other" : "no",
    `${r.twin.passed}/${r.twin.seeds.length}${r.twin.failures.length ? ` FAIL at seed ${r.twin.failures.map((f) => f.seed).join(",")}` : ""}`,
    ...(run.bugSeeds ? [r.stable ? "same" : `differs at seed ${r.bugSeeds!.filter((b) => b.detected !== r.detected || b.rightNode !== r.rightNode || b.kind !== r.kind).map((b) => b.seed).join(",")}`] : []),
  ]);
  const head = ["case", "expected", "given at the node", "detected", "right node", "exact kind", "twin passes", ...(run.bugSeeds ? [`bug at seeds 0…${run.bugSeeds - 1}`] : [])];
  const widths = head.map((h, k) => Math.max(h.length, ...rows.map((r) => r[k].length)));
  const line = (cells: string[]) => cells.map((c, k) => c.padEnd(widths[k])).join("  ").trimEnd();
  const t = run.totals;
  return [
    `GradLens on the corpus of real backward bugs — mode ${run.mode}, twins at ${run.seeds} seed${run.seeds === 1 ? "" : "s"} (--seed 0…${run.seeds - 1})`,
    "",
    line(head),
    ...rows.map(line),
    "",
    `${t.cases} bugs: ${t.detected} detected, ${t.rightNode} at the right node (and nowhere else), ${t.specific} with a specific diagnosis (kind ≠ mismatch; a perfect GradLens: ${t.expectedSpecific}), ${t.exact} with the expected kind; ${t.errors} could not be checked.`,
    `${t.cases} corrected twins: ${t.cases - t.falseAlarms} pass at every seed, ${t.falseAlarms} false alarm${t.falseAlarms === 1 ? "" : "s"}.`,
    ...(t.stable !== undefined ? [`${t.stable} of ${t.cases} bugs are judged the same (detected, node, kind) at every one of --seed 0…${run.bugSeeds - 1}.`] : []),
  ].join("\n");
}

/** 0.25 → "1/4", 3 → "3", 0.3 → "0.3". */
function fraction(x: number): string {
  if (Number.isInteger(x)) return String(x);
  const inv = 1 / x;
  if (Math.abs(inv - Math.round(inv)) < 1e-9) return `1/${Math.round(inv)}`;
  return x.toPrecision(4);
}

async function main(): Promise<void> {
  const o = parseArgs(process.argv.slice(2));
  if (o.from) {
    process.stdout.write(`${table(JSON.parse(readFileSync(o.from, "utf8")) as CorpusRun)}\n`);
    return;
  }
  if (o.build) {
    const b = spawnSync(process.execPath, ["scripts/build.mjs"], { cwd: root, encoding: "utf8" });
    if (b.status !== 0) throw new UsageError(`node scripts/build.mjs failed:\n${b.stderr || b.stdout}`);
  }
  const run = await runCorpus(o);
  process.stdout.write(o.json ? `${JSON.stringify(run, null, 2)}\n` : `${table(run)}\n`);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((e: unknown) => {
    if (!(e instanceof UsageError)) throw e;
    process.stderr.write(`${e.message}\n`);
    process.exit(2);
  });
}
