/**
 * Messages between the extension host and the GradLens panel: one union per
 * direction, one place for both sides (the host imports it, the webview bundles it).
 */
import type { GraphView, Report } from "./report.js";

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
  | { type: "select"; nodeId: string };

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
  | { type: "rendered"; nodes: number; ms: number; renderer?: "mermaid" | "layered"; checked?: boolean };

/** What the webview keeps across hide/reload (`vscode.getState()`/`setState()`). */
export interface WebviewState {
  report?: Report;
  view?: GraphView;
  selected?: string;
  zoom?: { scale: number; x: number; y: number };
  /** The graph's collapsed groups, and its direction when the user chose one. */
  layout?: { collapsed: string[]; direction?: "LR" | "TB" };
}

export const isHostMessage = (m: unknown): m is HostMessage =>
  typeof m === "object" && m !== null && typeof (m as { type?: unknown }).type === "string" &&
  ["report", "graph", "busy", "error", "select"].includes((m as { type: string }).type);
