/**
 * The teaching views of the panel in Debian's chromium, on standalone pages
 * carrying their lesson (what `gradlens check FILE --html OUT` writes): values
 * and dL/d on the nodes, the Explain view for a clicked gradient entry or
 * heatmap cell, the Descent and Step size charts (axes, ticks, legend) in light
 * and dark. The README's screenshots of these views are made here (docs/teach-*.png).
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import type { Page } from "playwright-core";
import "../../src/config/typescript-support.js";
import { loadNetworkFile } from "../../src/config/load.js";
import { buildGraph } from "../../src/engine/graph.js";
import { checkGraph } from "../../src/engine/check.js";
import { lessonOf } from "../../src/engine/teach/lesson.js";
import { renderStandaloneHtml } from "../../src/cli/standalone.js";
import type { Report } from "../../src/shared/report.js";
import type { Lesson } from "../../src/shared/teach.js";
import { nodeSummary } from "../../webview/values-view.js";
import { fmt } from "../../webview/format.js";
import { launch, openPage, root, waitForGraph, writeArtifact, type Browser } from "./browser.js";
import { hostileIds, signTanh } from "./fixtures.js";
import { writeFileSync } from "node:fs";

let browser: Browser;
before(async () => {
  browser = await launch();
});
after(async () => {
  await browser?.close();
});

interface Lecture {
  report: Report;
  lesson: Lesson;
}

async function lectureOf(file: string): Promise<Lecture> {
  const { graph } = await loadNetworkFile(join(root, file));
  const report = checkGraph(graph, {});
  return { report, lesson: lessonOf(graph, report) };
}

const lecture = lectureOf("examples/seed-mlp.gradnet.json");
const buggy = lectureOf("examples/buggy/softmax-diagonal.gradnet.ts");

async function open(l: Lecture, name: string, scheme?: "light" | "dark") {
  const opened = await openPage(browser, renderStandaloneHtml(l.report, l.lesson), name);
  if (scheme) {
    await opened.page.emulateMedia({ colorScheme: scheme });
    await opened.page.reload();
  }
  await waitForGraph(opened.page);
  return opened;
}

const graphNode = (page: Page, id: string) => page.locator(`g.node[data-node-id="${id.replace(/["\\]/g, "\\$&")}"]`);
const clean = async (page: Page, probe: { pageErrors: string[]; consoleErrors: string[] }) =>
  assert.deepEqual([probe.pageErrors, probe.consoleErrors, await page.evaluate(() => (window as unknown as { __violations: string[] }).__violations)], [[], [], []]);

/** Toggle the node summaries and wait for the graph drawn again with them. */
async function showSummaries(page: Page): Promise<void> {
  await page.evaluate(() => delete document.documentElement.dataset.rendered);
  await page.locator(".summary-toggle").check();
  await waitForGraph(page);
}

/** Click the centre of cell (r, c) of a heatmap canvas with `rows` × `cols` cells. */
async function clickCell(page: Page, selector: string, at: { r: number; c: number; rows: number; cols: number }): Promise<void> {
  const canvas = page.locator(selector).first();
  await canvas.scrollIntoViewIfNeeded();
  const box = (await canvas.boundingBox())!;
  await canvas.click({ position: { x: ((at.c + 0.5) * box.width) / at.cols, y: ((at.r + 0.5) * box.height) / at.rows } });
}

