// The corpus of real backward bugs (test/corpus, issue 9) stays usable as evidence: its manifest matches
// its files, every bug and every twin loads and runs through the real CLI (no exit 2), and every
// corrected twin passes — a twin that fails is a false alarm of GradLens or a wrong twin, and either
// would make the corpus's figures meaningless. Which diagnosis each bug gets is measured by
// `npm run corpus`; the kinds are asserted once the diagnoses of issue 9 exist.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { runCorpus, type CorpusRun } from "../../scripts/corpus.js";

describe("the corpus of real backward bugs (scripts/corpus.ts through the CLI)", () => {
  let run: CorpusRun;

  test("every case runs, bug and twin (exhaustive, the twin at --seed 0)", async () => {
    run = await runCorpus({ mode: "exhaustive", seeds: 1, jobs: 2 });
    assert.ok(run.cases.length >= 28, `${run.cases.length} cases`);
    for (const r of run.cases) assert.equal(r.bug.error, undefined, `${r.id}: ${r.bug.error}`);
  });

  test("every corrected twin passes: no false alarm", () => {
    const alarms = run.cases.filter((r) => r.twin.failures.length).map((r) => `${r.id} (${JSON.stringify(r.twin.failures)})`);
    assert.deepEqual(alarms, []);
  });

  test("a bug that GradLens fails fails at its own node or only end to end, never at a correct node alone", () => {
    // A failing check with the node at fault passing and another node failing would blame the wrong thing
    // in a way no case of the corpus does today (the wrong blames are "how gradients are combined").
    for (const r of run.cases) {
      if (r.bug.exit !== 1 || r.bug.failing.length === 0) continue;
      assert.ok(r.bug.failing.includes(r.node), `${r.id}: fails at ${r.bug.failing.join(", ")}, not at ${r.node}`);
    }
  });
});
