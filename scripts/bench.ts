/**
 * `npm run bench`: how long GradLens's checks take, one JSON line per network and mode.
 *
 *   npm run bench [-- --runs N] [--threads N] [--network NAME] [--mode exhaustive|fast|local]
 *                 [--warmup N] [--torch /usr/bin/python3] [--torch-runs N] [--profile DIR] [--evaluator straight]
 *                 [--mode build] [--mode python] [--python PATH] [--mode process]
 *
 * `--evaluator straight` times the whole-forward-per-evaluation StraightEvaluator
 * instead (the numbers before the incremental evaluator and the thread pool).
 *
 * Networks: examples/bench/*.gradnet.json. Modes:
 * - exhaustive: every parameter and input entry end to end ({ mode: "exhaustive", local: false });
 * - fast: the whole check in fast mode (random directions, local and end to end);
 * - fast-e2e: fast mode end to end only (what torch's fast_mode gradcheck does);
 * - local: the per-node checks with the default sampling ({ local: true, endToEnd: false });
 * - build: building the network from its spec, `buildGraph` (every input and
 *   parameter value made) beside `describeNetwork` (the editor's shapes-only
 *   build: the same checks and view, no values), one line each.
 * - python: the local check of a Python layer of 1,000 input entries beside the
 *   same layer in TypeScript, the interpreter's start aside (scripts/bench-python-layer.ts;
 *   `--python PATH`, default /usr/bin/python3 or GRADLENS_PYTHON), one line with both.
 * - process: `gradlens check FILE --mode exhaustive` as a whole process, as a
 *   user runs it (node start-up, the worker, loading, local checks and end to
 *   end, the table printed): the median wall time of N runs of bin/gradlens.js
 *   (build it first: `npm run build`), and beside it, with --torch, torch's
 *   gradcheck slow mode on the same network and values (its gradcheck call
 *   alone, not Python's or torch's start-up) and the ratio. `seconds` of
 *   `gradlens check FILE` (default mode) too, for the start-up alone on a
 *   small network.
 *
 * `seconds` is the median of N in-process runs of checkGraph on the built graph,
 * after two untimed warm-up runs, the first printed as `coldSeconds` (the JIT
 * compiling the kernels; `--warmup 0` times cold runs only)
 * (worker threads, when used, are started inside each run and counted; they run
 * the pool worker bundled as `npm run build` bundles it, as the CLI and the
 * extension run it, not the TypeScript source through tsx). With a
 * Python that has torch (`--torch PATH` or GRADLENS_TORCH_PYTHON), the same
 * network with the same values is checked by torch.autograd.gradcheck in the same
 * run (scripts/torch-gradcheck.py) and the line carries the ratio.
 */
import { readFileSync, readdirSync, writeFileSync, mkdtempSync, mkdirSync } from "node:fs";
import { tmpdir, loadavg, availableParallelism } from "node:os";
import { basename, join } from "node:path";
import { execFileSync, spawnSync } from "node:child_process";
import { Session } from "node:inspector";
import { buildSync } from "esbuild";
import { buildGraph, describeNetwork, type Graph } from "../src/engine/graph.js";
import { checkGraph, DEFAULT_OPTIONS, type CheckOptions } from "../src/engine/check.js";
import { PooledEvaluator, defaultThreads } from "../src/worker/pool.js";
import { StraightEvaluator } from "../src/engine/evaluate.js";
import type { NetworkSpec } from "../src/engine/network.js";
import type { Report } from "../src/shared/report.js";
import { benchPythonLayer } from "./bench-python-layer.js";

const root = join(import.meta.dirname, "..");
const args = process.argv.slice(2);
const flag = (name: string): string | undefined => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : undefined;
};
const runs = Number(flag("runs") ?? 7);
const warmup = Number(flag("warmup") ?? 2);
const threads = Number(flag("threads") ?? defaultThreads());
const only = flag("network");
const onlyMode = flag("mode");
const torchPython = flag("torch") ?? process.env.GRADLENS_TORCH_PYTHON;
const torchRuns = flag("torch-runs");
const profileDir = flag("profile");
const straight = flag("evaluator") === "straight";

