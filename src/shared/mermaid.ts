/**
 * The computation graph as Mermaid `flowchart` text: one node per input and per op
 * node (id, op, output shape — each output's, for a node with several), edges labelled
 * with the shape flowing along them (and the output's name, "h [4, 8]", when it leaves a
 * node with several outputs: one edge per output used), and a class per check status. Used by `gradlens graph`, the webview and the `--html` page.
 *
 * Node and input ids are the user's text, so they never become Mermaid syntax:
 * Mermaid ids are generated (n0, n1, …) and every label is written inside quotes with
 * each character outside [A-Za-z0-9 _.,] replaced by a Mermaid entity code (`#quot;`,
 * `#lt;`, `#35;`…). That neutralises `"`, `]`, `%%{init}%%` directives, `-->`, backticks
 * (markdown strings), `;`, and HTML tags, which Mermaid then shows as literal text.
 */
import type { GraphView, Status } from "./report.js";

export interface MermaidOptions {
  /** Left to right (default) or top to bottom. */
  direction?: "LR" | "TB";
  /** A line more per node or input id (its value and upstream gradient, in the panel): escaped like every label. */
  summaries?: Record<string, string>;
}

export interface MermaidGraph {
  text: string;
  /** Mermaid id (n0, n1, …) → the user's node or input id. */
  nodeIdOf: Record<string, string>;
  /** The user's node or input id → Mermaid id. */
  mermaidIdOf: Record<string, string>;
}

/** Fill, stroke and text colour per status: readable on light and dark backgrounds alike. */
export const statusStyles: Record<Status | "input" | "unchecked", string> = {
  pass: "fill:#d4f4dd,stroke:#1e8e3e,color:#0b3d1a",
  fail: "fill:#fbd5d5,stroke:#c5221f,color:#5c0b0b,stroke-width:3px",
  kink: "fill:#feefc3,stroke:#b06000,color:#4a2800",
  skipped: "fill:#e8eaed,stroke:#80868b,color:#202124,stroke-dasharray:4 3",
  input: "fill:#e1ecfb,stroke:#1a73e8,color:#0b2a55",
  unchecked: "fill:#f1f3f4,stroke:#5f6368,color:#202124",
};

const named: Record<string, string> = { '"': "#quot;", "<": "#lt;", ">": "#gt;", "&": "#amp;" };

/**
 * A label safe inside `["…"]` or `|"…"|`: letters, digits, space and `_.,` stay; line
 * breaks and other control characters become spaces; every other ASCII character
 * becomes an entity. Non-ASCII text (·, ×, Greek letters) is not Mermaid syntax and stays.
 */
export function escapeLabel(text: string): string {
  let out = "";
  for (const ch of text) {
    const code = ch.codePointAt(0)!;
    if (/[A-Za-z0-9 _.,]/.test(ch)) out += ch;
    else if (code < 0x20 || code === 0x7f || code === 0x2028 || code === 0x2029) out += " ";
    else if (code < 0x80) out += named[ch] ?? `#${code};`;
    else out += ch;
  }
  return out;
}

/** A shape is ours, not the user's: digits in brackets, safe inside a quoted label and easier to read unescaped. */
const shapeLabel = (shape: readonly number[]): string => `[${shape.map((d) => String(Number(d))).join(", ")}]`;

export function toMermaidGraph(view: GraphView, opts: MermaidOptions = {}): MermaidGraph {
  const nodeIdOf: Record<string, string> = {};
  const mermaidIdOf: Record<string, string> = {};
  const shapeOf = new Map<string, number[]>();
  const byClass = new Map<string, string[]>();
  let next = 0;
  const assign = (userId: string, cls: string): string => {
    const id = `n${next++}`;
    nodeIdOf[id] = userId;
    // First definition wins; ids are unique in a valid graph.
    if (!(userId in mermaidIdOf)) mermaidIdOf[userId] = id;
    byClass.set(cls, [...(byClass.get(cls) ?? []), id]);
    return id;
  };

  const extra = (id: string) => (opts.summaries?.[id] !== undefined ? `<br>${escapeLabel(opts.summaries[id])}` : "");
  const lines = [`flowchart ${opts.direction ?? "LR"}`];
  for (const input of view.inputs) {
    const id = assign(input.id, "input");
    shapeOf.set(input.id, input.shape);
    const kind = input.classes !== undefined ? `labels, ${input.classes} classes` : input.constant ? "constant" : "input";
    lines.push(`  ${id}[/"${escapeLabel(input.id)}<br>${escapeLabel(kind)} ${shapeLabel(input.shape)}${extra(input.id)}"/]`);
  }
  // A value a node reads: an input or node id, or "node:output" of a node with several outputs.
  const outputOf = new Map<string, { node: string; name: string }>();
  const outputNode = nodePart(view.output);
  for (const node of view.nodes) {
    const id = assign(node.id, node.status ?? "unchecked");
    shapeOf.set(node.id, node.outputShape);
    for (const o of node.outputs ?? []) {
      outputOf.set(`${node.id}:${o.name}`, { node: node.id, name: o.name });
      shapeOf.set(`${node.id}:${o.name}`, o.shape);
    }
    const shapes = node.outputs ? node.outputs.map((o) => `${escapeLabel(o.name)} ${shapeLabel(o.shape)}`).join(", ") : shapeLabel(node.outputShape);
    const label = `"${escapeLabel(node.id)}<br>${escapeLabel(node.op)} → ${shapes}${extra(node.id)}"`;
    // The loss node gets the subroutine shape (double side bars) so the end of the graph stands out.
    lines.push(node.id === outputNode ? `  ${id}[[${label}]]` : `  ${id}[${label}]`);
  }
  for (const node of view.nodes) {
    node.inputs.forEach((source, i) => {
      const output = outputOf.get(source);
      const from = mermaidIdOf[output ? output.node : source];
      if (from === undefined) return; // an unknown input: the graph builder reports it, the drawing skips it
      const shape = node.inputShapes[i] ?? shapeOf.get(source) ?? [];
      const label = output ? `${escapeLabel(output.name)} ${shapeLabel(shape)}` : shapeLabel(shape);
      lines.push(`  ${from} -->|"${label}"| ${mermaidIdOf[node.id]}`);
    });
  }
  for (const [cls, style] of Object.entries(statusStyles)) lines.push(`  classDef ${cls} ${style}`);
  for (const [cls, ids] of byClass) lines.push(`  class ${ids.join(",")} ${cls}`);
  return { text: lines.join("\n") + "\n", nodeIdOf, mermaidIdOf };
}

/** The node of a value name: "cell:h" → "cell" (ids never contain ':'). */
function nodePart(value: string): string {
  const colon = value.indexOf(":");
  return colon < 0 ? value : value.slice(0, colon);
}

/** The Mermaid source of the computation graph (what `gradlens graph FILE` prints). */
export function toMermaid(view: GraphView, opts: MermaidOptions = {}): string {
  return toMermaidGraph(view, opts).text;
}
