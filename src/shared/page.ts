/**
 * The panel's HTML shell, one function for both places it runs: the VS Code webview
 * (resources as `asWebviewUri` URLs, `cspSource` from the webview) and the standalone
 * `--html` page (resources inlined, the report embedded as JSON). Scripts run only
 * with the nonce; nothing remote is allowed. Styles need 'unsafe-inline' because
 * Mermaid writes a <style> element and style attributes into its SVG.
 *
 * Mermaid (3 MB) is not run with the page: only a graph small enough for
 * Mermaid's drawing needs it (webview/mermaid-loader.ts), so the page names it
 * — its URL in `data-mermaid-src` on the page's script, or (standalone) its
 * source in an inert <script type="text/plain" id="gradlens-mermaid"> — and the
 * page's script adds it, with the same nonce, the first time it draws one.
 */
import type { Report } from "./report.js";
import type { Lesson } from "./teach.js";

export interface PanelHtmlOptions {
  /** `webview.cspSource` in VS Code; empty for a self-contained page. */
  cspSource: string;
  /** Fresh random value per page (base64 or hex). */
  nonce: string;
  title?: string;
  /** URLs of the three resources (VS Code)… */
  scriptUri?: string;
  mermaidUri?: string;
  styleUri?: string;
  /** …or their contents, inlined (standalone page). Inline wins over a URL. */
  inline?: { script?: string; mermaid?: string; style?: string };
  /** Embedded as <script type="application/json" id="gradlens-report">. */
  report?: Report;
  /** Embedded as <script type="application/json" id="gradlens-lesson">: the teaching views of a page with no host. */
  lesson?: Lesson;
}

const escapeHtml = (s: string): string =>
  s.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!);

/**
 * Text safe inside a <script> element: `</script`, `<script` and `<!--` could end or
 * confuse the element, so their `<` becomes `\x3C`, which reads the same inside JS
 * strings, template literals and regular expressions (the only places they occur).
 */
export const escapeInlineScript = (js: string): string => js.replace(/<(?=\/script|script|!--)/gi, "\\x3C");

/** JSON inside a <script type="application/json">: every `<` as \u003c, so no tag can close it. */
export const embedJson = (value: unknown): string =>
  JSON.stringify(value).replace(/</g, "\\u003c").replace(/\u2028/g, "\\u2028").replace(/\u2029/g, "\\u2029");

export function contentSecurityPolicy(cspSource: string, nonce: string): string {
  const src = cspSource.trim();
  const with_ = (...extra: string[]) => [src, ...extra].filter(Boolean).join(" ") || "'none'";
  return [
    "default-src 'none'",
    `img-src ${with_("data:")}`,
    `style-src ${with_("'unsafe-inline'")}`,
    `font-src ${with_()}`,
    `script-src 'nonce-${nonce}'`,
  ].join("; ");
}

export function panelHtml(o: PanelHtmlOptions): string {
  const nonce = escapeHtml(o.nonce);
  const mermaidSrc = o.inline?.mermaid === undefined && o.mermaidUri ? ` data-mermaid-src="${escapeHtml(o.mermaidUri)}"` : "";
  const script = (inline: string | undefined, uri: string | undefined): string =>
    inline !== undefined
      ? `<script nonce="${nonce}">${escapeInlineScript(inline)}</script>`
      : uri ? `<script nonce="${nonce}" src="${escapeHtml(uri)}"${mermaidSrc}></script>` : "";
  // Inert until the page's script runs it (see above).
  const mermaid = o.inline?.mermaid !== undefined
    ? `<script type="text/plain" id="gradlens-mermaid">${escapeInlineScript(o.inline.mermaid)}</script>` : "";
  const style = o.inline?.style !== undefined
    ? `<style>${o.inline.style.replace(/<\/style/gi, "<\\/style")}</style>`
    : o.styleUri ? `<link rel="stylesheet" href="${escapeHtml(o.styleUri)}">` : "";
  const report = o.report !== undefined
    ? `<script type="application/json" id="gradlens-report">${embedJson(o.report)}</script>`
    : "";
  const lesson = o.lesson !== undefined
    ? `<script type="application/json" id="gradlens-lesson">${embedJson(o.lesson)}</script>`
    : "";
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${escapeHtml(contentSecurityPolicy(o.cspSource, o.nonce))}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<title>${escapeHtml(o.title ?? "GradLens")}</title>
${style}
</head>
<body>
<div id="app"></div>
${report}
${lesson}
${mermaid}
${script(o.inline?.script, o.scriptUri)}
</body>
</html>
`;
}
