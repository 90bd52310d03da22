/**
 * Messages between the extension host and the GradLens panel: one union per
 * direction, one place for both sides (the host imports it, the webview bundles it).
 */
import type { GraphView, Report } from "./report.js";
import type { Lesson, TeachAnswer, TeachRequest } from "./teach.js";

/** Extension host → webview. */
export type HostMessage =
  /** A finished check: draw its graph, table and Jacobians. */
  | { type: "report"; report: Report }
  /** A graph without a check (nodes unchecked). */
  | { type: "graph"; view: GraphView }
  /** A check is running. */
  | { type: "busy"; message: string }
  /** The check failed to run (bad file, user exception, time-out). */
  | { type: "error"; message: string }
  /** Select a node (from a hover's "show in graph" link). */
  | { type: "select"; nodeId: string }
  /** The answer to a `teach` request (computed in the worker), or an error saying why there is none. */
  | { type: "taught"; request: TeachRequest; answer: TeachAnswer }
  /** Open a teaching view and ask for it (from a command: Explain Entry, Show Descent). */
  | { type: "teach"; request: TeachRequest };

/** Webview → extension host. */
export type WebviewMessage =
  /** The page has loaded and listens; the host may send the report. */
  | { type: "ready" }
  /** The user selected a node (click, Enter, the mismatch table). */
  | { type: "selected"; nodeId: string }
  /** Go to the node's definition in its network file. */
  | { type: "reveal"; nodeId: string }
  /** Run the check again. */
  | { type: "recheck" }
  /**
   * The graph finished rendering: the boxes drawn (nodes, inputs, collapsed
   * groups), the render time, which drawing (Mermaid's, or the layered layout
   * of a big graph), and whether it is a check's result (a report).
   */
  | { type: "rendered"; nodes: number; ms: number; renderer?: "mermaid" | "layered"; checked?: boolean }
  /** Compute a teaching view (explain an entry, the descent, a node's step-size sweep, the node values). */
  | { type: "teach"; request: TeachRequest }
  /** A teaching view is shown (its kind; for explain the entry, for sweep the node): what tests and the host observe. */
  | { type: "shown"; view: "explain" | "descent" | "sweep" | "values"; subject?: string };

/** What the webview keeps across hide/reload (`vscode.getState()`/`setState()`). */
export interface WebviewState {
  report?: Report;
  view?: GraphView;
  selected?: string;
  zoom?: { scale: number; x: number; y: number };
  /** The graph's collapsed groups, and its direction when the user chose one. */
  layout?: { collapsed: string[]; direction?: "LR" | "TB" };
  /** The open tab of the lower half, and whether nodes show their value and upstream gradient. */
  tab?: "details" | "explain" | "descent" | "sweep";
  summaries?: boolean;
  /** What the teaching views got for this report (kept across a reload). */
  lesson?: Lesson;
  explained?: string;
}

export const isHostMessage = (m: unknown): m is HostMessage =>
  typeof m === "object" && m !== null && typeof (m as { type?: unknown }).type === "string" &&
  ["report", "graph", "busy", "error", "select", "taught", "teach"].includes((m as { type: string }).type);
