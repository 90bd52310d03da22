/**
 * The walkthrough as package.json contributes it: every step's button is a
 * command link to a command the extension contributes, with a markdown page
 * that exists and ships; the examples it opens ship too; and the fix its
 * "Fix it" page gives, put into the buggy softmax, makes the network pass —
 * the check, the explanation, the descent and the step-size plot alike.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import "../../src/config/typescript-support.js";
import { loadNetworkFile } from "../../src/config/load.js";
import { checkGraph } from "../../src/engine/check.js";
import { explain } from "../../src/engine/teach/explain.js";
import { descent } from "../../src/engine/teach/descent.js";
import { sweep } from "../../src/engine/teach/sweep.js";

const root = join(import.meta.dirname, "..", "..");
const pkg = JSON.parse(readFileSync(join(root, "package.json"), "utf8"));
const [walkthrough] = pkg.contributes.walkthroughs as { id: string; steps: { id: string; description: string; media: { markdown: string }; completionEvents: string[] }[] }[];

const links = (text: string) => [...text.matchAll(/\[([^\]]+)\]\(command:([\w.]+)(?:\?([^)]+))?\)/g)].map((m) => ({ label: m[1], command: m[2], args: m[3] ? JSON.parse(decodeURIComponent(m[3])) : [] }));

test("every step: one command link to a contributed command, a markdown page that ships, a completion event", () => {
  const contributed = new Set((pkg.contributes.commands as { command: string }[]).map((c) => c.command));
  const shipped = readFileSync(join(root, ".vscodeignore"), "utf8").split("\n");
  for (const line of ["!media/walkthrough/**", "!examples/*.gradnet.json", "!examples/buggy/**"]) assert.ok(shipped.includes(line), `.vscodeignore ships ${line}`);
  for (const step of walkthrough.steps) {
    const found = links(step.description);
    assert.equal(found.length, 1, `${step.id}: ${step.description}`);
    assert.ok(contributed.has(found[0].command), `${step.id}: ${found[0].command}`);
    assert.ok(existsSync(join(root, step.media.markdown)), step.media.markdown);
    assert.match(step.media.markdown, /^media\/walkthrough\//);
    assert.equal(step.completionEvents.length, 1);
    for (const a of found[0].args) if (/\.gradnet\.(json|ts)$/.test(String(a))) assert.ok(existsSync(join(root, "examples", String(a))), String(a));
  }
  assert.deepEqual(links(walkthrough.steps[0].description)[0], { label: "Open seed-mlp", command: "gradlens.openExample", args: ["seed-mlp.gradnet.json"] });
});

test("the fix of the 'Fix it' page makes the buggy softmax pass: check, explain, descent and sweep", async () => {
  const page = readFileSync(join(root, "media/walkthrough/fix-it.md"), "utf8");
  const fix = /```ts\n([\s\S]*?)```/.exec(page)![1];
  const buggy = readFileSync(join(root, "examples/buggy/softmax-diagonal.gradnet.ts"), "utf8");
  const backward = /  backward: \(\{ output: p, gradOutput: g \}\) => \(\{\n[\s\S]*?\n  \}\),\n/;
  assert.match(buggy, backward, "the buggy example's backward, as the page tells you to replace it");
  const dir = mkdtempSync(join(tmpdir(), "gradlens-fix-"));
  try {
    const file = join(dir, "softmax-diagonal.gradnet.ts");
    writeFileSync(file, buggy.replace(backward, fix));
    const before = checkGraph((await loadNetworkFile(join(root, "examples/buggy/softmax-diagonal.gradnet.ts"))).graph, {});
    assert.equal(before.ok, false);
    const { graph } = await loadNetworkFile(file);
    const report = checkGraph(graph, {});
    assert.equal(report.ok, true, JSON.stringify(report.nodes.map((n) => [n.id, n.status])));
    const e = explain(graph, "fc.W[1,0]");
    assert.deepEqual([e.agree, e.firstDeparture], [true, null]);
    assert.ok(e.identity && Math.abs(e.identity.value - e.analytic) <= 1e-9);
    assert.equal(descent(graph).agree, true);
    assert.equal(sweep(graph, "p").verdict, "v");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
