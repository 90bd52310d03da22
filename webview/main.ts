/**
 * The GradLens panel. Inside VS Code it talks to the extension host through
 * `acquireVsCodeApi()` (messages in src/shared/protocol.ts) and keeps its state with
 * getState/setState; in the standalone `--html` page it reads the report from the
 * embedded <script type="application/json" id="gradlens-report">.
 */
import type { GraphView, Report, Status } from "../src/shared/report.js";
import { statusStyles } from "../src/shared/mermaid.js";
import { isHostMessage, type HostMessage, type WebviewMessage, type WebviewState } from "../src/shared/protocol.js";
import { h, replace } from "./dom.js";
import { fmt } from "./format.js";
import { GraphPanel, type Zoom } from "./graph.js";
import { renderDetail } from "./detail.js";
import { renderMismatchTable } from "./table.js";
import type { Lesson, NetworkValues, TeachAnswer, TeachRequest } from "../src/shared/teach.js";
import { Teacher } from "./teacher.js";
import { Lessons } from "./lessons.js";
import { gradientSection, nodeValuesSection, summaries } from "./values-view.js";

interface VsCodeApi {
  postMessage(message: WebviewMessage): void;
  getState(): WebviewState | undefined;
  setState(state: WebviewState): void;
}
declare const acquireVsCodeApi: (() => VsCodeApi) | undefined;

/** Where messages go: the extension host, or (standalone) a DOM event tests can listen to. */
interface Host extends VsCodeApi {
  readonly inEditor: boolean;
}

function connect(): Host {
  if (typeof acquireVsCodeApi === "function") {
    const api = acquireVsCodeApi();
    return { inEditor: true, postMessage: (m) => api.postMessage(m), getState: () => api.getState(), setState: (s) => api.setState(s) };
  }
  let state: WebviewState | undefined;
  return {
    inEditor: false,
    postMessage: (m) => {
      // `at`: milliseconds since the page started loading (the browser tests report it).
      if (m.type === "rendered") document.documentElement.dataset.rendered = JSON.stringify({ nodes: m.nodes, ms: m.ms, renderer: m.renderer, at: Math.round(performance.now()) });
      if (m.type === "shown") document.documentElement.dataset.shown = `${m.view}${m.subject !== undefined ? `:${m.subject}` : ""}`;
      window.dispatchEvent(new CustomEvent("gradlens-message", { detail: m }));
    },
    getState: () => state,
    setState: (s) => (state = s),
  };
}

const host = connect();
let state: WebviewState = host.getState() ?? {};
const save = (patch: Partial<WebviewState>): void => {
  state = { ...state, ...patch };
  host.setState(state);
};

// --- layout ----------------------------------------------------------------

const summary = h("div", { class: "summary", role: "status" }, "Waiting for a report…");
const recheck = h("button", { type: "button", class: "primary", hidden: !host.inEditor }, "Re-check");
recheck.addEventListener("click", () => host.postMessage({ type: "recheck" }));
const banner = h("div", { class: "banner", role: "alert", hidden: true });
const legend = h("div", { class: "legend", "aria-label": "Node colours" },
  ...(["pass", "fail", "kink", "skipped", "input", "unchecked"] as const).map((k) => {
    const swatch = h("span", { class: "swatch" });
    for (const part of statusStyles[k].split(",")) {
      const [prop, value] = part.split(":");
      if (prop === "fill") swatch.style.background = value;
      if (prop === "stroke") swatch.style.borderColor = value;
    }
    return h("span", { class: "legend-item" }, swatch, k);
  }));
const notes = h("div", { class: "notes" });
const graph = new GraphPanel({
  onSelect: (id) => select(id, true),
  onReveal: (id) => {
    if (host.inEditor) host.postMessage({ type: "reveal", nodeId: id });
  },
  onZoom: (zoom: Zoom) => save({ zoom }),
  onLayout: (layout) => save({ layout }),
  onRendered: (nodes, ms, renderer) => host.postMessage({ type: "rendered", nodes, ms, renderer, checked: state.report !== undefined }),
  onError: (message) => showBanner(message, "error"),
});
const mismatchPane = h("section", { class: "mismatch-pane" }, h("h2", {}, "Mismatches"));
const detailPane = h("section", { class: "detail-pane", "aria-live": "polite" });

// --- the teaching views: explain, descent, step size, values on the nodes --------

const teacher = new Teacher(host.inEditor ? (request) => host.postMessage({ type: "teach", request }) : undefined, answered);
const lessons = new Lessons([mismatchPane, detailPane], {
  teacher, canAsk: host.inEditor,
  output: () => state.view?.output ?? "",
  selected: () => state.selected,
  onSelectNode: (id) => select(id, true),
  onTab: (tab) => save({ tab, explained: lessons.explained }),
  onShown: (view, subject) => host.postMessage({ type: "shown", view, subject }),
});
const summaryToggle = h("input", { type: "checkbox", class: "summary-toggle", "aria-label": "Show each node's value and upstream gradient" });
summaryToggle.addEventListener("change", () => {
  valuesWanted ||= summaryToggle.checked;
  save({ summaries: summaryToggle.checked });
  drawSummaries();
});