type Mode = "exhaustive" | "fast" | "fast-e2e" | "local";
const MODES: Record<Mode, Partial<CheckOptions>> = {
  exhaustive: { mode: "exhaustive", local: false, endToEnd: true },
  fast: { mode: "fast" },
  "fast-e2e": { mode: "fast", local: false, endToEnd: true },
  local: { local: true, endToEnd: false },
};
/** The torch.autograd.gradcheck run a mode is set beside (gradcheck has no per-node checks). */
const TORCH: Partial<Record<Mode, "exhaustive" | "fast">> = { exhaustive: "exhaustive", "fast-e2e": "fast" };

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** Entries compared, and loss/forward evaluations per compared entry. */
function counts(report: Report, mode: Mode): { checkedEntries: number; evaluationsPerEntry: number } {
  if (mode === "local") {
    let entries = 0, columns = 0;
    for (const n of report.nodes)
      for (const j of n.jacobians) {
        entries += j.checked;
        columns += mode === "local" && j.colIndices.length ? j.colIndices.length : 1;
      }
    // Each numeric column is two forwards of the node alone.
    return { checkedEntries: entries, evaluationsPerEntry: entries ? (2 * columns) / entries : 0 };
  }
  const entries = report.gradients.reduce((s, g) => s + g.checked, 0);
  return { checkedEntries: entries, evaluationsPerEntry: 2 };
}

function networkData(graph: Graph): object {
  return {
    output: graph.output, projection: graph.projection ? Array.from(graph.projection) : undefined,
    inputs: graph.inputs.map((i) => ({
      id: i.id, shape: i.shape, values: Array.from(i.value.data),
      ...(i.classes !== undefined ? { classes: i.classes } : {}), ...(i.constant ? { constant: true } : {}),
    })),
    nodes: graph.nodes.map((n) => ({
      id: n.id, op: n.op.name, inputs: n.inputs, attrs: n.attrs,
      params: Object.fromEntries(Object.entries(n.params).map(([p, t]) => [p, { shape: t.shape, values: Array.from(t.data) }])),
    })),
  };
}

function torchCheck(graph: Graph, mode: "exhaustive" | "fast", n: number): Record<string, unknown> {
  const dir = mkdtempSync(join(tmpdir(), "gradlens-bench-"));
  const file = join(dir, "network.json");
  writeFileSync(file, JSON.stringify({ ...networkData(graph), mode, runs: n, eps: DEFAULT_OPTIONS.step, atol: DEFAULT_OPTIONS.atol, rtol: DEFAULT_OPTIONS.rtol }));
  try {
    const out = execFileSync(torchPython!, [join(root, "scripts", "torch-gradcheck.py"), file], { encoding: "utf8", maxBuffer: 1 << 24, stdio: ["ignore", "pipe", "pipe"] });
    return JSON.parse(out.trim().split("\n").pop()!);
  } catch (e) {
    const err = e as { stdout?: string; stderr?: string; message: string };
    const last = (err.stdout ?? "").trim().split("\n").pop();
    try {
      return JSON.parse(last ?? "");
    } catch {
      return { error: (err.stderr || err.message).trim().split("\n").slice(-3).join(" ") };
    }
  }
}

/** Run `f` under the V8 profiler, writing DIR/<name>.cpuprofile (for `--profile`). */
function profiled<T>(name: string, f: () => T): T {
  if (!profileDir) return f();
  mkdirSync(profileDir, { recursive: true });
  const session = new Session();
  session.connect();
  let result!: T;
  session.post("Profiler.enable");
  session.post("Profiler.start");
  try {
    result = f();
  } finally {
    session.post("Profiler.stop", (err, res) => {
      if (!err) writeFileSync(join(profileDir, `${name}.cpuprofile`), JSON.stringify(res.profile));
      session.disconnect();
    });
  }
  return result;
}