describe("values and gradients on the graph", () => {
  test("the toggle puts each node's value and upstream gradient on its label: ✗ at fc, whose dL/dl is wrong, ✓ at p and the loss", async () => {
    const l = await buggy;
    const { page, probe } = await open(l, "summaries");
    assert.doesNotMatch((await graphNode(page, "fc").textContent())!, /dL\/d/);
    await showSummaries(page);
    for (const n of l.lesson.values!.nodes) {
      const text = (await graphNode(page, n.id).textContent())!.replace(/\s+/g, " ");
      assert.ok(text.includes(nodeSummary(n)), `${n.id}: ${text} lacks ${nodeSummary(n)}`);
    }
    assert.match((await graphNode(page, "fc").textContent())!, /✗/);
    assert.match((await graphNode(page, "p").textContent())!, /✓/);
    assert.match((await graphNode(page, "loss").textContent())!, /dL\/d 1 ✓/);
    // Off again: the plain labels.
    await page.evaluate(() => delete document.documentElement.dataset.rendered);
    await page.locator(".summary-toggle").uncheck();
    await waitForGraph(page);
    assert.doesNotMatch((await graphNode(page, "fc").textContent())!, /dL\/d/);
    await clean(page, probe);
    await page.close();
  });

  test("a selected node shows its forward value and dL/d(node), analytic beside numeric, and its parameters' dL/dθ", async () => {
    const l = await buggy;
    const { page, probe } = await open(l, "node-values");
    await graphNode(page, "fc").click();
    const section = page.locator('.node-values[data-node="fc"]');
    await section.waitFor();
    assert.match((await section.locator("h3").first().textContent())!, /dL\/dfc analytic ≠ numeric/);
    assert.equal(await section.locator('.heatmaps[data-tensor="fc"] canvas').count(), 1);
    assert.equal(await section.locator('.heatmaps[data-tensor="dL/dfc"] canvas').count(), 3);
    assert.equal(await section.locator('.gradient-values[data-name="fc.W"] canvas').count(), 3);
    assert.equal(await section.locator('.gradient-values[data-name="fc.b"] canvas').count(), 3);
    await graphNode(page, "p").click();
    assert.match((await page.locator('.node-values[data-node="p"] h3').first().textContent())!, /dL\/dp analytic = numeric/);
    // Hover names the entry and both values.
    await page.locator('.node-values[data-node="p"] .heatmaps[data-tensor="dL/dp"] canvas').first().hover({ position: { x: 2, y: 2 } });
    const p = l.lesson.values!.nodes.find((n) => n.id === "p")!;
    assert.equal(await page.locator('.node-values[data-node="p"] .heatmaps[data-tensor="dL/dp"] .heat-info').textContent(),
      `dL/dp[0, 0]: analytic ${fmt(p.upstreamAnalytic[0])}, numeric ${fmt(p.upstreamNumeric[0])}, difference ${fmt(p.upstreamAnalytic[0] - p.upstreamNumeric[0])}`);
    await clean(page, probe);
    await page.close();
  });
});

