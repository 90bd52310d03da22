/**
 * Everything the teaching views show, made up front for a page with no host
 * to ask (`gradlens check FILE --html OUT`): every node's values and upstream
 * gradients, the descent, each node's step-size sweep, and the explanations of
 * the entries a reader is likely to click — every entry of a small tensor, the
 * worst ones of a large one. Big networks get what fits a few seconds.
 */
import type { Graph } from "../graph.js";
import { entryText, paramName } from "../../shared/names.js";
import type { Report } from "../../shared/report.js";
import type { Explanation, Lesson } from "../../shared/teach.js";
import { unravel } from "../tensor.js";
import { descent } from "./descent.js";
import { explain } from "./explain.js";
import { sweep } from "./sweep.js";
import { networkValues } from "./values.js";

/** Every entry of a tensor up to this size is explained; of a larger one, its worst entries. */
const EXPLAIN_ALL = 48;
/** Descent is made when one numeric gradient costs fewer loss evaluations than this. */
const DESCENT_ENTRIES = 20_000;

export function lessonOf(graph: Graph, report?: Report): Lesson {
  const lesson: Lesson = { values: networkValues(graph), sweeps: graph.nodes.map((n) => sweep(graph, n.id)), explanations: {} };
  const entries = graph.nodes.reduce((s, n) => s + Object.values(n.params).reduce((t, p) => t + p.data.length, 0), 0);
  if (entries <= DESCENT_ENTRIES) lesson.descent = descent(graph);
  for (const text of entriesToExplain(graph, report)) lesson.explanations![text] = explain(graph, text);
  return lesson;
}

function entriesToExplain(graph: Graph, report?: Report): string[] {
  const tensors = [
    ...graph.nodes.flatMap((n) => Object.entries(n.params).map(([p, t]) => ({ name: paramName(n.id, p), shape: t.shape, size: t.data.length }))),
    ...graph.inputs.filter((i) => i.classes === undefined && !i.constant).map((i) => ({ name: i.id, shape: i.shape, size: i.value.data.length })),
  ];
  return tensors.flatMap((t) => {
    if (t.size <= EXPLAIN_ALL) return Array.from({ length: t.size }, (_, k) => entryText(t.name, unravel(k, t.shape)));
    const worst = report?.gradients.find((g) => g.name === t.name)?.worst.map((w) => entryText(t.name, w.index)) ?? [];
    return [...new Set([...worst, entryText(t.name, unravel(0, t.shape))])];
  });
}

export type { Explanation };
