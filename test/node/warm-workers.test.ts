// The editor's warm worker threads (src/worker/client.ts WarmWorkers), real
// threads running dist/worker.js: a second check reuses the thread and the
// bundle of unchanged files, a changed module is bundled again, Cancel and the
// time limit terminate the thread and a fresh one takes its place, user code
// that leaves a timer or replaces a standard function retires its thread, and
// each task sees the environment of the moment it was sent.
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { runInWorker, WarmWorkers, WorkerThread } from "../../src/worker/client.js";
import type { WorkerResult } from "../../src/worker/protocol.js";

const root = join(import.meta.dirname, "..", "..");
const workerPath = join(root, "dist", "worker.js");
const dir = mkdtempSync(join(tmpdir(), "gradlens-warm-"));
after(() => rmSync(dir, { recursive: true, force: true }));

const report = (r: WorkerResult) => {
  assert.equal(r.kind, "report", JSON.stringify(r).slice(0, 500));
  return (r as Extract<WorkerResult, { kind: "report" }>).report;
};

/** A .gradnet.ts network whose custom op lives in ./layer.ts; `scale` multiplies its backward (1: right). */
function writeNetwork(name: string, scale: number): string {
  writeFileSync(join(dir, "layer.ts"), `import { defineOp, map, mul } from "gradlens";
export const square = defineOp({
  name: "square",
  forward: ({ inputs: [x] }) => map(x, (v) => v * v),
  backward: ({ inputs: [x], gradOutput: g }) => ({ inputs: [mul(g, map(x, (v) => ${scale} * 2 * v))] }),
});
`);
  const file = join(dir, `${name}.gradnet.ts`);
  writeFileSync(file, `import { network } from "gradlens";
import { square } from "./layer";
export default network({ inputs: { x: { shape: [2, 3] } }, nodes: [{ id: "sq", op: square }, { id: "loss", op: "sum" }] });
`);
  return file;
}

