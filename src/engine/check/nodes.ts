/** The local checks of every node of a graph, each as a NodeReport. */
import { outputsView, type Graph, type GraphNode } from "../graph.js";
import { worstStatus } from "../compare.js";
import { Rng, deriveSeed } from "../random.js";
import type { NodeReport } from "../../shared/report.js";
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
  const { jacobians, reentrancy } = nodeJacobians(node, inputs, out, opts, rngFor);
  base.jacobians = jacobians;
  base.status = worstStatus(jacobians.map((j) => j.status));
  base.maxRelError = Math.max(0, ...jacobians.map((j) => j.maxRelError));
  const failing = jacobians.find((j) => j.status === "fail");
  if (node.outputNames) {
    const diagnosis = outputsDiagnosis(jacobians);
    if (diagnosis) base.diagnosis = diagnosis;
  } else if (failing?.diagnosis) base.diagnosis = failing.diagnosis;
  if (nonFinite?.node === node.id) {
    base.status = "fail";
    base.diagnosis = { kind: "non-finite", detail: nonFinite.detail };
  }
  if (reentrancy) {
    base.status = "fail";
    base.diagnosis = { kind: "non-deterministic", detail: reentrancy };
  }
  if (jacobians.length === 0) base.message = "nothing to differentiate (label inputs only, no parameters)";
  if (jacobians.some((j) => j.sampled) && opts.mode !== "fast") run.notes.push(`${node.id}: local Jacobian sampled (${jacobians.filter((j) => j.sampled).map((j) => `${j.wrt}: ${j.rowIndices.length}×${j.colIndices.length} of ${j.rows}×${j.cols}`).join(", ")})`);
  return base;
}
