// Groups in the drawn graph (src/shared/graph-groups.ts) and in its Mermaid text:
// a group's nodes in a subgraph, a collapsed group as one box whose edges are
// merged, the worst status of its members, which groups a big graph opens
// with collapsed, and hostile group names that stay literal text.
import assert from "node:assert/strict";
import { test } from "node:test";
import { BIG_GRAPH, drawnGraph, groupsOf, initiallyCollapsed, layersOf, prefersTopToBottom } from "../../src/shared/graph-groups.js";
import { toMermaidGraph } from "../../src/shared/mermaid.js";
import type { GraphView, Status } from "../../src/shared/report.js";

/** x → block1 (fc1, h1) → block2 (fc2, h2) → loss; h1 also feeds h2 (a skip across the block boundary). */
function blocks(status: Partial<Record<string, Status>> = {}): GraphView {
  const n = (id: string, op: string, inputs: string[], group?: string) =>
    ({ id, op, inputs, inputShapes: inputs.map(() => [4, 3]), outputShape: [4, 3], params: [], ...(group ? { group } : {}), ...(status[id] ? { status: status[id] } : {}) });
  return {
    name: "blocks",
    inputs: [{ id: "x", shape: [4, 3] }],
    nodes: [n("fc1", "linear", ["x"], "block1"), n("h1", "tanh", ["fc1"], "block1"), n("fc2", "linear", ["h1"], "block2"), n("h2", "add", ["fc2", "h1"], "block2"), n("loss", "sum", ["h2"])],
    output: "loss",
  };
}

test("groups: members in network order, the worst status of their members", () => {
  const groups = groupsOf(blocks({ fc1: "pass", h1: "kink", fc2: "pass", h2: "fail" }));
  assert.deepEqual(groups.map((g) => [g.name, g.members, g.status]), [["block1", ["fc1", "h1"], "kink"], ["block2", ["fc2", "h2"], "fail"]]);
  assert.equal(groupsOf(blocks())[0].status, undefined, "no check: no status");
});

test("a collapsed group is one box; edges into and out of it are merged and counted, edges inside it vanish", () => {
  const g = drawnGraph(blocks(), new Set(["block2"]));
  assert.deepEqual(g.boxes.map((b) => b.key), ["i:x", "n:fc1", "n:h1", "g:block2", "n:loss"]);
  assert.deepEqual(g.edges.map((e) => [e.from, e.to, e.count]), [["i:x", "n:fc1", 1], ["n:fc1", "n:h1", 1], ["n:h1", "g:block2", 2], ["g:block2", "n:loss", 1]]);
  const layers = layersOf(g);
  assert.deepEqual([...layers.values()], [0, 1, 2, 3, 4]);
});

test("a big graph opens with its groups collapsed, except those holding a failing node; a small one with none", () => {
  assert.deepEqual([...initiallyCollapsed(blocks({ h2: "fail" }))], [], "5 boxes: small");
  const nodes: GraphView["nodes"] = [];
  for (let b = 0; b < 20; b++) for (let k = 0; k < 4; k++) {
    const id = `b${b}n${k}`;
    nodes.push({ id, op: "tanh", inputs: [nodes.length ? nodes[nodes.length - 1].id : "x"], inputShapes: [[2]], outputShape: [2], params: [], group: `block${b}`, status: id === "b7n2" ? "fail" : "pass" });
  }
  const big: GraphView = { name: "big", inputs: [{ id: "x", shape: [2] }], nodes, output: nodes[nodes.length - 1].id };
  assert.ok(big.nodes.length + 1 > BIG_GRAPH);
  const collapsed = initiallyCollapsed(big);
  assert.equal(collapsed.size, 19);
  assert.ok(!collapsed.has("block7"));
  const drawn = drawnGraph(big, collapsed);
  assert.equal(drawn.boxes.length, 1 + 19 + 4, "the input, 19 group boxes, block7's 4 nodes");
  assert.equal(drawn.boxes.find((b) => b.key === "g:block19")?.kind, "group");
  assert.deepEqual(drawn.boxes.filter((b) => b.kind === "node").map((b) => b.key), ["n:b7n0", "n:b7n1", "n:b7n2", "n:b7n3"]);
});

test("top to bottom for a long chain, left to right for a short or wide graph", () => {
  assert.equal(prefersTopToBottom(100, 1), true);
  assert.equal(prefersTopToBottom(5, 1), false);
  assert.equal(prefersTopToBottom(20, 10), false);
});

test("Mermaid: an expanded group is a subgraph holding its nodes; a collapsed one a box of its own class", () => {
  const view = blocks({ fc1: "pass", h1: "pass", fc2: "pass", h2: "fail", loss: "pass" });
  const open = toMermaidGraph(view);
  const lines = open.text.trim().split("\n");
  const sub = lines.indexOf('  subgraph g0 ["block1"]');
  assert.ok(sub > 0, open.text);
  assert.deepEqual(lines.slice(sub, sub + 4), ['  subgraph g0 ["block1"]', '    n1["fc1<br>linear → [4, 3]"]', '    n2["h1<br>tanh → [4, 3]"]', "  end"]);
  assert.deepEqual(open.groupOf, { g0: "block1", g1: "block2" });
  const closed = toMermaidGraph(view, { collapsed: new Set(["block2"]) });
  const cl = closed.text.trim().split("\n");
  assert.ok(cl.includes('  g1["block2<br>2 nodes, collapsed"]'), closed.text);
  assert.ok(cl.includes('  n2 -->|"[4, 3] ×2"| g1'), closed.text);
  assert.ok(cl.includes('  g1 -->|"[4, 3]"| n3'), closed.text);
  assert.ok(cl.includes("  class g1 fail"), closed.text);
  assert.deepEqual(Object.values(closed.nodeIdOf), ["x", "fc1", "h1", "loss"]);
});

test("Mermaid: a hostile group name is one quoted, escaped title, never syntax", () => {
  const names = ['"]; end; click n call alert()', "%%{init: {\"securityLevel\": \"loose\"}}%%", "<img src=x onerror=alert(1)>", "a\nend\nsubgraph"];
  const view: GraphView = {
    name: "evil", inputs: [{ id: "x", shape: [2] }], output: "n3",
    nodes: names.map((group, i) => ({ id: `n${i}`, op: "tanh", inputs: [i ? `n${i - 1}` : "x"], inputShapes: [[2]], outputShape: [2], params: [], group })),
  };
  for (const collapsed of [new Set<string>(), new Set(names)]) {
    const g = toMermaidGraph(view, { collapsed });
    const lines = g.text.trim().split("\n");
    const titled = lines.filter((l) => /^ {2}(subgraph g\d+ \[|g\d+\[)/.test(l));
    assert.equal(titled.length, names.length, g.text);
    for (const line of titled) {
      assert.equal(line.split('"').length - 1, 2, line);
      const label = line.slice(line.indexOf('"') + 1, line.lastIndexOf('"')).replaceAll("<br>", " ").replace(/#\w+;/g, "");
      for (const bad of ["%", "<", ">", "]", "[", ";", "{", "}", "\n"]) assert.ok(!label.includes(bad), `${JSON.stringify(bad)} leaked into ${line}`);
    }
    assert.equal(lines.filter((l) => l.trim() === "end").length, collapsed.size ? 0 : names.length, "one end per subgraph, none from a name");
    assert.deepEqual(Object.values(g.groupOf).sort(), [...names].sort());
  }
});
