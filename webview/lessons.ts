/**
 * The lower half of the panel as tabs: Details (the mismatch table and the
 * selected node), Explain (the chain for a clicked entry), Descent (both loss
 * curves) and Step size (the selected node's sweep). Each teaching tab shows
 * what the Teacher has, "computing…" while the host works, or why there is nothing.
 */
import { DESCENT_DEFAULTS, type TeachAnswer, type TeachRequest } from "../src/shared/teach.js";
import type { WebviewState } from "../src/shared/protocol.js";
import { h, replace } from "./dom.js";
import { renderExplanation } from "./explain-view.js";
import { renderDescent, renderSweep } from "./plots.js";
import type { Teacher } from "./teacher.js";

export type Tab = NonNullable<WebviewState["tab"]>;

const TABS: { id: Tab; label: string }[] = [
  { id: "details", label: "Details" }, { id: "explain", label: "Explain" }, { id: "descent", label: "Descent" }, { id: "sweep", label: "Step size" },
];

export interface LessonsOptions {
  teacher: Teacher;
  /** The loss node (its output is L), and the selected node. */
  output(): string;
  selected(): string | undefined;
  onSelectNode(id: string): void;
  onTab(tab: Tab): void;
  onShown(view: "explain" | "descent" | "sweep", subject?: string): void;
  /** Whether the host can compute (inside VS Code): the descent can be run again with other settings. */
  canAsk: boolean;
}

export class Lessons {
  readonly element: HTMLElement;
  private readonly buttons = new Map<Tab, HTMLButtonElement>();
  private readonly panes = new Map<Tab, HTMLElement>();
  private tab: Tab = "details";
  explained: string | undefined;
  private descentAsked: TeachRequest = { kind: "descent" };

  constructor(details: HTMLElement[], private readonly o: LessonsOptions) {
    const bar = h("div", { class: "tabs", role: "tablist" });
    for (const t of TABS) {
      const b = h("button", { type: "button", role: "tab", class: "tab", "data-tab": t.id, "aria-selected": "false" }, t.label);
      b.addEventListener("click", () => this.show(t.id, true));
      this.buttons.set(t.id, b);
      bar.append(b);
      this.panes.set(t.id, h("div", { class: `tab-pane pane-${t.id}`, role: "tabpanel", hidden: true }));
    }
    replace(this.panes.get("details")!, ...details);
    this.element = h("section", { class: "lessons" }, bar, ...this.panes.values());
    this.show("details", false);
  }

  get current(): Tab {
    return this.tab;
  }

  /** Open a tab; a teaching tab asks for what it shows. */
  show(tab: Tab, fromUser: boolean): void {
    this.tab = tab;
    for (const [id, b] of this.buttons) b.setAttribute("aria-selected", String(id === tab));
    for (const [id, p] of this.panes) p.hidden = id !== tab;
    if (fromUser) this.o.onTab(tab);
    this.refresh();
  }

  explain(entry: string): void {
    this.explained = entry;
    this.show("explain", true);
  }

  /** Draw the open teaching tab again (a new selection, a new answer, a new report). */
  refresh(): void {
    if (this.tab === "explain") this.fill("explain", this.explained ? { kind: "explain", entry: this.explained } : undefined,
      "Click an entry of a gradient (its heatmap cell or a row of its worst entries) to see the chain rule for it.");
    else if (this.tab === "descent") this.fill("descent", this.descentAsked);
    else if (this.tab === "sweep") {
      const node = this.o.selected();
      this.fill("sweep", node ? { kind: "sweep", node } : undefined, "Select a node to see its step-size plot.");
    }
  }

  answered(r: TeachRequest): void {
    if (r.kind === this.tab || (r.kind === "explain" && this.tab === "explain")) this.refresh();
  }

  private fill(tab: "explain" | "descent" | "sweep", r: TeachRequest | undefined, none = ""): void {
    const pane = this.panes.get(tab)!;
    const controls = tab === "descent" && this.o.canAsk ? this.descentControls() : null;
    if (!r) return replace(pane, h("p", { class: "muted" }, none));
    const answer = this.o.teacher.ask(r);
    if (!answer) return replace(pane, controls, h("p", { class: "computing" }, `Computing ${what(r)} in the worker…`));
    replace(pane, controls, this.render(answer));
    if (answer.kind !== "error") this.o.onShown(tab, r.kind === "explain" ? r.entry : r.kind === "sweep" ? r.node : undefined);
  }

  private render(a: TeachAnswer): HTMLElement {
    switch (a.kind) {
      case "explain": return renderExplanation(a.explanation, { output: this.o.output(), onSelectNode: (id) => this.o.onSelectNode(id) });
      case "descent": return renderDescent(a.descent);
      case "sweep": return renderSweep(a.sweep);
      case "values": return h("p", {}, "");
      case "error": return h("p", { class: "teach-error" }, a.message);
    }
  }

  private descentControls(): HTMLElement {
    const r = this.descentAsked as Extract<TeachRequest, { kind: "descent" }>;
    const steps = h("input", { type: "number", min: 1, max: 1000, step: 1, value: r.steps ?? DESCENT_DEFAULTS.steps, "aria-label": "steps", class: "descent-steps" });
    const lr = h("input", { type: "number", min: 0, step: "any", value: r.lr ?? DESCENT_DEFAULTS.lr, "aria-label": "learning rate α", class: "descent-lr" });
    const run = h("button", { type: "button", class: "primary" }, "Run");
    run.addEventListener("click", () => {
      const s = Number(steps.value), a = Number(lr.value);
      if (!(Number.isInteger(s) && s >= 0 && a > 0)) return;
      this.descentAsked = { kind: "descent", ...(s !== DESCENT_DEFAULTS.steps ? { steps: s } : {}), ...(a !== DESCENT_DEFAULTS.lr ? { lr: a } : {}) };
      this.refresh();
    });
    return h("div", { class: "descent-controls" }, h("label", {}, "steps ", steps), h("label", {}, "learning rate α ", lr), run);
  }
}

function what(r: TeachRequest): string {
  switch (r.kind) {
    case "explain": return `the chain for ${r.entry}`;
    case "descent": return "both descents";
    case "sweep": return `the step-size sweep of ${r.node}`;
    case "values": return "the node values";
  }
}
