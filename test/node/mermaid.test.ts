import { test } from "node:test";
import assert from "node:assert/strict";
import { escapeLabel, toMermaid, toMermaidGraph } from "../../src/shared/mermaid.js";
import type { GraphView } from "../../src/shared/report.js";

const node = (id: string, op: string, inputs: string[], inputShapes: number[][], outputShape: number[], status?: "pass" | "fail" | "kink" | "skipped") =>
  ({ id, op, inputs, inputShapes, outputShape, params: [], ...(status ? { status } : {}) });

const seedMlp: GraphView = {
  name: "seed-mlp",
  inputs: [{ id: "x", shape: [4, 3] }, { id: "y", shape: [4], classes: 3 }],
  nodes: [
    node("fc", "linear", ["x"], [[4, 3]], [4, 3], "pass"),
    node("p", "softmax", ["fc"], [[4, 3]], [4, 3], "fail"),
    node("loss", "cross_entropy", ["p", "y"], [[4, 3], [4]], [], "kink"),
  ],
  output: "loss",
};

test("structure: one Mermaid node per input and op node, with generated ids", () => {
  const g = toMermaidGraph(seedMlp);
  const lines = g.text.trim().split("\n");
  assert.equal(lines[0], "flowchart LR");
  assert.deepEqual(g.nodeIdOf, { n0: "x", n1: "y", n2: "fc", n3: "p", n4: "loss" });
  assert.deepEqual(g.mermaidIdOf, { x: "n0", y: "n1", fc: "n2", p: "n3", loss: "n4" });
  assert.ok(lines.includes('  n0[/"x<br>input [4, 3]"/]'), g.text);
  assert.ok(lines.includes('  n1[/"y<br>labels, 3 classes [4]"/]'), g.text);
  assert.ok(lines.includes('  n2["fc<br>linear → [4, 3]"]'), g.text);
  // The output node has the subroutine shape.
  assert.ok(lines.includes('  n4[["loss<br>cross_entropy → []"]]'), g.text);
});

test("structure: edges carry the shape flowing along them", () => {
  const lines = toMermaid(seedMlp).split("\n");
  const edges = lines.filter((l) => l.includes("-->"));
  assert.deepEqual(edges, [
    '  n0 -->|"[4, 3]"| n2',
    '  n2 -->|"[4, 3]"| n3',
    '  n3 -->|"[4, 3]"| n4',
    '  n1 -->|"[4]"| n4',
  ]);
});

test("structure: a classDef per status and each node in its status class", () => {
  const lines = toMermaid(seedMlp).split("\n");
  for (const cls of ["pass", "fail", "kink", "skipped", "input", "unchecked"]) {
    assert.ok(lines.some((l) => l.startsWith(`  classDef ${cls} fill:`)), cls);
  }
  assert.ok(lines.includes("  class n0,n1 input"));
  assert.ok(lines.includes("  class n2 pass"));
  assert.ok(lines.includes("  class n3 fail"));
  assert.ok(lines.includes("  class n4 kink"));
});

test("structure: direction TB and unchecked nodes (a graph without a check)", () => {
  const view: GraphView = { ...seedMlp, nodes: seedMlp.nodes.map(({ status: _s, ...n }) => n) };
  const text = toMermaid(view, { direction: "TB" });
  assert.ok(text.startsWith("flowchart TB\n"));
  assert.ok(text.includes("  class n2,n3,n4 unchecked\n"));
});

test("escaping: quotes, brackets, Mermaid syntax and HTML become entities", () => {
  assert.equal(escapeLabel('"]; click n call alert()'), "#quot;#93;#59; click n call alert#40;#41;");
  assert.equal(escapeLabel("%%{init: {}}%%"), "#37;#37;#123;init#58; #123;#125;#125;#37;#37;");
  assert.equal(escapeLabel("<img src=x onerror=alert(1)>"), "#lt;img src#61;x onerror#61;alert#40;1#41;#gt;");
  assert.equal(escapeLabel("a-->b"), "a#45;#45;#gt;b");
  assert.equal(escapeLabel("`md` #quot; &lt;"), "#96;md#96; #35;quot#59; #amp;lt#59;");
  assert.equal(escapeLabel("two\nlines\r\tand\u2028more"), "two lines  and more");
  assert.equal(escapeLabel("σ(x)·W"), "σ#40;x#41;·W");
});

test("escaping: hostile ids stay inside one quoted label per node and never form syntax", () => {
  const hostile = ['"]; click n call alert()', "%%{init: {\"securityLevel\": \"loose\"}}%%", "<img src=x onerror=alert(1)>", "a-->b\nclick a", "`x`"];
  const view: GraphView = {
    name: "evil",
    inputs: [{ id: hostile[0], shape: [2] }],
    nodes: hostile.slice(1).map((id, i) => node(id, hostile[i], [i === 0 ? hostile[0] : hostile[i]], [[2]], [2], "fail")),
    output: hostile[hostile.length - 1],
  };
  const g = toMermaidGraph(view);
  const lines = g.text.trim().split("\n");
  // A newline in an id did not start a new statement: header, 5 nodes, 4 edges, 6 classDefs, 2 class lines.
  assert.equal(lines.length, 1 + 5 + 4 + 6 + 2, g.text);
  const nodeLines = lines.slice(1, 6);
  for (const line of nodeLines) {
    // Each node line is exactly one generated id and one quoted label in one of our three shapes.
    assert.match(line, /^ {2}n\d+(\[\/"[^"]*"\/\]|\["[^"]*"\]|\[\["[^"]*"\]\])$/);
    // The user's id is the label's first line; the op line also carries the output shape.
    const label = line.slice(line.indexOf('"') + 1, line.lastIndexOf('"')).replaceAll("<br>", " ").replace(/ \[[\d, ]*\]$/, "");
    assert.ok(!label.includes("]"), line);
    for (const bad of ["%", "<", ">", "`", "-->", ";\n", "{", "}"]) {
      assert.ok(!label.replace(/#\w+;/g, "").includes(bad), `${JSON.stringify(bad)} leaked into ${line}`);
    }
  }
  for (const line of lines.slice(6, 10)) assert.match(line, /^ {2}n\d+ -->\|"[^"]*"\| n\d+$/);
  // Every user id maps to a generated id and back.
  for (const id of hostile) assert.equal(g.nodeIdOf[g.mermaidIdOf[id]], id);
  assert.deepEqual(Object.keys(g.nodeIdOf), ["n0", "n1", "n2", "n3", "n4"]);
  // Each node line has exactly two unescaped quotes: the label's own.
  for (const line of g.text.split("\n").filter((l) => /^ {2}n\d+[[/]/.test(l))) {
    assert.equal(line.split('"').length - 1, 2, line);
  }
});