/** `--mode build`: buildGraph and describeNetwork of one spec, median seconds of `runs` after `warmup`. */
function benchBuild(network: string, spec: NetworkSpec, file: string): void {
  const engines: [string, () => unknown][] = [["buildGraph", () => buildGraph(spec, { file })], ["describeNetwork", () => describeNetwork(spec, { file })]];
  for (const [engine, build] of engines) {
    const times: number[] = [];
    const load = loadavg()[0];
    for (let r = -warmup; r < runs; r++) {
      const t0 = performance.now();
      build();
      if (r >= 0) times.push((performance.now() - t0) / 1000);
    }
    console.log(JSON.stringify({ network, mode: "build", engine, seconds: +median(times).toFixed(6), runs, min: +Math.min(...times).toFixed(6), load1: +load.toFixed(2) }));
  }
}

// The pool worker as the CLI and the extension run it: one bundled script.
const workerPath = join(mkdtempSync(join(tmpdir(), "gradlens-bench-worker-")), "pool-worker.js");
buildSync({ entryPoints: [join(root, "src", "worker", "pool-entry.ts")], bundle: true, platform: "node", target: "node20", format: "cjs", outfile: workerPath, logLevel: "warning" });

/** `--mode process`: the CLI as a whole process, median wall (and CPU) seconds of `runs` runs after one untimed. */
function benchProcess(network: string, path: string, graph: Graph, parameters: number): void {
  const variants: { label: string; args: string[] }[] = [
    { label: "check (default mode)", args: ["check", path] },
    { label: "check --mode exhaustive", args: ["check", path, "--mode", "exhaustive"] },
  ];
  for (const v of variants) {
    const times: number[] = [], cpu: number[] = [];
    let status: number | null = null;
    const load = loadavg()[0];
    for (let r = -1; r < runs; r++) {
      const t0 = performance.now();
      const run = spawnSync("/usr/bin/time", ["-f", "%U %S", process.execPath, join(root, "bin", "gradlens.js"), ...v.args], { cwd: root, encoding: "utf8", maxBuffer: 1 << 26 });
      const wall = (performance.now() - t0) / 1000;
      status = run.status;
      if (run.status !== 0 && run.status !== 1) throw new Error(`gradlens ${v.args.join(" ")} exited ${run.status}: ${run.stderr}`);
      if (r < 0) continue;
      times.push(wall);
      const [user, sys] = run.stderr.trim().split("\n").pop()!.split(" ").map(Number);
      cpu.push(user + sys);
    }
    const line = { network, mode: "process", engine: `gradlens ${v.args.join(" ")}`, seconds: +median(times).toFixed(4), runs, min: +Math.min(...times).toFixed(4), cpuSeconds: +median(cpu).toFixed(4), exit: status, parameters, load1: +load.toFixed(2) };
    console.log(JSON.stringify(line));
    if (torchPython && v.args.includes("exhaustive")) {
      const torch = torchCheck(graph, "exhaustive", Number(torchRuns ?? (parameters > 20000 ? 1 : 3)));
      const out: Record<string, unknown> = { network, mode: "process", engine: "torch.autograd.gradcheck (slow mode, the call alone)", ...torch };
      if (typeof torch.seconds === "number") {
        out.seconds = +torch.seconds.toFixed(4);
        out.ratio = +(torch.seconds / line.seconds).toFixed(2);
      }
      console.log(JSON.stringify(out));
    }
  }
}

