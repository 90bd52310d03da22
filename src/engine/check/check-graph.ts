/** The whole check of a built graph: forward, backprop, the local checks, end to end, the report. */
import { backward, forward, watchUserOps, type Graph } from "../graph.js";
import type { GradientReport, NodeReport, Report, Status } from "../../shared/report.js";
import { checkEndToEnd } from "./end-to-end.js";
import { refuseOversizedJacobians } from "./memory.js";
import { checkNodes } from "./nodes.js";
import { firstNonFinite, type NonFinite } from "./non-finite.js";
import { DEFAULT_OPTIONS, VERSION, type CheckOptions } from "./options.js";
import { throttle } from "./progress.js";
import { finite } from "./summary.js";
import { checkAtPoints } from "./points.js";

/** Run the whole check of a built graph. */
export function checkGraph(graph: Graph, options: Partial<CheckOptions> = {}): Report {
  const opts: CheckOptions = { ...DEFAULT_OPTIONS, ...options };
  if ((opts.points ?? 1) > 1) return checkAtPoints(graph, opts, checkOnePoint);
  return checkOnePoint(graph, opts);
}

/** The check at the graph's own values. */
function checkOnePoint(graph: Graph, opts: CheckOptions): Report {
  const seed = opts.seed ?? graph.seed;
  const t0 = performance.now();
  const notes: string[] = [];
  const progress = throttle(opts.onProgress);

  if (opts.local) refuseOversizedJacobians(graph, opts);
  // User ops get copies of what they are handed; a write into one is reported at the op that made it.
  const watch = watchUserOps();
  try {
    const { values, loss } = forward(graph);
    const grads = backward(graph, values);
    const nonFinite = firstNonFinite(graph, values);

    const tLocal = performance.now();
    const nodes = checkNodes({ graph, values, opts, seed, nonFinite, notes, mutations: watch.mutations }, progress);
    const localMs = performance.now() - tLocal;

    const tE2E = performance.now();
    const gradients = opts.endToEnd ? checkEndToEnd({ graph, opts, seed, loss, grads, notes, progress }) : [];
    const endToEndMs = performance.now() - tE2E;
    progress(1, "done");
    return assemble(graph, opts, { loss, nodes, gradients, notes, nonFinite }, { t0, localMs, endToEndMs });
  } finally {
    watch.stop();
  }
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
  const suspect = nodes.some((n) => n.suspect) || gradients.some((g) => g.suspect);
  if (suspect) notes.push(suspectNote(nodes, gradients, opts.strict === true));
  const constant = constantParams(graph);
  if (constant) notes.push(constant);
  const ok = nodes.every((n) => n.status !== "fail") && gradients.every((g) => g.status !== "fail") && !(opts.strict && suspect);
  return {
    ok, version: VERSION,
    network: { name: graph.name, ...(graph.file ? { file: graph.file } : {}), seed: graph.seed },
    mode: opts.mode === "auto" ? (gradients.some((g) => g.sampled) ? "sampled" : "exhaustive") : opts.mode,
    rtol: opts.rtol, atol: opts.atol, step: opts.step, loss: finite(f.loss), output: graph.output,
    ...(graph.projection ? { reduction: "seeded random projection" } : {}),
    inputs: graph.inputs.map((i) => ({ id: i.id, shape: i.shape, ...(i.classes !== undefined ? { classes: i.classes } : {}) })),
    nodes, gradients, counts, notes,
    ...(suspect ? { suspect: true } : {}), ...(opts.strict ? { strict: true } : {}),
    timings: { totalMs: performance.now() - time.t0, localMs: time.localMs, endToEndMs: time.endToEndMs },
  };
}

/** One note for every suspect node and gradient: what suspect means, and the largest such error. */
function suspectNote(nodes: NodeReport[], gradients: GradientReport[], strict: boolean): string {
  const entries = [
    ...nodes.flatMap((n) => n.jacobians.filter((j) => j.suspect).map((j) => ({ what: `∂${n.id}/∂${j.wrt}`, worst: j.worst.find((w) => w.suspect) }))),
    ...gradients.filter((g) => g.suspect).map((g) => ({ what: `dL/d${g.name}`, worst: g.worst.find((w) => w.suspect) })),
  ];
  const worst = entries.map((e) => e.worst).filter((w) => w !== undefined).sort((a, b) => b.relError - a.relError)[0];
  const size = worst ? ` (relative error up to ${fmt(worst.relError)}, against a finite-difference error of about ${fmt(worst.estimatedError ?? 0)})` : "";
  return `suspect: ${entries.map((e) => e.what).join(", ")} pass the tolerance but are far above what the finite difference can be wrong by${size}: in float64 that is a real error in the backward, not noise${strict ? " (--strict: the check fails)" : " (--strict makes this fail)"}`;
}

/**
 * Parameters whose every entry is equal (a gain of ones, a bias of zeros): a
 * bug that vanishes at that value — a gain applied twice at 1, a term in b at
 * 0 — cannot show here; --points N checks at other points too.
 */
function constantParams(graph: Graph): string | undefined {
  const constant: string[] = [];
  for (const node of graph.nodes)
    for (const [name, t] of Object.entries(node.params)) {
      const c = constantValue(t.data);
      if (c !== undefined) constant.push(`${node.id}.${name} = ${fmt(c)}`);
    }
  if (!constant.length) return undefined;
  return `constant parameter${constant.length === 1 ? "" : "s"} (every entry equal): ${constant.join(", ")}; a bug that vanishes at such a value (a gain applied twice is invisible at 1, a wrong term in a bias at 0) cannot show at this point — --points N also checks at points where ${constant.length === 1 ? "it is" : "they are"} drawn at random`;
}

/** The value every entry has, for a tensor of 2 or more entries (or one entry of 0 or 1); else undefined. */
export function constantValue(data: Float64Array): number | undefined {
  if (data.length === 0) return undefined;
  const c = data[0];
  for (let i = 1; i < data.length; i++) if (data[i] !== c) return undefined;
  return data.length >= 2 || c === 0 || c === 1 ? c : undefined;
}

function fmt(v: number): string {
  if (v === 0) return "0";
  const a = Math.abs(v);
  return a >= 1e-3 && a < 1e4 ? Number(v.toPrecision(3)).toString() : v.toExponential(1);
}