function answered(request: TeachRequest, answer: TeachAnswer): void {
  save({ lesson: teacher.lesson() });
  if (request.kind === "values") {
    drawSummaries();
    if (state.selected) renderSelected(state.selected);
    if (answer.kind === "values") host.postMessage({ type: "shown", view: "values" });
  }
  lessons.answered(request);
}

function valuesOf(): NetworkValues | undefined {
  const a = teacher.get({ kind: "values" });
  return a?.kind === "values" ? a.values : undefined;
}

/** The node labels with (or without) each node's value and upstream gradient. */
function drawSummaries(): void {
  if (!state.view) return;
  if (!summaryToggle.checked) return void graph.setSummaries(undefined, state.view);
  const values = valuesOf() ?? (teacher.ask({ kind: "values" }), valuesOf());
  if (values) void graph.setSummaries(summaries(values), state.view);
}

/**
 * Whether the node values are worth computing for this report: once the user selected a node or turned the
 * summaries on (a check's own selection of the worst node asks for nothing: the host would compute for every check).
 */
let valuesWanted = false;

/** The selected node's value and upstream gradient (asked for when wanted and not known yet). */
function valuesSection(nodeId: string): HTMLElement | null {
  if (!state.report) return null;
  if (!valuesWanted && !teacher.get({ kind: "values" })) {
    if (!host.inEditor) return null;
    const ask = h("button", { type: "button", class: "link ask-values" }, `Show ${nodeId}'s forward value and upstream gradient dL/d${nodeId}`);
    ask.addEventListener("click", () => {
      valuesWanted = true;
      renderSelected(nodeId);
    });
    return h("p", {}, ask);
  }
  const answer = teacher.ask({ kind: "values" });
  if (!answer) return h("p", { class: "computing" }, "Computing the node values and dL/d(node) in the worker…");
  if (answer.kind !== "values") return h("p", { class: "muted teach-error" }, answer.kind === "error" ? answer.message : "");
  const node = answer.values.nodes.find((n) => n.id === nodeId);
  const explain = (entry: string) => lessons.explain(entry);
  if (node) return nodeValuesSection(node, answer.values.gradients.filter((g) => g.name.startsWith(`${nodeId}.`)), explain);
  const input = answer.values.gradients.find((g) => g.name === nodeId);
  return input ? gradientSection(input, explain) : null;
}

const app = document.getElementById("app") ?? document.body.appendChild(h("div", { id: "app" }));
replace(app,
  h("header", { class: "toolbar" }, summary, recheck),
  banner,
  h("section", { class: "graph-pane" }, h("div", { class: "graph-head" }, h("h2", {}, "Computation graph"), legend,
    h("label", { class: "toggle", title: "Each node's forward value (mean) and its upstream gradient dL/d(node) (largest |·|); ✓ where backprop matches the numeric one, ✗ where it does not" },
      summaryToggle, " values and dL/d on the nodes (✓ analytic = numeric)")), graph.element),
  notes,
  lessons.element);

// --- state → page ----------------------------------------------------------

function viewOf(report: Report): GraphView {
  return { name: report.network.name, inputs: report.inputs, nodes: report.nodes, output: report.output };
}

function showBanner(message: string, kind: "error" | "busy" | null): void {
  // One check at a time: Re-check waits while one runs.
  recheck.disabled = kind === "busy";
  banner.hidden = kind === null;
  banner.className = `banner ${kind ?? ""}`;
  banner.textContent = message;
}

function renderSummary(report: Report | undefined, view: GraphView): void {
  if (!report) {
    replace(summary, h("strong", {}, view.name), ` — ${view.nodes.length} nodes, not checked`);
    return;
  }
  const counts = (["pass", "fail", "kink", "skipped"] as Status[]).map((s) =>
    h("span", { class: `count status-${s}` }, `${report.counts[s] ?? 0} ${s}`));
  replace(summary,
    h("span", { class: `badge ${report.ok ? "status-pass" : "status-fail"}` }, report.ok ? "OK" : "MISMATCH"), " ",
    h("strong", {}, report.network.name), ` · ${report.mode} · rtol ${fmt(report.rtol)} atol ${fmt(report.atol)} · `,
    ...counts.flatMap((c) => [c, " "]),
    `· loss ${fmt(report.loss)} · ${Math.round(report.timings.totalMs)} ms`);
}

