/**
 * `gradlens check FILE --html OUT`: the panel as one self-contained HTML file —
 * Mermaid, the webview bundle and its CSS inlined under the same nonce CSP as the
 * webview, the report (and what the teaching views show: explanations, the descent,
 * the step-size sweeps, node values) embedded as JSON. Opens offline in any browser.
 */
import { randomBytes } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { Report } from "../shared/report.js";
import type { Lesson } from "../shared/teach.js";
import { panelHtml } from "../shared/page.js";

/**
 * The built `media/` folder: beside `dist/` when bundled (dist/cli.js → ../media),
 * two levels up when run from source (src/cli → ../../media).
 */
export function mediaDir(): string {
  const candidates = [join(__dirname, "..", "media"), join(__dirname, "..", "..", "media")];
  const found = candidates.find((dir) => existsSync(join(dir, "webview.js")));
  if (!found) throw new Error(`GradLens: the webview bundle (media/webview.js) is missing; run \`npm run build\`. Looked in ${candidates.join(", ")}`);
  return found;
}

export function renderStandaloneHtml(report: Report, lesson?: Lesson): string {
  const dir = mediaDir();
  const read = (name: string) => readFileSync(join(dir, name), "utf8");
  return panelHtml({
    cspSource: "",
    nonce: randomBytes(16).toString("base64"),
    title: `GradLens — ${report.network.name}`,
    inline: { mermaid: read("mermaid.min.js"), script: read("webview.js"), style: read("webview.css") },
    report,
    lesson,
  });
}
