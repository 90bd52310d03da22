/**
 * Split end-to-end evaluations across worker threads.
 *
 * checkGraph is synchronous, so the pool is too: the perturbations of one tensor
 * are cut into chunks that the calling thread and the workers claim from a shared
 * counter (SharedArrayBuffer + Atomics); every thread runs its own
 * IncrementalEvaluator on its own copy of the graph and writes L(θ ± h·eᵢ) into
 * shared result arrays at the entry's position. Each evaluation depends only on
 * the graph's values, never on which thread ran it or what it ran before, so the
 * results are identical to a single-thread run.
 *
 * Workers are started only when a tensor's work is projected (from timing its
 * first chunk on the calling thread) to take longer than their start-up, and
 * the calling thread never waits for them to start: it keeps claiming chunks, and
 * a worker that is not ready yet simply finds none left. A chunk a worker failed
 * (or that a worker claimed and did not finish in time) is done again by the
 * calling thread, so a worker can slow a check down but never change or lose a
 * result; a real error then surfaces on the calling thread as it would without
 * workers. Only networks of built-in ops go to workers: a custom op is user
 * code, which stays in the one thread the time limit watches.
 */
import { Worker } from "node:worker_threads";
import { existsSync } from "node:fs";
import { availableParallelism } from "node:os";
import { join } from "node:path";
import { builtinOps } from "../engine/ops/index.js";
import type { Graph, GraphNode } from "../engine/graph.js";
import type { Attrs } from "../engine/op.js";
import type { NetworkSpec } from "../engine/network.js";
import type { Tensor } from "../engine/tensor.js";
import { IncrementalEvaluator } from "../engine/incremental.js";
import type { EndToEndEvaluator } from "../engine/evaluate.js";

export interface PoolOptions {
  /** Threads in all, the calling one included (default: the machine's parallelism, or GRADLENS_THREADS). */
  threads?: number;
  /** Start workers only when a tensor's remaining work is projected to take longer than this (default 0.3 s; a tenth of it once they run). */
  minSeconds?: number;
  /** Entries per chunk claimed at a time (default: ~2 ms of work each, from the first chunk's timing). */
  chunk?: number;
  /** The worker script (default: pool-worker.js beside this bundle, or pool-entry.ts under tsx). */
  workerPath?: string;
  /** Whether the calling thread claims chunks too (default true; false leaves them to the workers, for tests). */
  callerWorks?: boolean;
  /** Wait this long without any chunk finishing before the calling thread does the unfinished ones (default 2 s). */
  stallMs?: number;
}

/** A graph of built-in ops as plain data: what a worker needs to rebuild it exactly. */
export interface GraphData {
  name: string;
  seed: number;
  output: string;
  projection?: Float64Array;
  inputs: { id: string; shape: number[]; classes?: number; constant?: boolean; data: Float64Array }[];
  nodes: {
    id: string; op: string; inputs: string[]; attrs: Attrs; params: Record<string, Tensor>; inputShapes: number[][]; outputShape: number[];
    outputNames?: string[]; outputValues: string[]; outputShapes: number[][]; rngSeed: number; specIndex: number; labelInputs: number[];
  }[];
}

/** Messages to a pool worker. */
export type PoolMessage =
  | { type: "init"; graph: GraphData }
  | { type: "job"; name: string; indices: Int32Array; h: number; chunk: number; control: Int32Array; plus: Float64Array; minus: Float64Array };

/** control[NEXT]: next chunk to claim; control[DONE]: chunks finished; control[STATE + c]: chunk c's state. */
export const NEXT = 0, DONE = 1, STATE = 4;
export const FREE = 0, CLAIMED = 1, FINISHED = 2, FAILED = 3;

/** Whether the graph can go to workers: built-in ops only. */
export function poolable(graph: Graph): boolean {
  return graph.nodes.every((n) => n.op.builtin && builtinOps.get(n.op.name) === n.op);
}

