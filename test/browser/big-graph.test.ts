/**
 * Big graphs in the panel's own bundle (the standalone page) in Debian's
 * chromium: a 100-node chain and 500-node networks drawn by the layered layout,
 * groups collapsed but the failing one, the failing node visible and
 * selectable, a collapsed group opened by a click and by the search box, Fit,
 * the direction toggle, and groups with hostile names. The render times are
 * printed and written to artifacts/graph-render.json; they are reported, not
 * asserted (speed is the bench's business).
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { cpus, loadavg } from "node:os";
import type { Page } from "playwright-core";
import { renderStandaloneHtml } from "../../src/cli/standalone.js";
import type { Report } from "../../src/shared/report.js";
import { launch, openPage, waitForGraph, writeArtifact, type Browser } from "./browser.js";
import { blocksReport, chain100Report, check, signTanh } from "./fixtures.js";

let browser: Browser;
const figures: Record<string, unknown>[] = [];
before(async () => {
  browser = await launch();
});
after(async () => {
  await browser?.close();
  writeArtifact("graph-render.json", JSON.stringify({ loadAverage1m: Number(loadavg()[0].toFixed(2)), cpus: cpus().length, figures }, null, 2) + "\n");
});

interface Rendered { nodes: number; ms: number; renderer: string; at: number }

async function open(report: Report, name: string) {
  const started = Date.now();
  const opened = await openPage(browser, renderStandaloneHtml(report), name);
  const rendered = (await waitForGraph(opened.page)) as Rendered;
  return { ...opened, rendered, wallMs: Date.now() - started };
}

/** Records and prints what a render took: in the page, and from the page's start to a drawn graph. */
function figure(name: string, report: Report, r: Rendered, wallMs: number, extra: Record<string, unknown> = {}) {
  const f = { graph: name, networkNodes: report.nodes.length, boxesDrawn: r.nodes, renderer: r.renderer, renderMs: r.ms, pageStartToRenderedMs: r.at, openToRenderedMs: wallMs, ...extra };
  figures.push(f);
  console.log(`graph ${name}: ${report.nodes.length} nodes, ${r.nodes} boxes drawn (${r.renderer}) in ${r.ms} ms; ` +
    `${r.at} ms from the page's start to the drawn graph (${wallMs} ms from opening the file); load average ${loadavg()[0].toFixed(2)}`);
}

const graphNode = (page: Page, id: string) => page.locator(`g.node[data-node-id="${id.replace(/["\\]/g, "\\$&")}"]`);
const groupBox = (page: Page, name: string) => page.locator(`g.node[data-group="${name.replace(/["\\]/g, "\\$&")}"]`);
const groupTitle = (page: Page, name: string) => page.locator(`[data-group-title="${name.replace(/["\\]/g, "\\$&")}"]`);

/** Whether the element's box lies inside the graph's viewport. */
async function inViewport(page: Page, selector: string): Promise<boolean> {
  return page.evaluate((sel) => {
    const el = document.querySelector(sel)!.getBoundingClientRect();
    const vp = document.querySelector(".graph-viewport")!.getBoundingClientRect();
    return el.width > 0 && el.left >= vp.left && el.right <= vp.right && el.top >= vp.top && el.bottom <= vp.bottom;
  }, selector);
}

const rerendered = async (page: Page) => {
  await page.evaluate(() => delete document.documentElement.dataset.rendered);
};

/** Tab to an element and press Enter, as a keyboard user does (it need not be in view). */
async function activate(page: Page, target: ReturnType<Page["locator"]>): Promise<void> {
  await target.focus();
  await page.keyboard.press("Enter");
}

