/** The whole check of a built graph: forward, backprop, the local checks, end to end, the report. */
import { backward, forward, inputView, type Graph } from "../graph.js";
import type { GradientReport, NodeReport, Report, Status } from "../../shared/report.js";
import { checkEndToEnd } from "./end-to-end.js";
import { refuseOversizedJacobians } from "./memory.js";
import { checkNodes } from "./nodes.js";
import { firstNonFinite, type NonFinite } from "./non-finite.js";
import { DEFAULT_OPTIONS, VERSION, type CheckOptions } from "./options.js";
import { throttle } from "./progress.js";
import { finite } from "./summary.js";

/** Run the whole check of a built graph. */
export function checkGraph(graph: Graph, options: Partial<CheckOptions> = {}): Report {
  const opts: CheckOptions = { ...DEFAULT_OPTIONS, ...options };
  const seed = opts.seed ?? graph.seed;
  const t0 = performance.now();
  const notes: string[] = [];
  const progress = throttle(opts.onProgress);

  if (opts.local) refuseOversizedJacobians(graph, opts);
  const { values, loss, saved } = forward(graph);
  const grads = backward(graph, values, saved);
  const nonFinite = firstNonFinite(graph, values);

  const tLocal = performance.now();
  const nodes = checkNodes({ graph, values, saved, opts, seed, nonFinite, notes }, progress);
  const localMs = performance.now() - tLocal;

  const tE2E = performance.now();
  const gradients = opts.endToEnd ? checkEndToEnd({ graph, opts, seed, loss, grads, notes, progress }) : [];
  const endToEndMs = performance.now() - tE2E;
  progress(1, "done");
  return assemble(graph, opts, { loss, nodes, gradients, notes, nonFinite }, { t0, localMs, endToEndMs });
}

interface Findings {
  loss: number;
  nodes: NodeReport[];
  gradients: GradientReport[];
  notes: string[];
  nonFinite?: NonFinite;
}

function assemble(graph: Graph, opts: CheckOptions, f: Findings, time: { t0: number; localMs: number; endToEndMs: number }): Report {
  const { nodes, gradients, notes, nonFinite } = f;
  const counts: Record<Status, number> = { pass: 0, fail: 0, kink: 0, skipped: 0 };
  for (const n of nodes) counts[n.status]++;
  if (graph.projection) notes.unshift(`the output '${graph.output}' is not a scalar: the loss is Σ rᵢ·outᵢ with a fixed seeded random projection r`);
  if (nonFinite) notes.push(nonFinite.detail);
  const ok = nodes.every((n) => n.status !== "fail") && gradients.every((g) => g.status !== "fail");
  return {
    ok, version: VERSION,
    network: { name: graph.name, ...(graph.file ? { file: graph.file } : {}), seed: graph.seed },
    mode: opts.mode === "auto" ? (gradients.some((g) => g.sampled) ? "sampled" : "exhaustive") : opts.mode,
    rtol: opts.rtol, atol: opts.atol, step: opts.step, loss: finite(f.loss), output: graph.output,
    ...(graph.projection ? { reduction: "seeded random projection" } : {}),
    inputs: graph.inputs.map(inputView),
    nodes, gradients, counts, notes,
    timings: { totalMs: performance.now() - time.t0, localMs: time.localMs, endToEndMs: time.endToEndMs },
  };
}
