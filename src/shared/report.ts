/**
 * The report of a gradient check. DESIGN.md fixes `ok`, `nodes[]` (id, op, status,
 * maxRelError, diagnosis) and `gradients[]` (name, status, maxRelError, worst[]):
 * add fields, never rename these. One place for this type: engine, CLI, extension
 * and webview all import it.
 */
export type Status = "pass" | "fail" | "kink" | "skipped";
export type CheckMode = "exhaustive" | "sampled" | "fast";
export type DiagnosisKind = "sign" | "scale" | "transpose" | "missing-off-diagonal" | "zero" | "non-finite" | "mismatch" | "non-deterministic";

export interface Diagnosis {
  kind: DiagnosisKind;
  /** One sentence a student understands. */
  detail: string;
  /** For `scale`: analytic ≈ factor · numeric. */
  factor?: number;
}

export interface WorstEntry {
  /** Multi-index into the gradient tensor, or [row, col] of a Jacobian. */
  index: number[];
  analytic: number;
  numeric: number;
  relError: number;
  status?: Status;
}

/** A node's local Jacobian with respect to one input or parameter. */
export interface JacobianReport {
  /** Input id or parameter name. */
  wrt: string;
  kind: "input" | "param";
  /** Which output of a multi-output node the rows are (absent for a node with one output). */
  output?: string;
  /** Full Jacobian shape [output size, wrt size]. */
  rows: number;
  cols: number;
  /** Shapes of the node's output (this output) and of the wrt tensor (to turn flat rows/cols into indices). */
  outputShape: number[];
  wrtShape: number[];
  sampled: boolean;
  /** Which rows/columns the matrices below hold (all, unless sampled or too large to show). */
  rowIndices: number[];
  colIndices: number[];
  /** Row-major [rowIndices.length, colIndices.length]; NaN where an entry was not computed. */
  analytic: number[];
  numeric: number[];
  /** Entries compared (fast mode: directional products). */
  checked: number;
  status: Status;
  maxRelError: number;
  worst: WorstEntry[];
  diagnosis?: Diagnosis;
}

export interface SourceLocation {
  file: string;
  /** 1-based. */
  line: number;
  column: number;
  endLine?: number;
  endColumn?: number;
}

export interface NodeReport {
  id: string;
  op: string;
  status: Status;
  maxRelError: number;
  diagnosis?: Diagnosis;
  inputs: string[];
  inputShapes: number[][];
  /** The (first) output's shape. */
  outputShape: number[];
  /** A multi-output node's outputs, in order (absent for a node with one output). */
  outputs?: { name: string; shape: number[] }[];
  params: { name: string; shape: number[]; size: number }[];
  jacobians: JacobianReport[];
  /** Why a node was skipped, or an error raised while checking it. */
  message?: string;
  location?: SourceLocation;
  /** The block the node belongs to (the network file's "group"): the graph draws a group as one collapsible box. */
  group?: string;
}

export interface GradientReport {
  /** "<node>.<param>" or an input name. */
  name: string;
  node?: string;
  param?: string;
  shape: number[];
  status: Status;
  maxRelError: number;
  worst: WorstEntry[];
  checked: number;
  total: number;
  sampled: boolean;
  diagnosis?: Diagnosis;
}

export interface InputReport {
  id: string;
  shape: number[];
  classes?: number;
  /** A constant input ("constant": true): never differentiated. */
  constant?: boolean;
  location?: SourceLocation;
}

export interface Report {
  ok: boolean;
  version: string;
  network: { name: string; file?: string; seed: number };
  mode: CheckMode;
  rtol: number;
  atol: number;
  step: number;
  loss: number;
  output: string;
  /** Set when the output was not a scalar: how it was reduced to one. */
  reduction?: string;
  inputs: InputReport[];
  nodes: NodeReport[];
  gradients: GradientReport[];
  counts: Record<Status, number>;
  /** Notes the reader should see: sampling, reductions, limits. */
  notes: string[];
  timings: { totalMs: number; localMs: number; endToEndMs: number };
}

/** What the graph drawing needs: a report has it, and so does an unchecked graph. */
export interface GraphView {
  name: string;
  inputs: InputReport[];
  nodes: (Pick<NodeReport, "id" | "op" | "inputs" | "inputShapes" | "outputShape" | "outputs" | "params" | "location" | "group"> &
    Partial<Pick<NodeReport, "status">>)[];
  output: string;
}