describe("big graphs", () => {
  test("a 100-node chain: our layered drawing, top to bottom, each node a box; a re-render too", async () => {
    const report = chain100Report();
    const { page, rendered, wallMs, probe } = await open(report, "chain-100");
    assert.equal(rendered.renderer, "layered");
    assert.equal(rendered.nodes, 101);
    assert.equal(await page.locator("g.node").count(), 101);
    // Top to bottom: each node below the one before it.
    const ys = await page.$$eval("g.node[data-node-id]", (els) => els.map((e) => e.getBoundingClientRect().top));
    for (let i = 1; i < ys.length; i++) assert.ok(ys[i] > ys[i - 1], `node ${i} is below node ${i - 1}`);
    assert.equal(await page.getByRole("button", { name: "Lay out left to right" }).count(), 1, "the toggle offers the other direction");
    assert.ok(await inViewport(page, 'g.node[data-node-id="x"]'), "the chain opens at its start");
    await rerendered(page);
    await page.evaluate((r) => window.postMessage({ type: "report", report: r }, "*"), report);
    const again = (await waitForGraph(page)) as Rendered;
    figure("chain-100", report, rendered, wallMs, { rerenderMs: again.ms });
    assert.deepEqual([probe.pageErrors, probe.consoleErrors], [[], []]);
    writeArtifact("graph-100.png", await page.screenshot());
    await page.close();
  });

  test("500 nodes in 50 groups: groups collapsed but the failing one, whose failing node is selected and in view", async () => {
    const report = blocksReport(50, 10, 20);
    assert.equal(report.nodes.length, 501);
    const failing = report.nodes.filter((n) => n.status === "fail").map((n) => n.id);
    assert.deepEqual(failing, ["b21_act1"]);
    const { page, rendered, wallMs, probe } = await open(report, "blocks-500");
    figure("blocks-500 (50 groups)", report, rendered, wallMs);
    assert.equal(rendered.renderer, "layered");
    // The input, 49 collapsed groups, block21's 10 nodes and the loss.
    assert.equal(rendered.nodes, 1 + 49 + 10 + 1);
    assert.equal(await page.locator("g.node.group-box.collapsed").count(), 49);
    assert.equal(await groupBox(page, "block21").count(), 0, "the failing group is open");
    assert.equal(await groupTitle(page, "block21").count(), 1);
    // The failing node: drawn, selected (the worst failure is), in view, its detail shown.
    assert.match((await graphNode(page, "b21_act1").getAttribute("class"))!, /\bfail\b.*\bselected\b|\bselected\b.*\bfail\b/);
    assert.ok(await inViewport(page, 'g.node[data-node-id="b21_act1"]'), "the failing node is in view");
    assert.equal(await page.locator(".detail").getAttribute("data-node"), "b21_act1");
    // A collapsed group is a box of the worst status of its members: block22 passes.
    assert.match((await groupBox(page, "block22").getAttribute("class"))!, /\bpass\b/);
    // And selectable: a click on another node shows its detail.
    await graphNode(page, "b21_fc2").click();
    await page.locator('.detail[data-node="b21_fc2"]').waitFor();
    assert.deepEqual([probe.pageErrors, probe.consoleErrors], [[], []]);
    writeArtifact("graph-500-groups.png", await page.screenshot());
    await page.close();
  });

  test("500 nodes in one chain, no groups: every node drawn, the failing one selected, in view and selectable", async () => {
    const report = blocksReport(50, 10, 20, false);
    const { page, rendered, wallMs } = await open(report, "chain-500");
    figure("chain-500 (no groups)", report, rendered, wallMs);
    assert.equal(rendered.nodes, 502);
    assert.equal(await page.locator("g.node").count(), 502);
    assert.match((await graphNode(page, "b21_act1").getAttribute("class"))!, /\bselected\b/);
    assert.ok(await inViewport(page, 'g.node[data-node-id="b21_act1"]'), "the failing node is in view");
    await graphNode(page, "b21_act3").click();
    await page.locator('.detail[data-node="b21_act3"]').waitFor();
    writeArtifact("graph-500-chain.png", await page.screenshot());
    await page.close();
  });

  test("a click on a collapsed group opens it; a click on an open group's title collapses it", async () => {
    const { page } = await open(blocksReport(50, 10, 20), "toggle");
    await rerendered(page);
    // With the mouse: the whole graph in view first (Fit), then a click on block3's box.
    await page.getByRole("button", { name: "Fit the graph" }).click();
    await groupBox(page, "block3").click();
    let drawn = (await waitForGraph(page)) as Rendered;
    assert.equal(drawn.nodes, 1 + 48 + 20 + 1);
    assert.equal(await graphNode(page, "b3_act1").count(), 1);
    assert.ok(await inViewport(page, '[data-group-title="block3"]'), "the opened group is in view");
    await rerendered(page);
    await activate(page, groupTitle(page, "block3"));
    drawn = (await waitForGraph(page)) as Rendered;
    assert.equal(drawn.nodes, 1 + 49 + 10 + 1);
    assert.equal(await groupBox(page, "block3").count(), 1);
    // Collapse all, expand all.
    await rerendered(page);
    await page.getByRole("button", { name: "Collapse all groups" }).click();
    assert.equal(((await waitForGraph(page)) as Rendered).nodes, 1 + 50 + 1);
    await rerendered(page);
    await page.getByRole("button", { name: "Expand all groups" }).click();
    assert.equal(((await waitForGraph(page)) as Rendered).nodes, 502);
    await page.close();
  });

  test("the search box finds a node by id or op, and Enter opens its collapsed group and selects it", async () => {
    const { page } = await open(blocksReport(50, 10, 20), "search");
    const search = page.getByRole("searchbox", { name: "Find a node by id or op" });
    await search.fill("b37_fc4");
    assert.equal(await page.locator(".graph-search-info").textContent(), "1 match");
    await rerendered(page);
    await search.press("Enter");
    await waitForGraph(page);
    await page.locator('.detail[data-node="b37_fc4"]').waitFor();
    assert.match((await graphNode(page, "b37_fc4").getAttribute("class"))!, /\bselected\b/);
    assert.ok(await inViewport(page, 'g.node[data-node-id="b37_fc4"]'), "the found node is in view");
    assert.equal(await groupTitle(page, "block37").count(), 1, "its group opened");
    // By op: the one signTanh; a word that matches nothing says so.
    await search.fill("signtanh");
    assert.equal(await page.locator(".graph-search-info").textContent(), "1 match");
    await search.fill("no such node");
    assert.equal(await page.locator(".graph-search-info").textContent(), "no match");
    await search.fill("_out");
    assert.equal(await page.locator(".graph-search-info").textContent(), "50 matches");
    await search.press("Enter");
    await page.locator('.detail[data-node="b1_out"]').waitFor();
    assert.equal(await page.locator(".graph-search-info").textContent(), "1 of 50");
    await page.close();
  });

  test("Fit shows the whole graph; the direction toggle lays it out left to right", async () => {
    const { page } = await open(chain100Report(), "fit");
    await page.getByRole("button", { name: "Fit the graph" }).click();
    const vp = (await page.locator(".graph-viewport").boundingBox())!;
    const svg = (await page.locator(".graph-canvas svg").boundingBox())!;
    assert.ok(svg.y >= vp.y - 1 && svg.y + svg.height <= vp.y + vp.height + 1 && svg.x >= vp.x - 1 && svg.x + svg.width <= vp.x + vp.width + 1, `${JSON.stringify([vp, svg])}`);
    await rerendered(page);
    await page.getByRole("button", { name: "Lay out left to right" }).click();
    await waitForGraph(page);
    const xs = await page.$$eval("g.node[data-node-id]", (els) => els.slice(0, 10).map((e) => e.getBoundingClientRect().left));
    for (let i = 1; i < xs.length; i++) assert.ok(xs[i] > xs[i - 1], "left to right now");
    assert.equal(await page.getByRole("button", { name: "Lay out top to bottom" }).count(), 1);
    await page.close();
  });

  test("a small network's groups are Mermaid subgraphs: a click on the title collapses one into a box, a click on the box opens it", async () => {
    const report = blocksReport(3, 4, 1);
    const { page, rendered } = await open(report, "small-groups");
    assert.equal(rendered.renderer, "mermaid");
    assert.equal(await page.locator("g.cluster[data-group]").count(), 3);
    await rerendered(page);
    await page.getByRole("button", { name: "Fit the graph" }).click();
    await groupTitle(page, "block1").click();
    const drawn = (await waitForGraph(page)) as Rendered;
    assert.equal(drawn.nodes, report.inputs.length + report.nodes.length - 4 + 1);
    assert.equal(await groupBox(page, "block1").count(), 1);
    assert.match((await groupBox(page, "block1").textContent())!, /block1.*4 nodes, collapsed/);
    await rerendered(page);
    await activate(page, groupBox(page, "block1"));
    assert.equal(((await waitForGraph(page)) as Rendered).nodes, report.inputs.length + report.nodes.length);
    await page.close();
  });
});

