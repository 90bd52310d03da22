// The corpus of real backward bugs (test/corpus, issue 9) as the measure of the diagnoses:
// every bug is detected at its own node and nowhere else, with the kind the manifest expects
// (or one it accepts), and the region and factor it gives — exhaustive through the real CLI,
// fast mode in-process — at least three quarters with a diagnosis other than plain mismatch,
// and every corrected twin passes with no suspect entry at --seed 0…9 in both modes (in-process:
// the same engine, without 760 processes). `npm run corpus` prints the full table.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { before, describe, test } from "node:test";
import { runCorpus, type CaseResult, type CorpusCase, type CorpusRun } from "../../scripts/corpus.js";
import "../../src/config/typescript-support.js";
import { loadNetworkFile, type LoadedNetwork } from "../../src/config/load.js";
import { checkGraph } from "../../src/engine/check.js";
import type { Report } from "../../src/shared/report.js";

const root = join(import.meta.dirname, "..", "..");
const manifest = (JSON.parse(readFileSync(join(root, "test/corpus/corpus.json"), "utf8")) as { cases: CorpusCase[] }).cases;
const SEEDS = 10;

/** What the node at fault says, judged against the manifest: undefined when it is right, else why not. */
function misjudged(c: CorpusCase, report: { failing: string[]; suspect: string[]; kind?: string; region?: string; factor?: number }): string | undefined {
  const { expected } = c;
  const others = report.failing.filter((id) => id !== c.node);
  if (others.length) return `fails at ${others.join(", ")} besides ${c.node}`;
  if (!report.failing.includes(c.node)) return expected.suspect && report.suspect.includes(c.node) ? undefined : `${c.node} does not fail${report.suspect.includes(c.node) ? " (suspect only)" : ""}`;
  const kinds = [expected.kind, ...(expected.accept ?? [])];
  if (!report.kind || !kinds.includes(report.kind)) return `kind ${report.kind}, expected ${kinds.join(" or ")}`;
  if (report.kind === expected.kind && expected.region !== undefined && report.region !== expected.region) return `region ${JSON.stringify(report.region)}, expected ${JSON.stringify(expected.region)}`;
  if (report.kind === expected.kind && expected.factor !== undefined && !(report.factor !== undefined && Math.abs(report.factor - expected.factor) <= 1e-6 * Math.abs(expected.factor)))
    return `factor ${report.factor}, expected ${expected.factor}`;
  return undefined;
}

function ofReport(r: Report, node: string) {
  const n = r.nodes.find((x) => x.id === node);
  return {
    failing: r.nodes.filter((x) => x.status === "fail").map((x) => x.id),
    suspect: r.nodes.filter((x) => x.suspect).map((x) => x.id),
    kind: n?.status === "fail" ? n.diagnosis?.kind : undefined, region: n?.diagnosis?.region, factor: n?.diagnosis?.factor,
  };
}

describe("the corpus through the real CLI (exhaustive; the twin at --seed 0)", () => {
  let run: CorpusRun;
  before(async () => {
    run = await runCorpus({ mode: "exhaustive", seeds: 1, jobs: 2 });
  });

  test("every case runs, bug and twin", () => {
    assert.equal(run.cases.length, manifest.length);
    for (const r of run.cases) assert.equal(r.bug.error, undefined, `${r.id}: ${r.bug.error}`);
  });

  test("every bug is detected at its own node, and nowhere else", () => {
    assert.deepEqual(run.cases.filter((r) => !r.detected || !r.rightNode).map((r) => `${r.id}: failing ${r.bug.failing.join(", ")}`), []);
  });

  test("each bug gets the kind the manifest expects (or accepts), with its region and factor", () => {
    const wrong = run.cases.map((r: CaseResult) => {
      const c = manifest.find((m) => m.id === r.id)!;
      const why = misjudged(c, { failing: r.bug.failing, suspect: r.bug.suspect, kind: r.bug.atNode?.status === "fail" ? r.bug.atNode.kind : undefined, region: r.bug.atNode?.region, factor: r.bug.atNode?.factor });
      return why && `${r.id}: ${why}`;
    }).filter(Boolean);
    assert.deepEqual(wrong, []);
  });

  test("at least three quarters of the bugs get a diagnosis other than plain mismatch", () => {
    assert.ok(run.totals.specific >= Math.ceil(0.75 * run.totals.cases), `${run.totals.specific} of ${run.totals.cases} specific`);
  });

  test("every corrected twin passes", () => {
    assert.deepEqual(run.cases.filter((r) => r.twin.failures.length).map((r) => `${r.id} (${JSON.stringify(r.twin.failures)})`), []);
  });
});

describe("the corpus in-process: fast mode, and the twins at --seed 0…9", () => {
  const loaded = new Map<string, { bug: LoadedNetwork; fixed: LoadedNetwork }>();
  before(async () => {
    for (const c of manifest)
      loaded.set(c.id, {
        bug: await loadNetworkFile(join("test/corpus", c.id, "bug.gradnet.ts")),
        fixed: await loadNetworkFile(join("test/corpus", c.id, "fixed.gradnet.ts")),
      });
  });

  test("fast mode: every bug at its own node, with the expected (or an accepted) kind — a failing node is checked again entry by entry", () => {
    const wrong: string[] = [];
    let specific = 0;
    for (const c of manifest) {
      const r = checkGraph(loaded.get(c.id)!.bug.graph, { mode: "fast" });
      const at = ofReport(r, c.node);
      const why = misjudged(c, at);
      if (why) wrong.push(`${c.id}: ${why}`);
      if (at.kind && at.kind !== "mismatch" && at.failing.every((id) => id === c.node)) specific++;
    }
    assert.deepEqual(wrong, []);
    assert.ok(specific >= Math.ceil(0.75 * manifest.length), `${specific} specific in fast mode`);
  });

  for (const mode of ["exhaustive", "fast"] as const) {
    test(`every twin passes at --seed 0…${SEEDS - 1} with no suspect entry (${mode})`, () => {
      const alarms: string[] = [];
      for (const c of manifest) {
        const { fixed } = loaded.get(c.id)!;
        for (let seed = 0; seed < SEEDS; seed++) {
          const r = checkGraph(fixed.rebuild!(seed), { mode, seed });
          const bad = [...r.nodes, ...r.gradients].filter((x) => x.status === "fail" || x.suspect).map((x) => ("id" in x ? x.id : x.name) + (x.suspect ? " (suspect)" : ""));
          if (!r.ok || bad.length) alarms.push(`${c.id} --seed ${seed}: ${bad.join(", ")}`);
        }
      }
      assert.deepEqual(alarms, []);
    });
  }
});
