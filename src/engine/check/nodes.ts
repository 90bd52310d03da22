/** The local checks of every node of a graph, each as a NodeReport. */
import { outputsView, type Graph, type GraphNode, type Mutation } from "../graph.js";
import { combineDiagnoses } from "../diagnose.js";
import type { LocalResult } from "./local.js";
import { worstStatus } from "../compare.js";
import { Rng, deriveSeed } from "../random.js";
import type { Diagnosis, NodeReport } from "../../shared/report.js";
import type { Tensor } from "../tensor.js";
import { nodeJacobians, outputsDiagnosis } from "./outputs.js";
import type { NonFinite } from "./non-finite.js";
import type { CheckOptions } from "./options.js";
import type { Progress } from "./progress.js";

/** What the local checks of one graph share. */
export interface LocalRun {
  graph: Graph;
  /** The forward pass's values, and what each node's forward saved (by node id). */
  values: Map<string, Tensor>;
  saved?: ReadonlyMap<string, unknown>;
  opts: CheckOptions;
  seed: number;
  nonFinite?: NonFinite;
  /** The report's notes: a sampled Jacobian is noted here. */
  notes: string[];
  /** Writes of user ops into the tensors they were handed (first per node), from the whole run. */
  mutations?: Map<string, Mutation>;
}

export function checkNodes(run: LocalRun, progress: Progress): NodeReport[] {
  const { graph, opts } = run;
  return graph.nodes.map((node, i) => {
    progress(opts.endToEnd ? (0.3 * i) / graph.nodes.length : i / graph.nodes.length, `local check of ${node.id}`);
    return nodeReport(run, node);
  });
}

function nodeReport(run: LocalRun, node: GraphNode): NodeReport {
  const { values, nonFinite, opts } = run;
  const base: NodeReport = {
    id: node.id, op: node.op.name, status: "skipped", maxRelError: 0, inputs: node.inputs, inputShapes: node.inputShapes,
    outputShape: node.outputShape, ...outputsView(node), params: Object.entries(node.params).map(([name, t]) => ({ name, shape: t.shape, size: t.data.length })),
    jacobians: [],
    ...(node.group !== undefined ? { group: node.group } : {}),
  };
  if (!opts.local) {
    base.message = "local checks were turned off";
    return base;
  }
  const inputs = node.inputs.map((n) => values.get(n)!);
  // Downstream of the first non-finite value, finite differences only give NaN
  // (Infinity − Infinity): such a node cannot be checked, and is not to blame.
  const fed = nonFinite && nonFinite.node !== node.id ? node.inputs.find((n) => values.get(n)!.data.some((v) => !Number.isFinite(v))) : undefined;
  if (fed !== undefined) {
    base.message = `not checked: its input '${fed}' holds non-finite values (they first appear at ${nonFinite!.node})`;
    return base;
  }
  const out = { outputs: node.outputValues.map((v) => values.get(v)!), saved: run.saved?.get(node.id) };
  const rngFor = (output?: string) => new Rng(deriveSeed(run.seed, output === undefined ? `local:${node.id}` : `local:${node.id}:${output}`));
  const local = nodeJacobians(node, inputs, out, opts, rngFor);
  const { jacobians } = local;
  base.jacobians = jacobians;
  base.status = worstStatus(jacobians.map((j) => j.status));
  base.maxRelError = Math.max(0, ...jacobians.map((j) => j.maxRelError));

  // A multi-output node's diagnosis names the output ("∂c/∂x is right, ∂h/∂x …"); one output's, its Jacobians' combined.
  const diagnosis = node.outputNames ? outputsDiagnosis(jacobians) : combineDiagnoses(node.id, jacobians);
  if (diagnosis) base.diagnosis = diagnosis;
  // What is wrong with the calls themselves comes before what the numbers look like: the cause first.
  const cause = callDiagnosis(run, node, local, nonFinite);
  if (cause) {
    base.status = "fail";
    base.diagnosis = cause;
  }
  if (base.status !== "fail" && jacobians.some((j) => j.suspect)) base.suspect = true;
  if (jacobians.length === 0) base.message = "nothing to differentiate (label inputs only, no parameters)";
  if (local.rediagnosed) run.notes.push(`${node.id}: ${base.status === "fail" ? "failed" : "suspect"} in fast mode; checked again entry by entry (within the Jacobian limit) to say how`);
  if (jacobians.some((j) => j.sampled) && opts.mode !== "fast") run.notes.push(`${node.id}: local Jacobian sampled (${jacobians.filter((j) => j.sampled).map((j) => `${j.wrt}: ${j.rowIndices.length}×${j.colIndices.length} of ${j.rows}×${j.cols}`).join(", ")})`);
  return base;
}

/**
 * The node's fault in how it behaves rather than in its numbers, most
 * fundamental first: it wrote into a tensor it was handed; its forward or
 * backward does not repeat itself; its output is where NaN first appears; its
 * backward is not linear in gradOutput. Each makes the Jacobians' pattern
 * meaningless or beside the point.
 */
function callDiagnosis(run: LocalRun, node: GraphNode, local: LocalResult, nonFinite?: NonFinite): Diagnosis | undefined {
  const m = run.mutations?.get(node.id);
  if (m)
    return { kind: "mutates-input", detail: `the ${m.step} wrote into ${m.tensor} (entry [${m.index.join(", ")}] changed from ${fmt(m.before)} to ${fmt(m.after)}), at ${m.node}: an op must not change the tensors it is handed — they are the forward pass's cached values, which other nodes read (GradLens handed it copies, so no other node was affected)` };
  if (local.forwardRepeat) return { kind: "non-deterministic", detail: local.forwardRepeat };
  if (local.reentrancy) return { kind: "non-deterministic", detail: local.reentrancy };
  if (nonFinite?.node === node.id) return { kind: "non-finite", detail: nonFinite.detail };
  if (local.linearity) return { kind: "ignores-upstream", detail: local.linearity.detail, ...(local.linearity.wrts.length < local.jacobians.length ? { wrt: local.linearity.wrts } : {}) };
  return undefined;
}

function fmt(v: number): string {
  return Number.isFinite(v) ? Number(v.toPrecision(4)).toString() : String(v);
}