const files = readdirSync(join(root, "examples", "bench")).filter((f) => f.endsWith(".gradnet.json")).sort();
console.error(`# bench: ${runs} runs per mode, ${threads} thread(s) of ${availableParallelism()}, load average ${loadavg().map((x) => x.toFixed(2)).join(" ")}${torchPython ? `, torch via ${torchPython}` : ", no torch (--torch PATH or GRADLENS_TORCH_PYTHON)"}`);
for (const file of files) {
  const network = basename(file, ".gradnet.json");
  if (only && network !== only) continue;
  const path = join("examples", "bench", file);
  const spec = JSON.parse(readFileSync(join(root, path), "utf8")) as NetworkSpec;
  const graph = buildGraph(spec, { file: path });
  if (!onlyMode || onlyMode === "build") benchBuild(network, spec, path);
  const parameters = graph.nodes.reduce((s, n) => s + Object.values(n.params).reduce((t, p) => t + p.data.length, 0), 0);
  // A whole process per run: only when asked for (the other modes time the engine in this process).
  if (onlyMode === "process") {
    benchProcess(network, path, graph, parameters);
    continue;
  }
  for (const mode of Object.keys(MODES) as Mode[]) {
    if (onlyMode && mode !== onlyMode) continue;
    const times: number[] = [], cpu: number[] = [];
    let report!: Report;
    let pooled = 0;
    const load = loadavg()[0];
    let coldSeconds: number | undefined;
    for (let r = -warmup; r < runs; r++) {
      const t0 = performance.now(), c0 = process.cpuUsage();
      report = profiled(r < 0 ? `${network}-${mode}-warmup${-r}` : `${network}-${mode}-${r}`, () =>
        checkGraph(graph, {
          ...MODES[mode],
          evaluator: (g) => {
            if (straight) return new StraightEvaluator(g);
            const ev = new PooledEvaluator(g, { threads, workerPath });
            const dispose = ev.dispose.bind(ev);
            ev.dispose = () => {
              pooled = Math.max(pooled, ev.stats.pooledJobs);
              dispose();
            };
            return ev;
          },
        }),
      );
      const c = process.cpuUsage(c0);
      if (r < 0) {
        coldSeconds ??= (performance.now() - t0) / 1000;
        continue;
      }
      times.push((performance.now() - t0) / 1000);
      cpu.push((c.user + c.system) / 1e6);
    }
    const line: Record<string, unknown> = {
      network, mode, engine: straight ? "gradlens (StraightEvaluator)" : "gradlens", seconds: +median(times).toFixed(4), runs, min: +Math.min(...times).toFixed(4),
      // CPU time of the whole process (all its threads): on a busy machine wall time waits for other processes.
      cpuSeconds: +median(cpu).toFixed(4),
      ...(coldSeconds !== undefined ? { coldSeconds: +coldSeconds.toFixed(4) } : {}),
      ...counts(report, mode), ok: report.ok, loss: report.loss, parameters,
      threads: straight ? 1 : threads, tensorsOnThreads: pooled, load1: +load.toFixed(2),
    };
    console.log(JSON.stringify(line));
    const torchMode = TORCH[mode];
    if (torchPython && torchMode) {
      const big = parameters > 20000;
      const n = Number(torchRuns ?? (torchMode === "exhaustive" && big ? 1 : 3));
      const torch = torchCheck(graph, torchMode, n);
      const out: Record<string, unknown> = { network, mode, engine: "torch.autograd.gradcheck", ...torch, evaluationsPerEntry: 2 };
      if (typeof torch.seconds === "number") {
        out.seconds = +torch.seconds.toFixed(4);
        out.ratio = +(torch.seconds / (line.seconds as number)).toFixed(2);
        out.sameLoss = typeof torch.loss === "number" && Math.abs(torch.loss - report.loss) <= 1e-9 * Math.max(1, Math.abs(report.loss));
      }
      console.log(JSON.stringify(out));
    }
  }
}

if ((!onlyMode || onlyMode === "python") && (!only || only === "python-affine"))
  void benchPythonLayer({ python: flag("python") ?? process.env.GRADLENS_PYTHON ?? "/usr/bin/python3", runs, warmup });
