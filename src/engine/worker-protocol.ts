/**
 * Messages between a worker thread that loads and checks a network and the
 * code that started it (the CLI, the extension). One place for both sides.
 */
import type { CheckOptions } from "./check.js";
import type { GraphView, Report } from "./report.js";
import type { Nested } from "./tensor.js";

export type WorkerTask = "check" | "grads" | "graph";

export interface WorkerRequest {
  task: WorkerTask;
  file: string;
  /** Check options (functions cannot cross the thread boundary). */
  options?: Partial<Omit<CheckOptions, "onProgress" | "evaluator">>;
  /** Refuse tensors above this many values. */
  maxTensorSize?: number;
  /** Refuse networks whose tensors, gradients and Jacobians need more MiB than this (default 512). */
  maxMemoryMb?: number;
  /** false: refuse to bundle or run any user TypeScript (an untrusted workspace). */
  allowUserCode?: boolean;
}

export interface ErrorLocation {
  file: string;
  line: number;
  column: number;
  endLine?: number;
  endColumn?: number;
}

export type WorkerResult =
  | { kind: "report"; report: Report }
  | { kind: "grads"; loss: number; grads: Record<string, Nested> }
  | { kind: "graph"; view: GraphView }
  | { kind: "config-error"; errors: (ErrorLocation & { message: string })[] }
  | { kind: "user-error"; message: string; location?: ErrorLocation }
  | { kind: "internal-error"; message: string; stack?: string }
  | { kind: "timeout"; seconds: number }
  | { kind: "cancelled" };

export type WorkerMessage =
  | { type: "progress"; fraction: number; message: string }
  /** Sent once the network is loaded: whether its ops include user code (the time limit applies then). */
  | { type: "loaded"; userCode: boolean }
  | { type: "result"; result: WorkerResult };
