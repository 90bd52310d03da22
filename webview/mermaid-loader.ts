/**
 * Mermaid on demand: the page shell (src/shared/page.ts) names Mermaid's
 * bundle without running it; the first graph small enough for Mermaid's
 * drawing adds it as a script with the page's own nonce (the CSP allows
 * nothing else). A big graph, drawn by our own layout, never waits for it.
 */
import type { Mermaid } from "mermaid";

/** This bundle's own <script>: its nonce lets the scripts it adds run. */
const self = document.currentScript as HTMLScriptElement | null;
const nonce = self?.nonce || self?.getAttribute("nonce") || "";

let loading: Promise<Mermaid> | undefined;

export function loadMermaid(): Promise<Mermaid> {
  const global = (): Mermaid | undefined => (globalThis as { mermaid?: Mermaid }).mermaid;
  if (global()) return Promise.resolve(global()!);
  loading ??= new Promise<Mermaid>((resolve, reject) => {
    const script = document.createElement("script");
    script.nonce = nonce;
    const done = () => (global() ? resolve(global()!) : reject(new Error("Mermaid did not load")));
    const inline = document.getElementById("gradlens-mermaid");
    const src = self?.dataset.mermaidSrc;
    if (inline?.textContent) {
      // Standalone page: the inlined bundle, run now (an inline script runs as it is added).
      script.textContent = inline.textContent;
      document.head.appendChild(script);
      done();
    } else if (src) {
      script.src = src;
      script.addEventListener("load", done);
      script.addEventListener("error", () => reject(new Error(`Mermaid could not be loaded from ${src}`)));
      document.head.appendChild(script);
    } else {
      reject(new Error("this page has no Mermaid bundle"));
    }
  });
  loading.catch(() => (loading = undefined));
  return loading;
}