function show(report: Report | undefined, view: GraphView, restoring = false, lesson?: Lesson): void {
  save({ report, view, ...(restoring ? {} : { zoom: undefined, layout: undefined, lesson: undefined }) });
  teacher.reset(restoring ? state.lesson : lesson);
  valuesWanted = !!state.summaries;
  showBanner("", null);
  renderSummary(report, view);
  const noteTexts = [...(report?.reduction ? [report.reduction] : []), ...(report?.notes ?? [])];
  const items = noteTexts.map((n) => h("li", {}, n));
  // A few notes are read; a hundred "sampled" lines are folded away.
  replace(notes, items.length === 0 ? null
    : items.length <= 4 ? h("ul", {}, ...items)
      : h("details", {}, h("summary", {}, `${items.length} notes`), h("ul", {}, ...items)));
  replace(mismatchPane, h("h2", {}, "Mismatches"),
    report ? renderMismatchTable(report, (id) => select(id, true)) : h("p", { class: "muted" }, "Not checked yet."));
  void graph.render(view, restoring ? state.zoom : undefined, restoring ? state.layout : undefined);
  summaryToggle.checked = !!state.summaries;
  if (state.summaries) drawSummaries();
  // Keep the selection if the node still exists, else pick the worst failing node.
  const ids = new Set([...view.nodes.map((n) => n.id), ...view.inputs.map((i) => i.id)]);
  const firstFail = report?.nodes.filter((n) => n.status === "fail").sort((a, b) => b.maxRelError - a.maxRelError)[0]?.id;
  const keep = state.selected !== undefined && ids.has(state.selected) ? state.selected : firstFail;
  select(keep, false);
  lessons.explained = restoring ? state.explained : undefined;
  lessons.show(restoring ? state.tab ?? "details" : lessons.current === "explain" ? "details" : lessons.current, false);
}

function select(nodeId: string | undefined, fromUser: boolean): void {
  save({ selected: nodeId });
  valuesWanted ||= fromUser;
  graph.select(nodeId);
  const view = state.view;
  if (!nodeId || !view) {
    replace(detailPane, h("p", { class: "muted" }, "Select a node in the graph or the mismatch table to see its Jacobians."));
    return;
  }
  renderSelected(nodeId);
  graph.reveal(nodeId);
  if (lessons.current === "sweep") lessons.refresh();
  if (fromUser) host.postMessage({ type: "selected", nodeId });
}

function renderSelected(nodeId: string): void {
  if (!state.view) return;
  replace(detailPane, renderDetail(state.report, state.view, nodeId, {
    canReveal: host.inEditor,
    onReveal: (id) => host.postMessage({ type: "reveal", nodeId: id }),
    explain: (entry) => lessons.explain(entry),
    extra: valuesSection(nodeId),
  }));
}

/** A command asked for a teaching view (Explain Entry, Show Descent). */
function teach(request: TeachRequest): void {
  if (request.kind === "explain") return lessons.explain(request.entry);
  if (request.kind === "sweep") select(request.node, false);
  if (request.kind !== "values") lessons.show(request.kind, true);
}

function receive(message: HostMessage): void {
  switch (message.type) {
    case "report":
      return show(message.report, viewOf(message.report));
    case "graph":
      return show(undefined, message.view);
    case "busy":
      return showBanner(message.message, "busy");
    case "error":
      return showBanner(message.message, "error");
    case "select":
      return select(message.nodeId, false);
    case "taught":
      return teacher.receive(message.request, message.answer);
    case "teach":
      return teach(message.request);
  }
}

window.addEventListener("message", (e: MessageEvent<unknown>) => {
  if (isHostMessage(e.data)) receive(e.data);
});

// Re-draw the graph in Mermaid's other theme when VS Code or the OS switches light/dark.
let bodyClass = document.body.className;
new MutationObserver(() => {
  if (document.body.className === bodyClass) return;
  bodyClass = document.body.className;
  if (state.view) void graph.render(state.view, graph.currentZoom);
}).observe(document.body, { attributes: true, attributeFilter: ["class"] });
window.matchMedia?.("(prefers-color-scheme: dark)").addEventListener("change", () => {
  if (state.view) void graph.render(state.view, graph.currentZoom);
});

// --- start -----------------------------------------------------------------

const embedded = document.getElementById("gradlens-report");
const embeddedLesson = document.getElementById("gradlens-lesson");
if (state.view) {
  show(state.report, state.view, true);
} else if (embedded?.textContent) {
  try {
    const report = JSON.parse(embedded.textContent) as Report;
    const lesson = embeddedLesson?.textContent ? (JSON.parse(embeddedLesson.textContent) as Lesson) : undefined;
    show(report, viewOf(report), false, lesson);
  } catch (err) {
    showBanner(`The embedded report could not be read: ${err instanceof Error ? err.message : String(err)}`, "error");
  }
}
host.postMessage({ type: "ready" });
