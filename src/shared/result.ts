/**
 * What one task (check, grads, graph, a teaching verb) comes back as, from the thread that ran
 * it (src/worker) to the CLI and the extension; config builds the error
 * locations. Every failure is a value, never a throw.
 */
import type { Nested } from "./arrays.js";
import type { GraphView, Report, SourceLocation } from "./report.js";
import type { DescentResult, Explanation, Lesson, NetworkValues, SweepResult } from "./teach.js";

/** A place in a file (1-based): a bad value, or the user's line that threw. */
export type ErrorLocation = SourceLocation;

export type WorkerResult =
  | { kind: "report"; report: Report; lesson?: Lesson }
  | { kind: "explain"; explanation: Explanation }
  | { kind: "descent"; descent: DescentResult }
  | { kind: "sweep"; sweep: SweepResult }
  | { kind: "values"; values: NetworkValues }
  | { kind: "grads"; loss: number; grads: Record<string, Nested> }
  | { kind: "graph"; view: GraphView }
  | { kind: "config-error"; errors: (ErrorLocation & { message: string })[] }
  | { kind: "user-error"; message: string; location?: ErrorLocation }
  | { kind: "internal-error"; message: string; stack?: string }
  | { kind: "timeout"; seconds: number }
  | { kind: "cancelled" };
