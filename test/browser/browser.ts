/**
 * Debian's chromium through playwright-core, with a fresh user-data dir per launch,
 * and helpers to open a standalone GradLens page and wait for its graph.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { chromium, type BrowserContext, type Page } from "playwright-core";

export const root = join(__dirname, "..", "..");
export const artifacts = join(root, "artifacts");

const flags = [
  "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
  "--disable-background-networking", "--disable-component-update", "--disable-sync",
];

export interface Browser {
  context: BrowserContext;
  /** A temporary folder for the pages under test (deleted on close). */
  dir: string;
  close(): Promise<void>;
}

export async function launch(): Promise<Browser> {
  const dir = mkdtempSync(join(tmpdir(), "gradlens-browser-"));
  const context = await chromium.launchPersistentContext(join(dir, "profile"), {
    executablePath: "/usr/bin/chromium",
    headless: true,
    args: flags,
    viewport: { width: 1280, height: 900 },
  });
  return {
    context,
    dir,
    close: async () => {
      await context.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface PageProbe {
  alerts: string[];
  violations: string[];
  consoleErrors: string[];
  pageErrors: string[];
}

/**
 * Open `html` as a file:// page. An init script traps alert/confirm/prompt and
 * records CSP violations before any page script runs.
 */
export async function openPage(browser: Browser, html: string, name: string): Promise<{ page: Page; probe: PageProbe }> {
  const file = join(browser.dir, `${name}.html`);
  writeFileSync(file, html);
  const page = await browser.context.newPage();
  const probe: PageProbe = { alerts: [], violations: [], consoleErrors: [], pageErrors: [] };
  page.on("dialog", (d) => {
    probe.alerts.push(d.message());
    void d.dismiss();
  });
  page.on("console", (m) => {
    if (m.type() === "error") probe.consoleErrors.push(m.text());
  });
  page.on("pageerror", (e) => probe.pageErrors.push(e.message));
  await page.addInitScript(() => {
    const w = window as unknown as { __alerts: string[]; __violations: string[] };
    w.__alerts = [];
    w.__violations = [];
    window.alert = (m?: unknown) => void w.__alerts.push(String(m));
    window.confirm = (m?: string) => (w.__alerts.push(String(m)), false);
    window.prompt = (m?: string) => (w.__alerts.push(String(m)), null);
    document.addEventListener("securitypolicyviolation", (e) => w.__violations.push(`${e.violatedDirective}: ${e.blockedURI}`));
  });
  await page.goto(pathToFileURL(file).href);
  return { page, probe };
}

/** Wait for the webview's `rendered` message (standalone: mirrored on <html data-rendered>). */
export async function waitForGraph(page: Page): Promise<{ nodes: number; ms: number }> {
  const handle = await page.waitForFunction(() => document.documentElement.dataset.rendered, undefined, { timeout: 30_000 });
  return JSON.parse((await handle.jsonValue()) as string) as { nodes: number; ms: number };
}

export function writeArtifact(name: string, content: string | Buffer): string {
  mkdirSync(artifacts, { recursive: true });
  const file = join(artifacts, name);
  writeFileSync(file, content);
  return file;
}
