/**
 * Messages between a worker thread that loads and checks networks and the
 * code that started it (the CLI, the extension). One place for both sides; the
 * result type itself is shared (src/shared/result.ts), config builds its errors.
 */
import type { CheckOptions } from "../engine/check.js";
import type { WorkerResult } from "../shared/result.js";

export type { ErrorLocation, WorkerResult } from "../shared/result.js";

/** check, grads, graph; the teaching verbs explain, descent, sweep; the panel's per-node values and upstream gradients. */
export type WorkerTask = "check" | "grads" | "graph" | "explain" | "descent" | "sweep" | "values";

export interface WorkerRequest {
  task: WorkerTask;
  file: string;
  /** Check options (functions cannot cross the thread boundary). */
  options?: Partial<Omit<CheckOptions, "onProgress" | "evaluator" | "rebuild">>;
  /** Refuse tensors above this many values. */
  maxTensorSize?: number;
  /** Refuse networks whose tensors, gradients and Jacobians need more MiB than this (default 512). */
  maxMemoryMb?: number;
  /** false: refuse to bundle or run any user code, TypeScript or Python (an untrusted workspace). */
  allowUserCode?: boolean;
  /** explain: the entry (`fc.W[1,0]`); sweep: the node; descent: steps and learning rate. */
  entry?: string;
  node?: string;
  steps?: number;
  lr?: number;
  /** check: also make what the teaching views of a standalone page show (the `--html` page). */
  lesson?: boolean;
  /** The interpreter for Python layers: a path, or a command on the PATH. Default `python3`. */
  python?: string;
}

/** What starts a worker thread's tasks (parent → worker). A thread runs one at a time, in order. */
export type WorkerCommand =
  /** Run one task; `env` is the parent's environment at that moment (a thread's own copy is taken when it starts). */
  | { type: "run"; request: WorkerRequest; env?: Record<string, string | undefined> }
  /** Prime a fresh thread while it waits: the engine's code on a small built-in network, and esbuild when asked. */
  | { type: "warm"; esbuild?: boolean };

export type WorkerMessage =
  /** The thread is running; `osThread`: its thread id in the operating system (Linux), for tests that watch it end. */
  | { type: "started"; osThread?: number }
  | { type: "progress"; fraction: number; message: string }
  /**
   * Sent once the network is loaded: whether its ops include user code (the time
   * limit applies then), and every file it was read from (absolute paths).
   */
  | { type: "loaded"; userCode: boolean; sources: string[] }
  /**
   * The task's result; `reusable`: the thread is clean for another task
   * (integrity.ts), else `why` not; `bundles`: the thread's bundles of user
   * TypeScript so far, made and reused unchanged.
   */
  /** The Python interpreter of the network's layers runs with this pid: its owner kills it on a time-out or a cancel. */
  | { type: "python"; pid: number }
  /** What user code printed (a Python layer, or console.log in a .gradnet.ts op): on the same channel as the result, so none of it comes after it. */
  | { type: "output"; text: string }
  | { type: "result"; result: WorkerResult; reusable: boolean; why?: string; bundles: { built: number; reused: number } }
  | { type: "warmed"; ms: number; esbuild?: string };
