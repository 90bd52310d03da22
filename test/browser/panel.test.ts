/**
 * The standalone GradLens page (the same bundle as the VS Code panel) in Debian's
 * chromium: graph, selection, heatmaps, mismatch table, hostile names, CSP.
 * Big graphs, groups and search: big-graph.test.ts.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import type { Page } from "playwright-core";
import { renderStandaloneHtml, mediaDir } from "../../src/cli/standalone.js";
import { panelHtml } from "../../src/shared/page.js";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { statusStyles } from "../../src/shared/mermaid.js";
import type { Report } from "../../src/shared/report.js";
import { fmt } from "../../webview/format.js";
import { launch, openPage, waitForGraph, writeArtifact, type Browser } from "./browser.js";
import { buggyMlpReport, exampleFiles, exampleReport, hostileGroup, hostileIds, hostileReport, kinkReport, seedMlpReport } from "./fixtures.js";

let browser: Browser;
before(async () => {
  browser = await launch();
});
after(async () => {
  await browser?.close();
});

const buggy = buggyMlpReport();

async function open(report: Report, name: string) {
  const opened = await openPage(browser, renderStandaloneHtml(report), name);
  const rendered = await waitForGraph(opened.page);
  return { ...opened, rendered };
}

/** The SVG group of a graph node, by the user's id. */
const graphNode = (page: Page, id: string) => page.locator(`g.node[data-node-id="${cssEscape(id)}"]`);
const cssEscape = (s: string) => s.replace(/["\\]/g, "\\$&");

const rgb = (hex: string) => {
  const n = parseInt(hex.slice(1), 16);
  return `rgb(${(n >> 16) & 255}, ${(n >> 8) & 255}, ${n & 255})`;
};
const fillOf = (status: keyof typeof statusStyles) => rgb(/fill:(#[0-9a-f]{6})/.exec(statusStyles[status])![1]);

/** Distinct colours drawn on a canvas (a blank canvas has one). */
const canvasColours = (page: Page, selector: string) =>
  page.$$eval(selector, (canvases) => canvases.map((c) => {
    const canvas = c as HTMLCanvasElement;
    const data = canvas.getContext("2d")!.getImageData(0, 0, canvas.width, canvas.height).data;
    const seen = new Set<number>();
    for (let i = 0; i < data.length; i += 4) if (data[i + 3] > 0) seen.add((data[i] << 16) | (data[i + 1] << 8) | data[i + 2]);
    return seen.size;
  }));

describe("standalone page of a real report", () => {
  test("graph: one SVG node per input and node, each with its status class and colour", async () => {
    const { page, probe, rendered } = await open(buggy, "graph");
    const expected = [
      ...buggy.inputs.map((i) => ({ id: i.id, cls: "input" as const })),
      ...buggy.nodes.map((n) => ({ id: n.id, cls: n.status })),
    ];
    assert.equal(rendered.nodes, expected.length);
    assert.equal(await page.locator("g.node").count(), expected.length);
    for (const { id, cls } of expected) {
      const node = graphNode(page, id);
      assert.equal(await node.count(), 1, id);
      assert.match((await node.getAttribute("class"))!, new RegExp(`\\b${cls}\\b`), id);
      const fill = await node.evaluate((g) => getComputedStyle(g.querySelector("rect, polygon, path")!).fill);
      assert.equal(fill, fillOf(cls), `${id} (${cls})`);
    }
    // Edges carry shapes: fc1 → h carries [4, 5].
    assert.ok((await page.locator(".edgeLabel").allTextContents()).includes("[4, 5]"));
    assert.match((await page.locator(".summary").textContent())!, /buggy-mlp · exhaustive · rtol 0\.001 atol 1e-5 · 3 pass 2 fail 0 kink 0 skipped/);
    assert.deepEqual([probe.pageErrors, probe.consoleErrors, await page.evaluate(() => (window as unknown as { __violations: string[] }).__violations)], [[], [], []]);
    await page.close();
  });

  test("selection: clicking a failing node shows its heatmaps, diagnosis and worst entries", async () => {
    const { page } = await open(buggy, "select");
    await page.evaluate(() => {
      const w = window as unknown as { __messages: unknown[] };
      w.__messages = [];
      window.addEventListener("gradlens-message", (e) => w.__messages.push((e as CustomEvent).detail));
    });
    await graphNode(page, "p").click();
    const detail = page.locator('.detail[data-node="p"]');
    await detail.waitFor();
    assert.match((await graphNode(page, "p").getAttribute("class"))!, /\bselected\b/);
    assert.match((await detail.locator(".diagnosis").first().textContent())!, /missing off-diagonal terms.*off-diagonal entry/s);
    const canvases = detail.locator("canvas.heatmap");
    assert.equal(await canvases.count(), 3);
    for (const colours of await canvasColours(page, '.detail[data-node="p"] canvas.heatmap')) assert.ok(colours > 2, `a blank heatmap (${colours} colours)`);
    // The worst entries are the report's, in its order.
    const jac = buggy.nodes.find((n) => n.id === "p")!.jacobians[0];
    const rows = await detail.locator("table.worst tbody tr").allTextContents();
    assert.equal(rows.length, jac.worst.length);
    jac.worst.forEach((w, i) => {
      assert.ok(rows[i].includes(fmt(w.analytic)) && rows[i].includes(fmt(w.numeric)), `${rows[i]} vs ${JSON.stringify(w)}`);
    });
    // Keyboard: Tab-focusable nodes, Enter selects.
    await graphNode(page, "fc1").focus();
    await page.keyboard.press("Enter");
    await page.locator('.detail[data-node="fc1"]').waitFor();
    assert.equal(await page.locator('.detail[data-node="fc1"] .jacobian').count(), 3); // x, W, b
    // Each selection told the host (here: a DOM event standing in for postMessage).
    assert.deepEqual(await page.evaluate(() => (window as unknown as { __messages: unknown[] }).__messages),
      [{ type: "selected", nodeId: "p" }, { type: "selected", nodeId: "fc1" }]);
    await page.close();
  });

  test("mismatch table: every failure, worst first; click and Enter select", async () => {
    const { page } = await open(buggy, "table");
    const rows = page.locator("table.mismatches tbody tr");
    const failing = [...buggy.nodes.map((n) => ({ name: n.id, s: n.status, e: n.maxRelError })), ...buggy.gradients.map((g) => ({ name: g.name, s: g.status, e: g.maxRelError }))]
      .filter((r) => r.s === "fail" || r.s === "kink");
    const names = await rows.evaluateAll((trs) => trs.map((tr) => (tr as HTMLElement).dataset.name!));
    assert.deepEqual([...names].sort(), failing.map((r) => r.name).sort());
    const errs = names.map((n) => failing.find((r) => r.name === n)!.e);
    for (let i = 1; i < errs.length; i++) assert.ok(errs[i - 1] >= errs[i], `row ${i} is worse than row ${i - 1}: ${names.join(", ")}`);
    await rows.filter({ has: page.locator("code", { hasText: /^p$/ }) }).click();
    await page.locator('.detail[data-node="p"]').waitFor();
    await rows.filter({ has: page.locator("code", { hasText: /^fc2\.W$/ }) }).focus();
    await page.keyboard.press("Enter");
    await page.locator('.detail[data-node="fc2"]').waitFor();
    assert.match((await graphNode(page, "fc2").getAttribute("class"))!, /\bselected\b/);
    await page.close();
  });

  test("kinks: an amber node, listed after the failures", async () => {
    const report = kinkReport();
    assert.deepEqual(report.nodes.map((n) => n.status), ["kink", "fail", "pass"]);
    const { page } = await open(report, "kinks");
    const node = graphNode(page, "r");
    assert.match((await node.getAttribute("class"))!, /\bkink\b/);
    assert.equal(await node.evaluate((g) => getComputedStyle(g.querySelector("rect")!).fill), fillOf("kink"));
    const rows = await page.locator("table.mismatches tbody tr").evaluateAll((trs) => trs.map((tr) => (tr as HTMLElement).dataset.name));
    assert.deepEqual(rows.slice(-1), ["r"]);
    assert.deepEqual([...rows.slice(0, -1)].sort(), ["t", "x"]);
    assert.match((await page.locator(".summary").textContent())!, /1 pass 1 fail 1 kink 0 skipped/);
    await page.close();
  });

  test("hover on a heatmap shows the entry's output/input indices and the three values", async () => {
    const { page } = await open(buggy, "hover");
    await graphNode(page, "p").click();
    const canvas = page.locator('.detail[data-node="p"] canvas.heatmap').first();
    await canvas.scrollIntoViewIfNeeded();
    const box = (await canvas.boundingBox())!;
    const jac = buggy.nodes.find((n) => n.id === "p")!.jacobians[0];
    const [r, c] = [5, 4]; // row 5 = p[1, 2], col 4 = fc2[1, 1]
    const cols = jac.colIndices.length;
    await canvas.hover({ position: { x: ((c + 0.5) * box.width) / cols, y: ((r + 0.5) * box.height) / jac.rowIndices.length } });
    const info = (await page.locator('.detail[data-node="p"] .heat-info').textContent())!;
    const i = r * cols + c;
    const a = jac.analytic[i], n = jac.numeric[i];
    assert.equal(info, `row 5 = p output [1, 2], col 4 = fc2 [1, 1]: analytic ${fmt(a)}, numeric ${fmt(n)}, difference ${fmt(a - n)}`);
    await page.close();
  });

  test("pan and zoom: buttons, wheel and drag move the graph; a drag selects nothing", async () => {
    const { page } = await open(buggy, "panzoom");
    const transform = async () => {
      const t = await page.locator(".graph-canvas").evaluate((el) => new DOMMatrix(getComputedStyle(el).transform));
      return { scale: t.a, x: t.e, y: t.f };
    };
    const start = await transform();
    await page.getByRole("button", { name: "Zoom in" }).click();
    const zoomed = await transform();
    assert.ok(Math.abs(zoomed.scale / start.scale - 1.25) < 1e-3, `${JSON.stringify([start, zoomed])}`);
    const vp = (await page.locator(".graph-viewport").boundingBox())!;
    await page.mouse.move(vp.x + 40, vp.y + 40);
    await page.mouse.wheel(0, 300);
    const wheeled = await transform();
    assert.ok(wheeled.scale < zoomed.scale, "wheel down zooms out");
    // Drag from a node: the graph moves and the node is not selected.
    const before = await page.locator(".detail").getAttribute("data-node");
    const box = (await graphNode(page, "fc2").boundingBox())!;
    await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
    await page.mouse.down();
    await page.mouse.move(box.x + box.width / 2 - 60, box.y + box.height / 2 + 25, { steps: 5 });
    await page.mouse.up();
    const dragged = await transform();
    assert.ok(Math.abs(dragged.x - wheeled.x + 60) < 1 && Math.abs(dragged.y - wheeled.y - 25) < 1, `${JSON.stringify([wheeled, dragged])}`);
    assert.equal(await page.locator(".detail").getAttribute("data-node"), before);
    await page.getByRole("button", { name: "Fit the graph" }).click();
    const fitted = (await page.locator(".graph-canvas svg").boundingBox())!;
    assert.ok(fitted.x >= vp.x && fitted.x + fitted.width <= vp.x + vp.width + 1, "fit puts the whole graph in view");
    await page.close();
  });

  test("a sampled Jacobian says so", async () => {
    const { page } = await open(buggyMlpReport({ mode: "sampled", samples: 6 }), "sampled");
    await graphNode(page, "h").click();
    assert.match((await page.locator('.detail[data-node="h"] .sampled').textContent())!, /^Sampled: 120 of 400 entries checked; showing 20 of 20 rows × 6 of 20 columns/);
    await page.close();
  });

  test("host messages: graph without a check, select, error", async () => {
    const { page } = await open(seedMlpReport(), "messages");
    assert.match((await page.locator(".all-pass").textContent())!, /No mismatches/);
    const view = { name: "unchecked", inputs: buggy.inputs, nodes: buggy.nodes.map(({ status: _s, jacobians: _j, ...n }) => n), output: buggy.output };
    await page.evaluate(() => delete document.documentElement.dataset.rendered);
    await page.evaluate((v) => window.postMessage({ type: "graph", view: v }, "*"), view);
    const rendered = await waitForGraph(page);
    assert.equal(rendered.nodes, 7);
    assert.equal(await page.locator("g.node.unchecked").count(), 5);
    await page.evaluate(() => window.postMessage({ type: "select", nodeId: "fc2" }, "*"));
    await page.locator('.detail[data-node="fc2"]').waitFor();
    await page.evaluate(() => window.postMessage({ type: "error", message: "<b>x</b> failed" }, "*"));
    assert.equal(await page.locator(".banner.error").textContent(), "<b>x</b> failed");
    await page.close();
  });
});

describe("example networks, loaded and checked by the engine", () => {
  for (const file of exampleFiles()) {
    test(file, async () => {
      const report = await exampleReport(file);
      const { page, probe, rendered } = await open(report, file.replace(/\W+/g, "-"));
      assert.equal(rendered.nodes, report.inputs.length + report.nodes.length);
      for (const node of report.nodes) assert.match((await graphNode(page, node.id).getAttribute("class"))!, new RegExp(`\\b${node.status}\\b`), node.id);
      // Every failing node: selecting it shows the engine's diagnosis and non-blank heatmaps.
      for (const node of report.nodes.filter((n) => n.status === "fail")) {
        await graphNode(page, node.id).click();
        const detail = page.locator(`.detail[data-node="${cssEscape(node.id)}"]`);
        await detail.waitFor();
        if (node.diagnosis) assert.ok((await detail.locator(".diagnosis").first().textContent())!.includes(node.diagnosis.detail), node.id);
        for (const colours of await canvasColours(page, `.detail[data-node="${cssEscape(node.id)}"] canvas.heatmap`)) assert.ok(colours >= 1);
      }
      assert.equal(await page.locator("table.mismatches tbody tr").count(),
        [...report.nodes, ...report.gradients].filter((x) => x.status === "fail" || x.status === "kink").length);
      assert.deepEqual([probe.pageErrors, probe.consoleErrors], [[], []]);
      writeArtifact(`example-${file.replace(/^examples\//, "").replace(/\.gradnet\.\w+$/, "").replace(/\W+/g, "-")}.png`, await page.screenshot({ fullPage: true }));
      await page.close();
    });
  }
});

describe("a node with several outputs (examples/buggy/lstm-forgets-c.gradnet.ts)", () => {
  test("one labelled edge per output, the detail lists the outputs and titles each Jacobian by its output", async () => {
    const report = await exampleReport("examples/buggy/lstm-forgets-c.gradnet.ts");
    const { page, probe } = await open(report, "multi-output");
    const labels = await page.locator(".edgeLabel").allTextContents();
    for (const label of ["h [2, 4]", "c [2, 4]"]) assert.ok(labels.includes(label), `edge label ${label} in ${labels.join(" | ")}`);
    await graphNode(page, "cell").click();
    const detail = page.locator('.detail[data-node="cell"]');
    await detail.waitFor();
    assert.match((await detail.locator(".detail-meta").textContent())!, /→ outputs h \[2, 4\], c \[2, 4\]/);
    const titles = await detail.locator(".jacobian h3").allTextContents();
    assert.equal(titles.length, 10, "5 wrts × 2 outputs");
    assert.ok(titles.some((t) => t.startsWith("∂cell:c / ∂c0 ")), titles.join(" | "));
    assert.equal(await detail.locator('.jacobian[data-output="c"][data-wrt="c0"]').count(), 1);
    assert.match((await detail.locator(".diagnosis").first().textContent())!, /∂c\/∂c0 is zero/);
    assert.deepEqual([probe.pageErrors, probe.consoleErrors], [[], []]);
    await page.close();
  });
});

describe("the panel shell as VS Code loads it", () => {
  test("resources by URL under the CSP's source; the report arrives as a message", async () => {
    const url = (name: string) => pathToFileURL(join(mediaDir(), name)).href;
    const html = panelHtml({
      cspSource: "file:", nonce: "c2VjcmV0LW5vbmNl", title: "GradLens: buggy-mlp",
      scriptUri: url("webview.js"), mermaidUri: url("mermaid.min.js"), styleUri: url("webview.css"),
    });
    const { page, probe } = await openPage(browser, html, "shell");
    assert.equal(await page.locator(".summary").textContent(), "Waiting for a report…");
    // The stylesheet came in through the link (the toolbar is laid out as flex).
    assert.equal(await page.locator(".toolbar").evaluate((el) => getComputedStyle(el).display), "flex");
    await page.evaluate((r) => window.postMessage({ type: "report", report: r }, "*"), buggy);
    const rendered = await waitForGraph(page);
    assert.equal(rendered.nodes, 7);
    assert.match((await page.locator(".summary").textContent())!, /^MISMATCH buggy-mlp/);
    // The worst failing node is selected first.
    assert.equal(await page.locator(".detail").getAttribute("data-node"), "h");
    await page.evaluate(() => window.postMessage({ type: "busy", message: "Checking buggy-mlp…" }, "*"));
    assert.equal(await page.locator(".banner").textContent(), "Checking buggy-mlp…");
    assert.deepEqual([probe.pageErrors, probe.consoleErrors, await page.evaluate(() => (window as unknown as { __violations: string[] }).__violations)], [[], [], []]);
    await page.close();
  });
});

describe("security", () => {
  test("hostile names show literally and run nothing", async () => {
    const report = hostileReport();
    const { page, probe, rendered } = await open(report, "hostile");
    assert.equal(rendered.nodes, 6);
    const labels = await page.locator("g.node").allTextContents();
    for (const id of Object.values(hostileIds)) {
      assert.ok(labels.some((l) => l.includes(id)), `${JSON.stringify(id)} not shown literally in ${JSON.stringify(labels)}`);
      await graphNode(page, id).click();
      assert.equal(await page.locator(".detail-title").textContent(), id);
    }
    assert.ok((await page.locator("svg").first().textContent())!.includes(hostileGroup), "the group's name shown literally");
    assert.match((await page.locator(".summary").textContent())!, /<b>evil<\/b> "net" %%\{init\}%%/);
    assert.match((await page.locator("table.mismatches").textContent())!, /<script>__pwned=2;alert\(2\)<\/script>/);
    const globals = await page.evaluate(() => {
      const w = window as unknown as { __pwned?: unknown; __alerts: string[]; __violations: string[] };
      return { pwned: w.__pwned ?? null, alerts: w.__alerts, violations: w.__violations, imgs: document.querySelectorAll("img").length, scripts: document.scripts.length, bold: document.querySelectorAll("b").length };
    });
    // The report's JSON, Mermaid's inert source, the page's script, and Mermaid as that script added it (with the nonce).
    assert.deepEqual(globals, { pwned: null, alerts: [], violations: [], imgs: 0, scripts: 4, bold: 0 });
    assert.deepEqual([probe.alerts, probe.pageErrors, probe.consoleErrors], [[], [], []]);
    writeArtifact("hostile.png", await page.screenshot({ fullPage: true }));
    // Mermaid stayed in strict mode: the %%{init}%% directive did not switch it to "loose".
    assert.equal(await page.locator("g.node a, svg [onclick]").count(), 0);
    await page.close();
  });

  test("CSP: a script without the nonce and a remote image are blocked", async () => {
    const html = renderStandaloneHtml(seedMlpReport());
    const nonce = /nonce="([^"]+)"/.exec(html)![1];
    // Before the last </body>: the inlined bundles contain that text too.
    const at = html.lastIndexOf("</body>");
    const injected = html.slice(0, at) +
      `<script>window.__noNonce = 1</script><script nonce="${nonce}">window.__withNonce = 1</script><img src="https://example.invalid/x.png">` + html.slice(at);
    const { page } = await openPage(browser, injected, "csp");
    await waitForGraph(page);
    const result = await page.evaluate(() => {
      const w = window as unknown as { __noNonce?: number; __withNonce?: number; __violations: string[] };
      return { noNonce: w.__noNonce ?? null, withNonce: w.__withNonce ?? null, violations: w.__violations };
    });
    assert.equal(result.noNonce, null);
    assert.equal(result.withNonce, 1);
    assert.ok(result.violations.some((v) => v.startsWith("script-src")), JSON.stringify(result.violations));
    assert.ok(result.violations.some((v) => v.startsWith("img-src") && v.includes("example.invalid")), JSON.stringify(result.violations));
    const csp = await page.locator('meta[http-equiv="Content-Security-Policy"]').getAttribute("content");
    assert.equal(csp, `default-src 'none'; img-src data:; style-src 'unsafe-inline'; font-src 'none'; script-src 'nonce-${nonce}'`);
    await page.close();
  });
});

describe("size and looks", () => {
  for (const scheme of ["light", "dark"] as const) {
    test(`screenshot, ${scheme}`, async () => {
      const opened = await openPage(browser, renderStandaloneHtml(buggy), `shot-${scheme}`);
      await opened.page.emulateMedia({ colorScheme: scheme });
      await opened.page.reload();
      await waitForGraph(opened.page);
      const bg = await opened.page.evaluate(() => getComputedStyle(document.body).backgroundColor);
      assert.equal(bg, scheme === "dark" ? "rgb(30, 30, 30)" : "rgb(255, 255, 255)");
      await graphNode(opened.page, "p").click();
      const canvas = opened.page.locator('.detail[data-node="p"] canvas.heatmap').nth(1);
      await canvas.scrollIntoViewIfNeeded();
      const box = (await canvas.boundingBox())!;
      await canvas.hover({ position: { x: box.width * 0.3, y: box.height * 0.4 } });
      await opened.page.evaluate(() => window.scrollTo(0, 0));
      writeArtifact(`panel-${scheme}.png`, await opened.page.screenshot({ fullPage: true }));
      await opened.page.close();
    });
  }
});
