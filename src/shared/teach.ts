/**
 * What the teaching verbs return (`gradlens explain | descent | sweep`, and the
 * panel's Explain, Descent and Step size views): one type each, made by the
 * engine (src/engine/teach/), printed by the CLI, drawn by the webview.
 * DESIGN.md ("Teaching verbs") fixes the fields outside tools read:
 * explain `{ entry, analytic, numeric, terms, path: [{ node, upstreamAnalytic,
 * upstreamNumeric, local }], firstDeparture }`; descent `{ analytic, numeric, lr,
 * steps }`; sweep `{ node, points: [{ h, error }] }`. Add fields, never rename these.
 */

/** One product upstream × local in a sum of the chain rule. */
export interface ChainTerm {
  /** The node output whose entry this term goes through: the node's id, or "cell:c" for an output of a node with several. */
  node: string;
  /** That entry of the node's output. */
  index: number[];
  /** dL/d(node output)[index]: by backprop, and by central differences of the loss in that entry. */
  upstreamAnalytic: number;
  upstreamNumeric: number;
  /** ∂(node output)[index]/∂entry: from the node's backward, and by central differences of its forward. */
  local: number;
  localNumeric: number;
  /** upstreamAnalytic · local. */
  product: number;
}

/** The local factor of one step: ∂(node output)/∂wrt, on the entries the explained entry reaches. */
export interface LocalFactor {
  /** What the derivative is taken with respect to: an input's or node's value, or the explained parameter (`fc.W`). */
  wrt: string;
  /** Row-major [rows.length, cols.length]: rows index the node's output (`entries` of the step), cols the wrt's. */
  rows: number[][];
  cols: number[][];
  analytic: number[];
  numeric: number[];
  /** The lecture's formula for this op's local derivative, when it is a built-in. */
  formula?: string;
}

/** One factor of the chain, at one node (one of its outputs, for a node with several), from the loss down. */
export interface ChainStep {
  node: string;
  /**
   * For a node with several outputs (an LSTM cell's h and c): the output value this step is about ("cell:c").
   * Its upstream gradient is dL/d(cell:c), its local factor ∂(cell:c)/∂wrt, its product what the backward sends
   * down from that output alone; the node has one step per (output, wrt), and the products for a wrt add up.
   */
  value?: string;
  op: string;
  /** The entries of the node's output (`value`, if it has several) that the explained entry moves (shown: at most SHOWN_ENTRIES of `reached`). */
  entries: number[][];
  reached: number;
  outputShape: number[];
  /** dL/d(node output) at `entries`: by backprop, and by central differences of the loss in each entry. */
  upstreamAnalytic: number[];
  upstreamNumeric: number[];
  upstreamDeparts: boolean;
  local: LocalFactor;
  /**
   * upstream × local summed over the node's output entries: what this node sends down to `local.wrt`, at the
   * wrt's entries (at most SHOWN_ENTRIES of `reached`, the largest): analytic as the node's backward computes it,
   * numeric as the numeric factors give it. `departs` is over every entry.
   */
  product: { entries: number[][]; reached: number; analytic: number[]; numeric: number[]; departs: boolean };
}

/** The lecture's closed form, when the network is its linear → softmax → cross-entropy. */
export interface LectureIdentity {
  /** `(1/B) Σ_b (p[b,j] − y[b,j])·x[b,i]` with the entry's j and i. */
  formula: string;
  value: number;
  /** Per batch entry (or class, for an input): the factors and their product. */
  terms: { index: number[]; p: number; y: number; x?: number; w?: number; product: number }[];
  batch: number;
}

export interface Explanation {
  /** The entry, `fc.W[1, 0]`. */
  entry: string;
  tensor: string;
  index: number[];
  /** dL/d(entry): by backprop (what `gradlens grads` gives), and by central differences of the loss. */
  analytic: number;
  numeric: number;
  agree: boolean;
  /** The last sum of the chain (dL/d(entry) = Σ upstream · local), largest |product| first. */
  terms: ChainTerm[];
  /** Terms of that sum not listed, and their sum. */
  omittedTerms: number;
  omittedSum: number;
  /** From the loss down to the entry: one step per (node, input on the way). */
  path: ChainStep[];
  /**
   * The first node, from the loss down, whose backward sends down a gradient that departs from the numeric
   * one although what it received agreed (null: none does): that node's backward is where the bug is.
   */
  firstDeparture: string | null;
  identity?: LectureIdentity;
  loss: number;
  step: number;
  notes: string[];
}

