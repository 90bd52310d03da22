/**
 * The real UI, driven from inside the extension host: scripts/editor-host/host.mjs
 * serves these actions over HTTP (GRADLENS_UI_DRIVER) and performs them with
 * Playwright on the workbench page — key presses, the command palette, clicks
 * and DOM reads inside a webview, screenshots.
 */
import * as vscode from "vscode";

async function call<T>(action: string, body: unknown): Promise<T> {
  const base = process.env.GRADLENS_UI_DRIVER;
  if (!base) throw new Error("GRADLENS_UI_DRIVER is not set: run these tests with `npm run test:editor`");
  const res = await fetch(`${base}/${action}`, { method: "POST", body: JSON.stringify(body) });
  const json = (await res.json()) as { ok: boolean; result: T; error?: string };
  if (!json.ok) throw new Error(`UI driver ${action}: ${json.error}`);
  return json.result;
}

export const hasDriver = (): boolean => !!process.env.GRADLENS_UI_DRIVER;

/**
 * F1, type the label, wait for the row with exactly that label, Enter. Without
 * the driver (desktop VS Code through @vscode/test-cli) the command the label
 * names is run directly, so the rest of the test still holds.
 */
export async function runFromPalette(label: string): Promise<{ row: string }> {
  if (hasDriver()) return call<{ row: string }>("palette", { label });
  const pkg = vscode.extensions.getExtension("gradlens.gradlens")!.packageJSON as {
    contributes: { commands: { command: string; title: string; category?: string }[] };
  };
  const command = pkg.contributes.commands.find((c) => `${c.category ? `${c.category}: ` : ""}${c.title}` === label);
  if (!command) throw new Error(`no command labelled ${label}`);
  void vscode.commands.executeCommand(command.command);
  return { row: label };
}

/** Skips the calling test when nothing can drive the workbench page (webview DOM, notifications). */
export function needsDriver(test: Mocha.Context): void {
  if (!hasDriver()) test.skip();
}

/** In the open Quick Pick: type `text`, wait for the row labelled exactly `pick`, Enter. */
export const pickInQuickPick = (text: string, pick: string) => call<{ row: string }>("quickPick", { text, pick });

/** Evaluates `fn(arg)` inside the webview page whose <title> is `title`; returns its (JSON) result. */
export function inWebview<A, R>(title: string, fn: (arg: A) => R, arg?: A): Promise<Awaited<R>> {
  return call("evaluate", { title, fn: fn.toString(), arg });
}

export const waitInWebview = (title: string, selector: string, timeoutMs = 30_000) =>
  call("waitFor", { title, selector, timeoutMs });

export const clickInWebview = (title: string, selector: string) => call("click", { title, selector });

export const clickNotificationButton = (text: string, button: string) => call("notificationButton", { text, button });

export const screenshot = (file: string) => call<{ file: string }>("screenshot", { file });

export const press = (key: string) => call("press", { key });

/** Polls until `get` returns a truthy value (or throws after `timeoutMs`). */
export async function until<T>(what: string, get: () => T | undefined | false | Promise<T | undefined | false>, timeoutMs = 60_000): Promise<T> {
  const t0 = Date.now();
  for (;;) {
    const v = await get();
    if (v) return v;
    if (Date.now() - t0 > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function setTheme(theme: string): Promise<void> {
  await vscode.workspace.getConfiguration("workbench").update("colorTheme", theme, vscode.ConfigurationTarget.Global);
}

/** The text of the first visible element matching `selector` in the workbench (outside any webview). */
export const workbenchText = (selector: string, timeoutMs = 20_000) => call<string>("workbenchText", { selector, timeoutMs });

/** Clicks the workbench element (under `within`) whose text is exactly `text`: a walkthrough step's button. */
export const clickText = (text: string, within = "body") => call("clickText", { text, within });

/** Evaluates `fn(arg)` in the workbench page itself (status bar, the Testing view, editors); returns its (JSON) result. */
export function inWorkbench<A, R>(fn: (arg: A) => R, arg?: A): Promise<Awaited<R>> {
  return call("workbenchEvaluate", { fn: fn.toString(), arg });
}

/** Clicks the `index`-th workbench element matching `selector` (and containing `hasText`). */
export const clickInWorkbench = (selector: string, options: { hasText?: string; index?: number; button?: "left" | "right" } = {}) =>
  call("workbenchClick", { selector, ...options });

/** Clicks the Testing view's run glyph in the active editor's gutter at `line` (1-based). */
export const clickGutterRun = (line: number, button: "left" | "right" = "left") => call<{ classes: string }>("gutterClick", { line, button });