describe("warm worker threads", { skip: existsSync(workerPath) ? false : "dist/worker.js is not built" }, () => {
  test("a second check of a JSON network runs in the same thread, with the same report as a thread of its own", async () => {
    const warm = new WarmWorkers({ workerPath });
    try {
      warm.prestart();
      const file = join(root, "examples", "seed-mlp.gradnet.json");
      const first = report(await warm.run({ task: "check", file }));
      const second = report(await warm.run({ task: "check", file }));
      const alone = report(await runInWorker({ task: "check", file }, { workerPath }));
      const numbers = (r: typeof first) => JSON.stringify({ nodes: r.nodes, gradients: r.gradients, loss: r.loss });
      assert.equal(numbers(first), numbers(alone));
      assert.equal(numbers(second), numbers(alone));
      assert.deepEqual({ started: warm.stats.started, reused: warm.stats.reused, retired: warm.stats.retired }, { started: 1, reused: 1, retired: [] });
    } finally {
      warm.dispose();
    }
  });

  test("a .gradnet.ts: unchanged files reuse the bundle; a changed module is bundled again and its change is seen; sources name both files", async () => {
    const warm = new WarmWorkers({ workerPath });
    try {
      const file = writeNetwork("square", 1);
      const sources: string[][] = [];
      const onLoaded = (info: { sources: string[] }) => sources.push([...info.sources].sort());
      assert.equal(report(await warm.run({ task: "check", file, allowUserCode: true }, { onLoaded })).ok, true);
      assert.equal(report(await warm.run({ task: "check", file, allowUserCode: true }, { onLoaded })).ok, true);
      assert.deepEqual([warm.stats.bundlesBuilt, warm.stats.bundlesReused], [1, 1], "the second check reused the bundle");
      writeNetwork("square", 3);   // the backward of ./layer.ts is now wrong by a factor 3
      const wrong = report(await warm.run({ task: "check", file, allowUserCode: true }, { onLoaded }));
      assert.equal(wrong.ok, false);
      assert.equal(wrong.nodes.find((n) => n.id === "sq")?.diagnosis?.kind, "scale");
      assert.deepEqual([warm.stats.bundlesBuilt, warm.stats.started, warm.stats.reused], [2, 1, 2]);
      for (const s of sources) assert.deepEqual(s, [join(dir, "layer.ts"), file].sort());
    } finally {
      warm.dispose();
    }
  });

  test("the time limit and Cancel terminate the thread; a fresh one runs the next check", async () => {
    const warm = new WarmWorkers({ workerPath });
    try {
      const hang = join(root, "test", "fixtures", "ts", "hang-in-forward.gradnet.ts");
      assert.deepEqual(await warm.run({ task: "check", file: hang, allowUserCode: true }, { timeoutMs: 1000 }), { kind: "timeout", seconds: 1 });
      const abort = new AbortController();
      const cancelled = warm.run({ task: "check", file: hang, allowUserCode: true }, { timeoutMs: 600_000, signal: abort.signal });
      setTimeout(() => abort.abort(), 1500);
      assert.deepEqual(await cancelled, { kind: "cancelled" });
      assert.deepEqual(warm.stats.retired, ["stopped by the time limit", "stopped by Cancel"]);
      assert.equal(report(await warm.run({ task: "check", file: join(root, "examples", "regression.gradnet.json") })).ok, true);
      assert.equal(warm.snapshot().busy, 0);
    } finally {
      warm.dispose();
    }
  });

  test("user code that leaves a timer running or replaces Math.exp retires its thread; a clean network does not", async () => {
    const warm = new WarmWorkers({ workerPath });
    try {
      const layer = (name: string, topLevel: string) => {
        const file = join(dir, `${name}.gradnet.ts`);
        writeFileSync(file, `import { defineOp, map, mul, network } from "gradlens";
${topLevel}
const twice = defineOp({ name: "twice", forward: ({ inputs: [x] }) => map(x, (v) => 2 * v), backward: ({ gradOutput: g }) => ({ inputs: [map(g, (v) => 2 * v)] }) });
export default network({ inputs: { x: { shape: [2, 2] } }, nodes: [{ id: "t", op: twice }, { id: "loss", op: "sum" }] });
void mul;
`);
        return file;
      };
      // The first check starts esbuild in the thread; from then on its handles are counted.
      assert.equal(report(await warm.run({ task: "check", file: layer("clean", ""), allowUserCode: true })).ok, true);
      assert.equal(report(await warm.run({ task: "check", file: layer("clean", ""), allowUserCode: true })).ok, true);
      assert.deepEqual(warm.stats.retired, []);
      assert.equal(report(await warm.run({ task: "check", file: layer("timer", "setInterval(() => {}, 60_000);"), allowUserCode: true })).ok, true);
      assert.equal(warm.stats.retired.length, 1);
      assert.match(warm.stats.retired[0], /left 1 Timeout handle\(s\) active/);
      assert.equal(report(await warm.run({ task: "check", file: layer("patch", "Math.exp = (x: number) => 1 + x;"), allowUserCode: true })).ok, true);
      assert.deepEqual(warm.stats.retired.slice(1), ["the network's code replaced Math.exp"]);
      // Each retired thread was replaced: the next check runs in a clean one.
      const seed = report(await warm.run({ task: "check", file: join(root, "examples", "seed-mlp.gradnet.json") }));
      assert.equal(seed.ok, true);
      assert.equal(warm.stats.retired.length, 2);
    } finally {
      warm.dispose();
    }
  });

  test("a task sees the environment of the moment it was sent, not the one its thread started with", async () => {
    const warm = new WarmWorkers({ workerPath });
    const marker = join(dir, "env-marker.txt");
    const file = join(dir, "env.gradnet.ts");
    writeFileSync(file, `import { network } from "gradlens";
import { writeFileSync } from "node:fs";
writeFileSync(${JSON.stringify(marker)}, process.env.GRADLENS_WARM_TEST ?? "(unset)");
export default network({ inputs: { x: { shape: [2] } }, nodes: [{ id: "loss", op: "sum" }] });
`);
    try {
      warm.prestart();
      await new Promise((r) => setTimeout(r, 200));
      process.env.GRADLENS_WARM_TEST = "set after the thread started";
      report(await warm.run({ task: "check", file, allowUserCode: true }));
      assert.equal(readFileSync(marker, "utf8"), "set after the thread started");
      delete process.env.GRADLENS_WARM_TEST;
      report(await warm.run({ task: "check", file, allowUserCode: true }));
      assert.equal(readFileSync(marker, "utf8"), "(unset)");
      assert.equal(warm.stats.started, 1);
    } finally {
      delete process.env.GRADLENS_WARM_TEST;
      warm.dispose();
    }
  });

  test("the CLI's thread: started before its task, terminated with it", async () => {
    const thread = new WorkerThread({ workerPath }).start();
    const result = await runInWorker({ task: "graph", file: join(root, "examples", "seed-mlp.gradnet.json") }, { thread });
    assert.equal(result.kind, "graph");
    assert.equal(thread.alive, false);
  });
});
