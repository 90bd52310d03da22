/**
 * The local check of a node with several outputs: one check per output (each
 * output's Jacobian against every input and parameter, rows = that output's
 * entries), and a diagnosis of the node that says which output is wrong and
 * which are right ("∂c/∂x is right, ∂h/∂x has its sign flipped").
 */
import type { NodeOutput } from "../graph.js";
import type { Rng } from "../random.js";
import type { Diagnosis, JacobianReport } from "../../shared/report.js";
import type { Tensor } from "../tensor.js";
import { localJacobians, type LocalResult } from "./local.js";
import type { LocalNode } from "./local-node.js";
import type { CheckOptions } from "./options.js";

/**
 * Every local Jacobian of a node at one point: `out` is what its forward gave
 * there (every output, and what it saved, which each backward call gets).
 * `rngFor(output)`: the seeded stream of one check (output undefined: the node's only one).
 */
export function nodeJacobians(node: LocalNode, inputs: Tensor[], out: NodeOutput, opts: CheckOptions, rngFor: (output?: string) => Rng): LocalResult {
  const names = node.outputNames;
  if (!names) return localJacobians({ node, inputs, output: out.outputs[0], opts, rng: rngFor(), saved: out.saved });
  const results = names.map((name, index) =>
    localJacobians({ node, inputs, output: out.outputs[index], opts, rng: rngFor(name), saved: out.saved, of: { index, name, outputs: out.outputs } }));
  return { jacobians: results.flatMap((r) => r.jacobians), reentrancy: results.find((r) => r.reentrancy)?.reentrancy };
}

/** How a diagnosis kind reads after "∂c/∂x …". */
const PHRASES: Partial<Record<string, string>> = {
  sign: "has its sign flipped",
  transpose: "is transposed",
  "missing-off-diagonal": "is missing its off-diagonal",
  zero: "is zero",
  "non-finite": "is not finite",
  "non-deterministic": "is not deterministic",
  sparsity: "has the wrong zero pattern",
  partial: "is wrong on part of its entries",
  "ignores-upstream": "ignores its upstream gradient",
  mismatch: "is wrong",
};

function phrase(d: Diagnosis | undefined): string {
  if (!d) return "is wrong";
  if (d.kind === "scale" && d.factor !== undefined) return `is off by a factor of ${Number(d.factor.toPrecision(4))}`;
  return PHRASES[d.kind] ?? `is wrong (${d.kind})`;
}

const jacobianName = (j: JacobianReport) => `∂${j.output}/∂${j.wrt}`;

/** "a", "a and b", "a, b and c" */
function inWords(items: string[]): string {
  return items.length < 2 ? items.join("") : `${items.slice(0, -1).join(", ")} and ${items[items.length - 1]}`;
}

/**
 * The node's diagnosis from its per-output Jacobians: the first failing one's,
 * its detail led by which Jacobians are right and which are wrong and how.
 * Undefined when none fails.
 */
export function outputsDiagnosis(jacobians: JacobianReport[]): Diagnosis | undefined {
  const failing = jacobians.filter((j) => j.status === "fail");
  if (failing.length === 0) return undefined;
  const first = failing.find((j) => j.diagnosis) ?? failing[0];
  const right = jacobians.filter((j) => j.status === "pass" || j.status === "kink");
  // An output right against everything, with more than two Jacobians, is named once.
  const outputs = [...new Set(jacobians.map((j) => j.output))];
  const rightNames = outputs.flatMap((o) => {
    const all = jacobians.filter((j) => j.output === o);
    const ok = right.filter((j) => j.output === o);
    return ok.length === all.length && all.length > 2 ? [`∂${o}/∂(every input and parameter)`] : ok.map(jacobianName);
  });
  const wrong = failing.map((j) => `${jacobianName(j)} ${phrase(j.diagnosis)}`);
  const summary = rightNames.length
    ? `${inWords(rightNames)} ${rightNames.length === 1 && !rightNames[0].includes("every") ? "is" : "are"} right, ${inWords(wrong)}`
    : inWords(wrong);
  const base = first.diagnosis ?? { kind: "mismatch" as const, detail: `the analytic ${jacobianName(first)} differs from the numeric one` };
  return { ...base, detail: `${summary} — ${(base.kind === "zero" && missingPath(jacobians, first)) || base.detail}` };
}

/**
 * A zero ∂o/∂w beside right Jacobians says more than "zero": the gradient that arrives at
 * output o (gradOutputs.o) does not reach w — a path forgotten in the backward (an LSTM's
 * c → c_prev), or the whole output ignored.
 */
function missingPath(jacobians: JacobianReport[], j: JacobianReport): string | undefined {
  const o = j.output!;
  const ofOutput = jacobians.filter((k) => k.output === o);
  const ignored = ofOutput.every((k) => k.status === "fail" && k.diagnosis?.kind === "zero");
  const worst = j.worst[0];
  const at = worst && worst.index.length === 2 ? `; at one entry the numeric ∂${o}/∂${j.wrt} is ${fmt(worst.numeric)} and the analytic ${fmt(worst.analytic)}` : "";
  if (ignored) {
    const wrts = ofOutput.map((k) => k.wrt);
    return `the backward ignores the gradient arriving at output ${o} (gradOutputs.${o}): nothing that comes through ${o} reaches ${inWords(wrts)}${at}`;
  }
  const zeroHere = ofOutput.filter((k) => k.status === "fail" && k.diagnosis?.kind === "zero").map((k) => k.wrt);
  return `the backward leaves out the path through output ${o}: the gradient it returns for ${inWords(zeroHere)} has no gradOutputs.${o} · ∂${o}/∂${zeroHere.length === 1 ? zeroHere[0] : `(${zeroHere.join(", ")})`} term, although ${o} depends on ${zeroHere.length === 1 ? "it" : "them"}${at}`;
}

function fmt(v: number): string {
  return Number.isFinite(v) ? String(Number(v.toPrecision(4))) : String(v);
}