describe("groups with hostile names", () => {
  const names = ['"]; end; click n call alert()', "<img src=x onerror=__pwned=1>", "%%{init: {\"securityLevel\": \"loose\"}}%%", "<script>__pwned=2</script>"];

  /** `perGroup` nodes in each hostile group (tanh, the second with the wrong sign in the first group), then a sum. */
  function hostileGroups(perGroup: number): Report {
    const nodes: Parameters<typeof check>[0]["nodes"] = [];
    let previous = "x";
    names.forEach((group, g) => {
      for (let k = 0; k < perGroup; k++) {
        const id = `g${g}n${k}`;
        nodes.push({ id, op: g === 0 && k === 1 ? signTanh : "tanh", inputs: [previous], group });
        previous = id;
      }
    });
    nodes.push({ id: "loss", op: "sum", inputs: [previous] });
    return check({ name: "hostile-groups", inputs: { x: { shape: [2, 2] } }, nodes }, {}, { mode: "fast" });
  }

  for (const [label, perGroup] of [["Mermaid's drawing", 2], ["the layered drawing", 20]] as const) {
    test(`${label}: each name shows literally, runs nothing, and its group still opens and closes`, async () => {
      const report = hostileGroups(perGroup);
      const { page, probe, rendered } = await open(report, `hostile-groups-${perGroup}`);
      assert.equal(rendered.renderer, perGroup === 2 ? "mermaid" : "layered");
      const text = await page.locator(".graph-canvas").textContent();
      const closed = perGroup === 2 ? [] : names.slice(1);
      for (const name of names) assert.ok(text!.includes(name), `${JSON.stringify(name)} not shown literally`);
      for (const name of closed) assert.equal(await groupBox(page, name).count(), 1, `${name} is collapsed`);
      // Toggle a hostile-named group both ways.
      const name = names[1];
      await rerendered(page);
      await activate(page, closed.includes(name) ? groupBox(page, name) : groupTitle(page, name));
      await waitForGraph(page);
      assert.equal(await groupBox(page, name).count(), closed.includes(name) ? 0 : 1);
      const globals = await page.evaluate(() => {
        const w = window as unknown as { __pwned?: unknown; __alerts: string[]; __violations: string[] };
        return { pwned: w.__pwned ?? null, alerts: w.__alerts, violations: w.__violations, imgs: document.querySelectorAll("img").length, links: document.querySelectorAll("g.node a, svg [onclick], svg [onerror]").length };
      });
      assert.deepEqual(globals, { pwned: null, alerts: [], violations: [], imgs: 0, links: 0 });
      assert.deepEqual([probe.alerts, probe.pageErrors, probe.consoleErrors], [[], [], []]);
      writeArtifact(`hostile-groups-${perGroup}.png`, await page.screenshot());
      await page.close();
    });
  }
});