export function graphData(graph: Graph): GraphData {
  return {
    name: graph.name, seed: graph.seed, output: graph.output, projection: graph.projection,
    inputs: graph.inputs.map((i) => ({ id: i.id, shape: i.shape, ...(i.classes !== undefined ? { classes: i.classes } : {}), ...(i.constant ? { constant: true } : {}), data: i.value.data })),
    nodes: graph.nodes.map((n) => ({
      id: n.id, op: n.op.name, inputs: n.inputs, attrs: n.attrs, params: n.params, inputShapes: n.inputShapes,
      outputShape: n.outputShape, ...(n.outputNames ? { outputNames: n.outputNames } : {}), outputValues: n.outputValues, outputShapes: n.outputShapes,
      rngSeed: n.rngSeed, specIndex: n.specIndex, labelInputs: [...n.labelInputs],
    })),
  };
}

export function graphFromData(d: GraphData): Graph {
  const nodes: GraphNode[] = d.nodes.map((n) => {
    const op = builtinOps.get(n.op);
    if (!op) throw new Error(`pool worker: unknown op '${n.op}'`);
    return {
      id: n.id, op, inputs: n.inputs, attrs: n.attrs, params: n.params, inputShapes: n.inputShapes, outputShape: n.outputShape,
      ...(n.outputNames ? { outputNames: n.outputNames } : {}), outputValues: n.outputValues, outputShapes: n.outputShapes, rngSeed: n.rngSeed,
      specIndex: n.specIndex, labelInputs: new Set(n.labelInputs),
    };
  });
  return {
    name: d.name, seed: d.seed, output: d.output, projection: d.projection, nodes, spec: {} as NetworkSpec,
    inputs: d.inputs.map((i) => ({ id: i.id, shape: i.shape, ...(i.classes !== undefined ? { classes: i.classes } : {}), ...(i.constant ? { constant: true } : {}), value: { shape: i.shape, data: i.data } })),
  };
}

/** The worker script beside this module: the bundle's dist/pool-worker.js, or the source (pool-entry.ts) under tsx. */
export function defaultPoolWorkerPath(): string | undefined {
  const candidates = typeof __filename === "string" && __filename.endsWith(".ts") ? [join(__dirname, "pool-entry.ts")] : [join(__dirname, "pool-worker.js"), join(__dirname, "..", "..", "dist", "pool-worker.js")];
  return candidates.find((p) => existsSync(p));
}

export function defaultThreads(): number {
  const env = Number(process.env.GRADLENS_THREADS);
  if (Number.isInteger(env) && env >= 1) return env;
  return Math.max(1, Math.min(8, availableParallelism()));
}


export class PooledEvaluator implements EndToEndEvaluator {
  readonly local: IncrementalEvaluator;
  private workers: Worker[] = [];
  private readonly threads: number;
  private readonly minSeconds: number;
  private readonly canPool: boolean;
  /** What the pool did (for the bench and tests): tensors sent to workers, chunks in them, chunks the calling thread ran. */
  readonly stats = { pooledJobs: 0, chunks: 0, callerChunks: 0 };

  constructor(private readonly graph: Graph, private readonly options: PoolOptions = {}) {
    this.local = new IncrementalEvaluator(graph);
    this.threads = options.threads ?? defaultThreads();
    this.minSeconds = options.minSeconds ?? 0.3;
    this.canPool = this.threads > 1 && poolable(graph) && (options.workerPath ?? defaultPoolWorkerPath()) !== undefined;
  }

  directional(name: string, v: Float64Array, h: number) {
    return this.local.directional(name, v, h);
  }

