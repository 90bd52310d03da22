/**
 * Real reports for the browser tests, made by the engine (buildGraph + checkGraph)
 * from example networks and from networks with deliberately wrong custom backwards.
 */
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { buildGraph } from "../../src/engine/graph.js";
import { checkGraph, type CheckOptions } from "../../src/engine/check.js";
import { builtinOps } from "../../src/engine/ops/index.js";
import type { OpDef } from "../../src/engine/op.js";
import type { NetworkSpec } from "../../src/engine/network.js";
import type { Report } from "../../src/shared/report.js";
import "../../src/config/typescript-support.js";
import { loadNetworkFile } from "../../src/config/load.js";

const root = join(__dirname, "..", "..");
const example = (name: string): NetworkSpec => JSON.parse(readFileSync(join(root, "examples", name), "utf8")) as NetworkSpec;
const builtin = (name: string): OpDef => {
  const op = builtinOps.get(name);
  if (!op) throw new Error(`no built-in op ${name}`);
  return op;
};

/** The classic softmax bug: only the diagonal pⱼ(1 − pⱼ) of ∂p/∂l, the −pⱼpₖ terms dropped. */
export const diagonalSoftmax: OpDef = {
  ...builtin("softmax"), name: "diagonalSoftmax", builtin: false,
  backward: ({ output: p, gradOutput: g }) => ({
    inputs: [{ shape: [...p.shape], data: p.data.map((pj, j) => pj * (1 - pj) * g.data[j]) }],
  }),
};

/** tanh whose backward has the wrong sign: (y² − 1)·g instead of (1 − y²)·g. */
export const signTanh: OpDef = {
  ...builtin("tanh"), name: "signTanh", builtin: false,
  backward: ({ output: y, gradOutput: g }) => ({
    inputs: [{ shape: [...y.shape], data: y.data.map((yi, i) => (yi * yi - 1) * g.data[i]) }],
  }),
};

export function check(spec: NetworkSpec, customOps: Record<string, OpDef> = {}, options: Partial<CheckOptions> = { mode: "exhaustive" }): Report {
  return checkGraph(buildGraph(spec, { customOps }), options);
}

/** examples/seed-mlp.gradnet.json as shipped: everything passes. */
export const seedMlpReport = (): Report => check(example("seed-mlp.gradnet.json"));

/** seed-mlp with the diagonal-only softmax and a hidden tanh layer whose backward has the wrong sign. */
export function buggyMlpReport(options?: Partial<CheckOptions>): Report {
  const spec: NetworkSpec = {
    name: "buggy-mlp",
    seed: 7,
    inputs: { x: { shape: [4, 3] }, y: { shape: [4], classes: 3 } },
    nodes: [
      { id: "fc1", op: "linear", units: 5 },
      { id: "h", op: signTanh },
      { id: "fc2", op: "linear", units: 3 },
      { id: "p", op: diagonalSoftmax },
      { id: "loss", op: "cross_entropy", inputs: ["p", "y"] },
    ],
  };
  return check(spec, {}, options);
}

/** A Mermaid directive that would switch it to "loose": the name of the group of hostileIds.init. */
export const hostileGroup = '%%{init: {"securityLevel": "loose"}}%%';

/** Ids that are HTML, script and Mermaid syntax; a failing node among them. */
export const hostileIds = {
  input: '"]; click n call alert()',
  img: "<img src=x onerror=__pwned=1>",
  script: "<script>__pwned=2;alert(2)</script>",
  // Ids may not hold ':' (it reads an output): the full directive comes in as a group's name (hostileGroup).
  init: '%%{init}%% {"securityLevel" "loose"}',
  arrow: "a-->b; click a call alert(1)",
  loss: "`loss` & #quot; ]] ((x))",
} as const;

export function hostileReport(): Report {
  const spec: NetworkSpec = {
    name: '<b>evil</b> "net" %%{init}%%',
    seed: 3,
    inputs: { [hostileIds.input]: { shape: [2, 3] } },
    nodes: [
      { id: hostileIds.img, op: "linear", units: 3 },
      { id: hostileIds.script, op: signTanh },
      { id: hostileIds.init, op: "sigmoid", group: hostileGroup },
      { id: hostileIds.arrow, op: "mul", inputs: [hostileIds.init, hostileIds.script] },
      { id: hostileIds.loss, op: "sum" },
    ],
  };
  return check(spec);
}

/** A chain of 100 nodes: linear and tanh alternating, then a sum. */
export function chain100Report(): Report {
  const nodes: NetworkSpec["nodes"] = [];
  for (let i = 0; i < 99; i++) nodes.push(i % 2 === 0 ? { id: `fc${i}`, op: "linear", units: 3 } : { id: `act${i}`, op: "tanh" });
  nodes.push({ id: "loss", op: "sum" });
  return check({ name: "chain-100", seed: 1, inputs: { x: { shape: [2, 3] } }, nodes }, {}, { mode: "sampled" });
}

/** ReLU evaluated exactly at 0 (a kink, not a failure) next to a failing node. */
export function kinkReport(): Report {
  return check({
    name: "kinks",
    inputs: { x: { values: [[0, 1, -1], [0.5, 0, 2]] } },
    nodes: [{ id: "r", op: "relu" }, { id: "t", op: signTanh }, { id: "loss", op: "sum" }],
  });
}

/**
 * The example networks a user opens first (examples/*, examples/buggy/*, examples/custom/*),
 * except mnist-mlp, which takes seconds to check (the bench covers it).
 */
export function exampleFiles(): string[] {
  const dirs = ["examples", "examples/buggy", "examples/custom"];
  return dirs.flatMap((dir) => readdirSync(join(root, dir))
    .filter((f) => /\.gradnet\.(json|ts)$/.test(f) && f !== "mnist-mlp.gradnet.json")
    .map((f) => `${dir}/${f}`));
}

/** Load an example through the real loader (JSON or TypeScript) and check it with the default options. */
export async function exampleReport(file: string): Promise<Report> {
  const { graph } = await loadNetworkFile(join(root, file));
  return checkGraph(graph, {});
}

/**
 * A network of `blocks` residual blocks, each a group of `perBlock` nodes
 * (linear, tanh, … and an add of the block's input), then a sum; the tanh of
 * block `failing` has the wrong sign in its backward. `grouped: false` leaves
 * out the "group" fields (the same chain, ungrouped).
 */
export function blocksReport(blocks: number, perBlock: number, failing: number, grouped = true): Report {
  const nodes: NetworkSpec["nodes"] = [];
  let previous = "x";
  for (let b = 0; b < blocks; b++) {
    const group = grouped ? { group: `block${b + 1}` } : {};
    const start = previous;
    for (let k = 0; k < perBlock - 1; k++) {
      const id = `b${b + 1}_${k % 2 === 0 ? "fc" : "act"}${k}`;
      const op = k % 2 === 0 ? "linear" : b === failing && k === 1 ? signTanh : "tanh";
      nodes.push({ id, op, ...(k % 2 === 0 ? { units: 3 } : {}), inputs: [previous], ...group });
      previous = id;
    }
    const sum = `b${b + 1}_out`;
    nodes.push({ id: sum, op: "add", inputs: [previous, start], ...group });
    previous = sum;
  }
  nodes.push({ id: "loss", op: "sum", inputs: [previous] });
  return check({ name: `blocks-${blocks}x${perBlock}`, seed: 2, inputs: { x: { shape: [2, 3] } }, nodes }, {}, { mode: "fast" });
}