describe("the Explain view", () => {
  test("a click on a worst entry of a gradient explains it: three factors from the loss down, the departure at p, the lecture's identity", async () => {
    const l = await buggy;
    const { page, probe } = await open(l, "explain-row");
    await graphNode(page, "fc").click();
    const row = page.locator('.detail[data-node="fc"] .gradient table.worst.explainable tbody tr').first();
    const index = (await row.getAttribute("data-index"))!.split(",").map(Number);
    const grad = l.report.gradients.find((g) => g.name === "fc.W" || g.name === "fc.b")!;
    await row.click();
    const entry = `${grad.name}[${index.join(", ")}]`;
    const view = page.locator(`.explanation[data-entry="${entry}"]`);
    await view.waitFor();
    assert.equal(await page.locator('button[data-tab="explain"]').getAttribute("aria-selected"), "true");
    assert.equal(await page.evaluate(() => document.documentElement.dataset.shown), `explain:${grad.name}[${index.join(",")}]`);
    const e = l.lesson.explanations![entry];
    assert.deepEqual(await view.locator("li.chain-step").evaluateAll((li) => li.map((x) => (x as HTMLElement).dataset.node)), ["loss", "p", "fc"]);
    assert.equal(await view.locator("li.chain-step.departure").getAttribute("data-node"), "p");
    assert.match((await view.locator("li.chain-step.departure").textContent())!, /first departure — the bug is here/);
    assert.match((await view.locator(".chain").textContent())!, new RegExp(`dL/d${entry.replace(/[[\]().]/g, "\\$&")} = ∂L/∂p · ∂p/∂fc · ∂fc/∂`));
    assert.equal(await view.locator(".totals").textContent(), `Total: analytic ${fmt(e.analytic)}, numeric ${fmt(e.numeric)} — they disagree`);
    assert.match((await view.locator(".identity").textContent())!, /The lecture's identity: .*\(1\/B\) Σ_b \(p\[b,\d\] − y\[b,\d\]\).*✓ the numeric value/);
    assert.match((await view.locator(".departure-note").textContent())!, /First departure: p/);
    // The departing factor's wrong entries are marked.
    assert.ok(await view.locator('li.chain-step[data-node="p"] table.pairs tr.wrong').count() > 0);
    await clean(page, probe);
    await page.close();
  });

  test("a click on a heatmap cell of dL/dfc.W explains that entry; on the lecture's network nothing departs", async () => {
    const l = await lecture;
    const { page, probe } = await open(l, "explain-cell");
    await graphNode(page, "fc").click();
    await clickCell(page, '.gradient-values[data-name="fc.W"] canvas', { r: 1, c: 0, rows: 3, cols: 3 });
    const view = page.locator('.explanation[data-entry="fc.W[1, 0]"]');
    await view.waitFor();
    assert.equal(await view.locator("li.chain-step.departure").count(), 0);
    assert.match((await view.locator("h3").textContent())!, /agree$/);
    const e = l.lesson.explanations!["fc.W[1, 0]"];
    assert.match((await view.locator(".identity").textContent())!, new RegExp(`= ${fmt(e.identity!.value).replace(/[.-]/g, "\\$&")} ✓ the numeric value`));
    // A Jacobian cell of ∂fc/∂W explains its column: W[2, 1] is column 7.
    await page.locator('button[data-tab="details"]').click();
    await clickCell(page, '.detail[data-node="fc"] .jacobian[data-wrt="W"] canvas.heatmap', { r: 0, c: 7, rows: 12, cols: 9 });
    await page.locator('.explanation[data-entry="fc.W[2, 1]"]').waitFor();
    await clean(page, probe);
    writeArtifact("teach-explain-lecture.png", await page.screenshot({ fullPage: true }));
    await page.close();
  });

  test("an entry the page was written without: what to run instead", async () => {
    const l = await lecture;
    const { page } = await open({ report: l.report, lesson: { ...l.lesson, explanations: {} } }, "explain-missing");
    await graphNode(page, "fc").click();
    await clickCell(page, '.gradient-values[data-name="fc.W"] canvas', { r: 0, c: 0, rows: 3, cols: 3 });
    assert.match((await page.locator(".pane-explain .teach-error").textContent())!, /gradlens explain FILE 'fc\.W\[0,0\]'/);
    await page.close();
  });
});

/** The chart's parts: axes, tick labels per axis, legend rows, series and their points. */
async function chartParts(page: Page, selector: string) {
  return page.locator(`${selector} svg.chart`).evaluate((svg) => ({
    title: svg.querySelector(".chart-title")?.textContent,
    axes: svg.querySelectorAll("line.x-axis, line.y-axis").length,
    labels: [...svg.querySelectorAll(".axis-label")].map((t) => t.textContent),
    ticks: svg.querySelectorAll("text.tick-label").length,
    legend: [...svg.querySelectorAll(".legend-row text")].map((t) => t.textContent),
    series: [...svg.querySelectorAll("g.series[data-series]")].map((g) => ({ name: (g as SVGGElement).dataset.series, points: g.querySelectorAll("circle.dot").length, d: g.querySelector("path.line")?.getAttribute("d")?.length ?? 0 })),
    stroke: getComputedStyle(svg.querySelector("g.series[data-series] path.line")!).stroke,
    text: getComputedStyle(svg.querySelector("text.tick-label")!).fill,
    background: getComputedStyle(document.body).backgroundColor,
  }));
}

/** WCAG contrast ratio of two rgb() colours. */
function contrast(a: string, b: string): number {
  const lum = (c: string) => {
    const [r, g, bl] = c.match(/\d+(\.\d+)?/g)!.slice(0, 3).map((v) => Number(v) / 255).map((v) => (v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4));
    return 0.2126 * r + 0.7152 * g + 0.0722 * bl;
  };
  const [x, y] = [lum(a), lum(b)].sort((p, q) => q - p);
  return (x + 0.05) / (y + 0.05);
}

describe("the Descent and Step size charts, light and dark", () => {
  for (const scheme of ["light", "dark"] as const) {
    test(`descent (${scheme}): two curves, axes with ticks, a legend; they part on the buggy softmax`, async () => {
      const l = await buggy;
      const { page, probe } = await open(l, `descent-${scheme}`, scheme);
      await page.locator('button[data-tab="descent"]').click();
      await page.locator(".plot.descent svg.chart").waitFor();
      const parts = await chartParts(page, ".plot.descent");
      assert.equal(parts.axes, 2);
      assert.deepEqual(parts.labels, ["step", "loss L"]);
      assert.ok(parts.ticks >= 8, `${parts.ticks} tick labels`);
      assert.deepEqual(parts.legend, ["analytic gradient (backprop)", "numeric gradient (finite differences)", "the curves part (step 1)"]);
      assert.deepEqual(parts.series.map((s) => [s.name, s.points]), [["analytic gradient (backprop)", 21], ["numeric gradient (finite differences)", 21]]);
      assert.ok(parts.series.every((s) => s.d > 100));
      assert.ok(contrast(parts.stroke, parts.background) >= 3, `curve ${parts.stroke} on ${parts.background}`);
      assert.ok(contrast(parts.text, parts.background) >= 4.5, `text ${parts.text} on ${parts.background}`);
      assert.equal(await page.locator(".plot.descent").getAttribute("data-agree"), "false");
      assert.equal(await page.locator(".plot.descent .sentence").textContent(), `They part. ${l.lesson.descent!.sentence}`);
      await clean(page, probe);
      writeArtifact(`teach-descent-${scheme}.png`, await page.screenshot({ fullPage: true }));
      if (scheme === "light") await shoot(page, ".pane-descent", "teach-descent.png");
      await page.close();
    });

    test(`step size (${scheme}): the V of a correct node, the floor of the buggy p, on log-log axes`, async () => {
      const ok = await lecture, bad = await buggy;
      for (const [l, verdict, name] of [[ok, "v", "lecture"], [bad, "floor", "buggy"]] as const) {
        const { page, probe } = await open(l, `sweep-${name}-${scheme}`, scheme);
        await graphNode(page, "p").click();
        await page.locator('button[data-tab="sweep"]').click();
        const plot = page.locator('.plot.sweep[data-node="p"]');
        await plot.waitFor();
        assert.equal(await plot.getAttribute("data-verdict"), verdict);
        const parts = await chartParts(page, ".plot.sweep");
        assert.deepEqual(parts.labels, ["step h", "error |a − n(h)|"]);
        assert.ok(parts.ticks >= 10, `${parts.ticks} tick labels`);
        assert.deepEqual(parts.series.map((s) => [s.name, s.points]), [["worst-entry error", 23]]);
        assert.equal(parts.legend.length, verdict === "v" ? 3 : 2);
        assert.ok(contrast(parts.stroke, parts.background) >= 3, `curve ${parts.stroke} on ${parts.background}`);
        const sweep = l.lesson.sweeps!.find((s) => s.node === "p")!;
        assert.equal(await plot.locator(".sentence").textContent(), sweep.sentence);
        assert.ok((await page.locator(".plot.sweep text.tick-label").allTextContents()).includes("1e-12"));
        // Another node: the plot follows the selection.
        await graphNode(page, "fc").click();
        await page.locator('.plot.sweep[data-node="fc"][data-verdict="rounding-only"]').waitFor();
        await graphNode(page, "p").click();
        await plot.waitFor();
        await clean(page, probe);
        if (scheme === "light") await shoot(page, ".pane-sweep", `teach-step-size-${name}.png`);
        else writeArtifact(`teach-step-size-${name}-dark.png`, await page.screenshot({ fullPage: true }));
        await page.close();
      }
    });
  }

  test("the README's screenshots of the graph with values and of an explanation", async () => {
    const { page } = await open(await buggy, "readme-shots");
    await showSummaries(page);
    await graphNode(page, "fc").click();
    await page.locator('.node-values[data-node="fc"]').waitFor();
    await shoot(page, ".graph-pane", "teach-values.png");
    await page.locator('.detail[data-node="fc"] .gradient table.worst.explainable tbody tr').first().click();
    await page.locator(".explanation").waitFor();
    await shoot(page, ".pane-explain", "teach-explain.png");
    await page.close();
  });
});

describe("hostile names in the teaching views", () => {
  test("ids that are HTML and Mermaid syntax show literally on the node summaries and in an explanation", async () => {
    const spec = {
      name: "hostile-teach", seed: 3,
      inputs: { [hostileIds.input]: { shape: [2, 3] } },
      nodes: [
        { id: hostileIds.img, op: "linear", units: 3 },
        { id: hostileIds.script, op: signTanh },
        { id: hostileIds.loss, op: "sum" },
      ],
    };
    const graph = buildGraph(spec as never);
    const report = checkGraph(graph, {});
    const l = { report, lesson: lessonOf(graph, report) };
    const { page, probe } = await open(l, "hostile-teach");
    await showSummaries(page);
    await graphNode(page, hostileIds.img).click();
    await page.locator(".gradient-values canvas").first().waitFor();
    await clickCell(page, ".gradient-values canvas", { r: 0, c: 0, rows: 3, cols: 3 });
    const view = page.locator(".explanation");
    await view.waitFor();
    assert.ok((await view.textContent())!.includes(hostileIds.script));
    const globals = await page.evaluate(() => {
      const w = window as unknown as { __pwned?: unknown; __alerts: string[] };
      return { pwned: w.__pwned ?? null, alerts: w.__alerts, imgs: document.querySelectorAll("img").length };
    });
    assert.deepEqual(globals, { pwned: null, alerts: [], imgs: 0 });
    await clean(page, probe);
    await page.close();
  });
});

/** A screenshot of one part of the page into docs/ (the README shows it). */
async function shoot(page: Page, selector: string, name: string): Promise<void> {
  await page.evaluate(() => window.scrollTo(0, 0));
  const shot = await page.locator(selector).first().screenshot();
  writeFileSync(join(root, "docs", name), shot);
  writeArtifact(name, shot);
}