  entries(name: string, indices: ArrayLike<number>, h: number, progress?: (k: number) => void) {
    const n = indices.length;
    const plus = new Float64Array(n), minus = new Float64Array(n);
    // Run chunks here, timing each, until the work left (at the latest rate, past the JIT's warm-up)
    // is worth the threads: their start-up the first time, little once they run.
    let first = 0, step = this.options.chunk ?? 16, perEntry = 0;
    while (first < n) {
      const to = Math.min(n, first + step);
      const t0 = performance.now();
      this.local.entriesInto({ name, indices, from: first, to, h, plus, minus });
      perEntry = (performance.now() - t0) / 1000 / (to - first);
      first = to;
      progress?.(first);
      if (this.canPool && perEntry * (n - first) > (this.workers.length ? this.minSeconds / 10 : this.minSeconds)) break;
      if (this.options.chunk === undefined) step = Math.max(8, Math.min(4096, Math.round(3e-3 / Math.max(perEntry, 1e-9))));
    }
    const rest = n - first;
    if (rest === 0) return { plus, minus };
    this.stats.pooledJobs++;
    this.start();
    const chunk = this.options.chunk ?? Math.max(8, Math.min(4096, Math.round(2e-3 / Math.max(perEntry, 1e-9))));
    const rem = Int32Array.from({ length: rest }, (_, k) => indices[first + k]);
    const chunks = Math.ceil(rest / chunk);
    const shared = (bytes: number) => new SharedArrayBuffer(Math.max(8, bytes));
    const job = {
      type: "job" as const, name, h, chunk,
      indices: new Int32Array(shared(rest * 4)),
      control: new Int32Array(shared((STATE + chunks) * 4)),
      plus: new Float64Array(shared(rest * 8)),
      minus: new Float64Array(shared(rest * 8)),
    };
    job.indices.set(rem);
    for (const w of this.workers) w.postMessage(job);
    const { control } = job;
    this.stats.chunks += chunks;
    const run = (c: number) => {
      this.stats.callerChunks++;
      const from = c * chunk, to = Math.min(rest, from + chunk);
      this.local.entriesInto({ name, indices: job.indices, from, to, h, plus: job.plus, minus: job.minus });
      Atomics.store(control, STATE + c, FINISHED);
      Atomics.add(control, DONE, 1);
    };
    while (this.options.callerWorks !== false) {
      const c = Atomics.add(control, NEXT, 1);
      if (c >= chunks) break;
      Atomics.store(control, STATE + c, CLAIMED);
      run(c);
      progress?.(first + Math.min(rest, Atomics.load(control, DONE) * chunk));
    }
    // Wait for the workers' chunks; redo here what a worker failed, and after a stall whatever is unfinished.
    const allFinished = () => {
      for (let c = 0; c < chunks; c++) if (Atomics.load(control, STATE + c) !== FINISHED) return false;
      return true;
    };
    let seen = Atomics.load(control, DONE), since = performance.now();
    while (!allFinished()) {
      let redone = false;
      for (let c = 0; c < chunks; c++) if (Atomics.load(control, STATE + c) === FAILED) { run(c); redone = true; }
      if (redone) continue;
      Atomics.wait(control, DONE, seen, 50);
      const now = Atomics.load(control, DONE);
      if (now !== seen) {
        seen = now;
        since = performance.now();
        progress?.(first + Math.min(rest, now * chunk));
      } else if (performance.now() - since >= (this.options.stallMs ?? 2000)) {
        for (let c = 0; c < chunks; c++) if (Atomics.load(control, STATE + c) !== FINISHED) run(c);
      }
    }
    plus.set(job.plus, first);
    minus.set(job.minus, first);
    return { plus, minus };
  }

  private start(): void {
    if (this.workers.length) return;
    const path = this.options.workerPath ?? defaultPoolWorkerPath()!;
    const init: PoolMessage = { type: "init", graph: graphData(this.graph) };
    for (let i = 1; i < this.threads; i++) {
      // Under tsx (tests, the bench) the worker loads the TypeScript source through tsx's require hook.
      const w = path.endsWith(".ts")
        ? new Worker(`require("tsx/cjs"); require(${JSON.stringify(path)});`, { eval: true, stdout: false, stderr: false })
        : new Worker(path, { stdout: false, stderr: false });
      w.unref();
      // A worker that cannot start leaves its share to the others; nothing waits on it.
      w.on("error", () => {});
      w.postMessage(init);
      this.workers.push(w);
    }
  }

  dispose(): void {
    for (const w of this.workers) void w.terminate();
    this.workers = [];
  }
}
