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
 *
 * Nodes with a "group" are drawn inside a subgraph named after it, or, for a
 * collapsed group, as one box for the whole group (graph-groups.ts); group
 * names are user text too, escaped the same way, and their Mermaid ids are
 * generated (g0, g1, …).
 */
import type { GraphView, Status } from "./report.js";
import { drawnGraph, type DrawnBox } from "./graph-groups.js";

export interface MermaidOptions {
  /** Left to right (default) or top to bottom. */
  direction?: "LR" | "TB";
  /** A line more per node or input id (its value and upstream gradient, in the panel): escaped like every label. */
  summaries?: Record<string, string>;
  /** Groups drawn as one box each (default: none; every group is a subgraph). */
  collapsed?: ReadonlySet<string>;
}

export interface MermaidGraph {
  text: string;
  /** Mermaid id (n0, n1, …) → the user's node or input id. */
  nodeIdOf: Record<string, string>;
  /** The user's node or input id → Mermaid id. */
  mermaidIdOf: Record<string, string>;
  /** Mermaid id of a subgraph or a collapsed group's box → the group's name. */
  groupOf: Record<string, string>;
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
  const groupOf: Record<string, string> = {};
  const byClass = new Map<string, string[]>();
  /** Drawn box key (graph-groups.ts) → Mermaid id. */
  const idOfKey = new Map<string, string>();
  let next = 0;
  let nextGroup = 0;
  const groupIds = new Map<string, string>();
  const groupId = (name: string) => {
    let id = groupIds.get(name);
    if (!id) groupIds.set(name, (id = `g${nextGroup++}`));
    return id;
  };
  const classify = (id: string, cls: string) => byClass.set(cls, [...(byClass.get(cls) ?? []), id]);

  const drawn = drawnGraph(view, opts.collapsed ?? new Set());
  const boxLine = (box: DrawnBox): string => {
    if (box.kind === "group") {
      const id = groupId(box.group);
      idOfKey.set(box.key, id);
      groupOf[id] = box.group;
      classify(id, box.status ?? "unchecked");
      const label = `"${escapeLabel(box.group)}<br>${box.size} node${box.size === 1 ? "" : "s"}, collapsed"`;
      return box.output ? `${id}[[${label}]]` : `${id}[${label}]`;
    }
    const id = `n${next++}`;
    idOfKey.set(box.key, id);
    nodeIdOf[id] = box.id;
    // First definition wins; ids are unique in a valid graph.
    if (!(box.id in mermaidIdOf)) mermaidIdOf[box.id] = id;
    if (box.kind === "input") {
      classify(id, "input");
      const kind = box.classes !== undefined ? `labels, ${box.classes} classes` : box.constant ? "constant" : "input";
      return `${id}[/"${escapeLabel(box.id)}<br>${escapeLabel(kind)} ${shapeLabel(box.shape)}${extra(box.id)}"/]`;
    }
    classify(id, box.status ?? "unchecked");
    const shapes = box.outputs ? box.outputs.map((o) => `${escapeLabel(o.name)} ${shapeLabel(o.shape)}`).join(", ") : shapeLabel(box.shape);
    const label = `"${escapeLabel(box.id)}<br>${escapeLabel(box.op)} → ${shapes}${extra(box.id)}"`;
    // The loss node gets the subroutine shape (double side bars) so the end of the graph stands out.
    return box.output ? `${id}[[${label}]]` : `${id}[${label}]`;
  };

  const extra = (id: string) => (opts.summaries?.[id] !== undefined ? `<br>${escapeLabel(opts.summaries[id])}` : "");
  const lines = [`flowchart ${opts.direction ?? "LR"}`];
  // An expanded group's nodes are written inside its subgraph, where its first node would come.
  const open = new Set(drawn.groups.filter((g) => !g.collapsed).map((g) => g.name));
  const written = new Set<string>();
  for (const box of drawn.boxes) {
    if (box.kind === "node" && box.group !== undefined && open.has(box.group)) {
      if (written.has(box.group)) continue;
      written.add(box.group);
      const id = groupId(box.group);
      groupOf[id] = box.group;
      lines.push(`  subgraph ${id} ["${escapeLabel(box.group)}"]`);
      for (const member of drawn.boxes) {
        if (member.kind === "node" && member.group === box.group) lines.push(`    ${boxLine(member)}`);
      }
      lines.push("  end");
      continue;
    }
    lines.push(`  ${boxLine(box)}`);
  }
  for (const edge of drawn.edges) {
    const label = (edge.output !== undefined ? `${escapeLabel(edge.output)} ` : "") + shapeLabel(edge.shape) + (edge.count > 1 ? ` ×${edge.count}` : "");
    lines.push(`  ${idOfKey.get(edge.from)} -->|"${label}"| ${idOfKey.get(edge.to)}`);
  }
  for (const [cls, style] of Object.entries(statusStyles)) lines.push(`  classDef ${cls} ${style}`);
  for (const [cls, ids] of byClass) lines.push(`  class ${ids.join(",")} ${cls}`);
  return { text: lines.join("\n") + "\n", nodeIdOf, mermaidIdOf, groupOf };
}

/** The Mermaid source of the computation graph (what `gradlens graph FILE` prints). */
export function toMermaid(view: GraphView, opts: MermaidOptions = {}): string {
  return toMermaidGraph(view, opts).text;
}
