/**
 * A fresh worker thread's warm-up while it waits for its first task: one small
 * network of built-in ops parsed, validated, built and checked, so the code a
 * check runs is compiled and its inline caches warm before a user asks (the
 * editor's first check of a window then costs what a later one does). Nothing
 * of it is kept.
 */
import { checkGraph } from "../engine/check.js";
import { StraightEvaluator } from "../engine/evaluate.js";
import { loadNetworkText } from "../config/load.js";

/** The lecture's layers and their neighbours: linear, relu, tanh, sigmoid, softmax, cross-entropy and the fused loss. */
const PRIMER = {
  name: "gradlens-warm-up",
  seed: 1,
  inputs: { x: { shape: [4, 5] }, y: { shape: [4], classes: 3 } },
  nodes: [
    { id: "fc1", op: "linear", units: 6 },
    { id: "h1", op: "relu" },
    { id: "fc2", op: "linear", units: 6 },
    { id: "h2", op: "tanh" },
    { id: "h3", op: "sigmoid", inputs: ["h2"] },
    { id: "fc3", op: "linear", units: 3 },
    { id: "p", op: "softmax" },
    { id: "ce", op: "cross_entropy", inputs: ["p", "y"] },
    { id: "sce", op: "softmax_cross_entropy", inputs: ["fc3", "y"] },
    { id: "loss", op: "add", inputs: ["ce", "sce"] },
  ],
};

export function primeEngine(): void {
  const { graph } = loadNetworkText(JSON.stringify(PRIMER), "gradlens-warm-up.gradnet.json");
  checkGraph(graph, { mode: "exhaustive" });
  checkGraph(graph, { mode: "exhaustive", local: false, evaluator: (g) => new StraightEvaluator(g) });
}
