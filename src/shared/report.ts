/**
 * The report of a gradient check. DESIGN.md fixes `ok`, `nodes[]` (id, op, status,
 * maxRelError, diagnosis) and `gradients[]` (name, status, maxRelError, worst[]):
 * add fields, never rename these. One place for this type: engine, CLI, extension
 * and webview all import it.
 */
export type Status = "pass" | "fail" | "kink" | "skipped";
export type CheckMode = "exhaustive" | "sampled" | "fast";
export type DiagnosisKind =
  | "sign" | "scale" | "transpose" | "missing-off-diagonal" | "zero" | "non-finite" | "mismatch" | "non-deterministic"
  | "ignores-upstream" | "sparsity" | "partial" | "mutates-input";

export interface Diagnosis {
  kind: DiagnosisKind;
  /** One sentence a student understands. */
  detail: string;
  /** For `scale`: analytic ≈ factor · numeric (on `region` when one is given). */
  factor?: number;
  /**
   * For `partial` (and a `sparsity` or `scale` confined to a part): the entries
   * concerned, in words — "where x ≤ 0", "the diagonal", "the off-diagonal",
   * "2 of 24 entries" (x is the op's input, the Jacobian's column).
   */
  region?: string;
  /** Which Jacobians of the node it is about (wrt names), when not all of them. */
  wrt?: string[];
}

export interface WorstEntry {
  /** Multi-index into the gradient tensor, or [row, col] of a Jacobian. */
  index: number[];
  analytic: number;
  numeric: number;
  relError: number;
  status?: Status;
  /** Passes the tolerance but is far above its own finite-difference error (estimatedError): a real error, not noise. */
  suspect?: boolean;
  /** The finite difference's own error, estimated (second step + rounding), where it was estimated. */
  estimatedError?: number;
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
  /** Entries that pass but are far above their estimated finite-difference error. */
  suspect?: boolean;
  suspectEntries?: number;
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
  /** For an op defined in user code: where its backward (or jacobian) is written. */
  backwardLocation?: { file: string; line: number; column: number };
  /** The block the node belongs to (the network file's "group"): the graph draws a group as one collapsible box. */
  group?: string;
  /** A Jacobian of the node has suspect entries (they pass, far above their finite-difference error). */
  suspect?: boolean;
  /** For a Python layer: what it is and where its forward and backward are written. */
  pythonLayer?: PythonLayerReport;
}

/** A node's Python layer (DESIGN.md "Python layers"). Paths are absolute. */
export interface PythonLayerReport {
  kind: "numpy" | "torch";
  /** `layers.py#affine`. */
  ref: string;
  file: string;
  /** `affine_forward` / `affine_backward`, or `MyAffine.forward` / `MyAffine.backward`. */
  forwardName: string;
  backwardName: string;
  forwardLocation?: { file: string; line: number; column: number };
  backwardLocation?: { file: string; line: number; column: number };
}

/** The interpreter that ran a network's Python layers. */
export interface PythonReport {
  /** As asked for (`--python`, the setting, the Python extension's, else `python3`). */
  requested: string;
  executable: string;
  version: string;
  numpy: string;
  torch?: string;
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
  suspect?: boolean;
  suspectEntries?: number;
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
  /** Set when the network has Python layers: the interpreter that ran them. */
  python?: PythonReport;
  /** Some node or gradient has suspect entries (exit 0 unless `strict`). */
  suspect?: boolean;
  /** Checked with --strict: a suspect entry fails the check (ok is false). */
  strict?: boolean;
  /** With --points N: each point checked (0 is the network as given) and whether it passed; the report is that of the first failing point. */
  points?: { point: number; seed: number; ok: boolean; suspect?: boolean }[];
  /** The point this report's nodes and gradients are from (with --points). */
  point?: number;
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