/** `gradlens descent`'s defaults: steps of gradient descent and the learning rate α. */
export const DESCENT_DEFAULTS = { steps: 20, lr: 0.1 } as const;

export interface DescentResult {
  /** The loss before each step and after the last: steps + 1 values each. */
  analytic: number[];
  numeric: number[];
  lr: number;
  steps: number;
  /** max over t of |analytic[t] − numeric[t]|, and the tolerance the curves agree within. */
  maxDifference: number;
  tolerance: number;
  agree: boolean;
  /** The first step at which the curves are further apart than the tolerance. */
  partsAt: number | null;
  /** How many parameter entries were updated, and which tensors. */
  parameters: string[];
  entries: number;
  sentence: string;
}

/** v: a correct gradient; rounding-only: no truncation error (linear or quadratic); kink: piecewise linear; floor: a wrong gradient. */
export type SweepVerdict = "v" | "rounding-only" | "kink" | "floor" | "unclear";

export interface SweepResult {
  node: string;
  op: string;
  /** h from 1e-1 down to 1e-12; error = the worst entry's |a − n(h)| over the node's local Jacobians. */
  points: { h: number; error: number; worst: string }[];
  best: { h: number; error: number };
  /** Fitted log-log slopes: right (large h), left (small h), middle. */
  slopes: { right: number; left: number; middle: number };
  /** The largest |a| of the Jacobians (the scale errors are measured against). */
  scale: number;
  verdict: SweepVerdict;
  sentence: string;
  /** Entries compared at each h (a sample when the Jacobians are large). */
  entries: number;
  step: number;
}

/** One node's forward value and its upstream gradient dL/d(node), analytic beside numeric. */
export interface NodeValues {
  id: string;
  shape: number[];
  /** Row-major, when the tensor has at most VALUES_LIMIT entries; else empty. */
  value: number[];
  upstreamAnalytic: number[];
  upstreamNumeric: number[];
  /** Which flat entries upstreamNumeric holds (all, unless sampled). */
  numericIndices: number[] | null;
  /** Summaries over all entries: mean and max |·| of the value; max |dL/d| analytic; max |a − n| where compared. */
  valueMean: number;
  valueMaxAbs: number;
  gradMaxAbs: number;
  maxDifference: number;
  departs: boolean;
  /** Does not reach the loss (no upstream gradient). */
  unused?: boolean;
}

/** The end-to-end gradient dL/dθ of a parameter or a differentiable input, analytic beside numeric. */
export interface GradientValues {
  /** `"<node>.<param>"` or the input's id. */
  name: string;
  shape: number[];
  /** Row-major when at most VALUES_LIMIT entries, else the entries at numericIndices. */
  analytic: number[];
  numeric: number[];
  numericIndices: number[] | null;
}

export interface NetworkValues {
  loss: number;
  nodes: NodeValues[];
  gradients: GradientValues[];
}

/** What the panel asks the host to compute (in the worker), and what comes back. */
export type TeachRequest =
  | { kind: "explain"; entry: string }
  | { kind: "descent"; steps?: number; lr?: number }
  | { kind: "sweep"; node: string }
  | { kind: "values" };

export type TeachAnswer =
  | { kind: "explain"; explanation: Explanation }
  | { kind: "descent"; descent: DescentResult }
  | { kind: "sweep"; sweep: SweepResult }
  | { kind: "values"; values: NetworkValues }
  /** It could not be computed: a bad entry, user code that threw, a time-out, no host to ask. */
  | { kind: "error"; message: string };

/** What the `--html` page embeds so its teaching views work without a host. */
export interface Lesson {
  values?: NetworkValues;
  descent?: DescentResult;
  sweeps?: SweepResult[];
  /** Keyed by entry text (`fc.W[1, 0]`). */
  explanations?: Record<string, Explanation>;
}
