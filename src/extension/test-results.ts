/**
 * One check's outcome told to a TestRun, item by item: a node or gradient that
 * passed, failed (a TestMessage whose expected/actual are the numeric and
 * analytic entries, at the backward that is wrong, its first line the diagnosis
 * in words), sat on a kink (passed, with a note) or was skipped; a network that
 * could not be checked is errored at the place its error points to.
 *
 * What each item was given is also kept (`TestOutcomes`), because VS Code
 * offers an extension no way to read a run's results back: the editor tests
 * read them through the extension's API, beside what the Testing view shows.
 */
import * as vscode from "vscode";
import type { Diagnosis, GradientReport, NodeReport, Report, SourceLocation, WorstEntry } from "../shared/report.js";
import { findDefinitions } from "./definitions.js";
import { isJsonNetwork } from "./files.js";
import { formatError, summarize, type CheckOutcome } from "./results.js";
import { parseItemId } from "./test-items.js";

/** What the Testing view was told about one item in the last run that reached it. */
export interface ItemOutcome {
  state: "passed" | "failed" | "errored" | "skipped";
  /** Each message's text (the first line is what the results list shows). */
  messages: string[];
  expected?: string;
  actual?: string;
  /** Where the (first) message points: file and 0-based line. */
  location?: { file: string; line: number };
  /** Output attached to the item (a kink's note). */
  output?: string;
}

export type TestOutcomes = Map<string, ItemOutcome>;

/** A node report as the check fills it in (issue 9 adds where a user op's backward is written). */
type CheckedNode = NodeReport & { backwardLocation?: Pick<SourceLocation, "file" | "line" | "column"> };

/** How a failing local Jacobian is wrong, in words: "∂p/∂fc is missing its off-diagonal terms". */
function jacobianWords(of: string, d: Diagnosis | undefined): string {
  switch (d?.kind) {
    case "sign": return `${of} has the wrong sign`;
    case "scale": return d.factor !== undefined ? `${of} is off by a factor of ${formatFactor(d.factor)}` : `${of} has the wrong scale`;
    case "transpose": return `${of} is transposed`;
    case "missing-off-diagonal": return `${of} is missing its off-diagonal terms (only the diagonal is right)`;
    case "zero": return `${of} is zero where it should not be`;
    case "non-finite": return `${of} has non-finite values (NaN or Infinity)`;
    case "non-deterministic": return "its backward is not deterministic (it gave different results on identical calls)";
    case "mismatch": case undefined: return `${of} does not match finite differences`;
    default: return `${of}: ${String(d?.kind)}`;
  }
}

function formatFactor(x: number): string {
  const r = Math.round(x);
  return Math.abs(x - r) < 1e-6 ? String(r) : Math.abs(1 / x - Math.round(1 / x)) < 1e-6 ? `1/${Math.round(1 / x)}` : x.toPrecision(3);
}

/** The first line of a failing node's message: "p: ∂p/∂fc is missing its off-diagonal terms (only the diagonal is right)". */
export function nodeHeadline(node: NodeReport): string {
  const failing = node.jacobians.find((j) => j.status === "fail");
  const of = failing ? `∂${node.id}/∂${failing.wrt}` : `the local Jacobian of ${node.id}`;
  return `${node.id}: ${jacobianWords(of, node.diagnosis ?? failing?.diagnosis)}`;
}

/** Worst entries as lines "∂p[0, 0]/∂fc[0, 1] = value", one per entry, for the expected/actual diff. */
function entryLines(entries: WorstEntry[], name: (e: WorstEntry) => string, value: (e: WorstEntry) => number): string {
  return entries.map((e) => `${name(e)} = ${value(e)}`).join("\n") + "\n";
}

const indexText = (index: number[]) => `[${index.join(", ")}]`;

/** Unravels a flat index into a shape's multi-index. */
function unravel(flat: number, shape: number[]): number[] {
  const out = new Array<number>(shape.length);
  for (let d = shape.length - 1; d >= 0; d--) {
    out[d] = shape[d] > 0 ? flat % shape[d] : 0;
    flat = shape[d] > 0 ? Math.floor(flat / shape[d]) : 0;
  }
  return out;
}

function nodeMessage(node: CheckedNode, locationOf: (node: CheckedNode) => vscode.Location | undefined): { message: vscode.TestMessage; outcome: ItemOutcome } {
  const failing = node.jacobians.find((j) => j.status === "fail");
  const d = node.diagnosis;
  const lines = [nodeHeadline(node)];
  if (d?.detail) lines.push(d.detail);
  lines.push(`Worst relative error ${formatError(node.maxRelError)}.`);
  if (node.message) lines.push(node.message);
  const text = lines.join("\n");
  let message: vscode.TestMessage;
  let expected: string | undefined, actual: string | undefined;
  if (failing && failing.worst.length > 0) {
    const name = (e: WorstEntry) => {
      const [r, c] = e.index;
      return `∂${node.id}${indexText(unravel(r, failing.outputShape))}/∂${failing.wrt}${indexText(unravel(c, failing.wrtShape))}`;
    };
    const wrong = failing.worst.filter((e) => e.status !== "pass");
    const shown = wrong.length ? wrong : failing.worst;
    expected = entryLines(shown, name, (e) => e.numeric);
    actual = entryLines(shown, name, (e) => e.analytic);
    message = vscode.TestMessage.diff(text, expected, actual);
  } else {
    message = new vscode.TestMessage(text);
  }
  const location = locationOf(node);
  if (location) message.location = location;
  return { message, outcome: { state: "failed", messages: [text], expected, actual, location: location && { file: location.uri.fsPath, line: location.range.start.line } } };
}

function gradientMessage(g: GradientReport, localFailure: NodeReport | undefined, location: vscode.Location | undefined): { message: vscode.TestMessage; outcome: ItemOutcome } {
  const lines = [`∂L/∂${g.name}: the end-to-end gradient does not match finite differences` + (g.diagnosis ? ` (${g.diagnosis.kind})` : "")];
  if (g.diagnosis?.detail) lines.push(g.diagnosis.detail);
  lines.push(`Worst relative error ${formatError(g.maxRelError)}; ${g.checked} of ${g.total} entries checked.`);
  if (localFailure) lines.push(`Node ${localFailure.id} fails its local check: gradients upstream of it are wrong too; fix it first.`);
  const text = lines.join("\n");
  const wrong = g.worst.filter((e) => e.status !== "pass");
  const shown = wrong.length ? wrong : g.worst;
  const name = (e: WorstEntry) => `∂L/∂${g.name}${indexText(e.index)}`;
  const expected = entryLines(shown, name, (e) => e.numeric), actual = entryLines(shown, name, (e) => e.analytic);
  const message = vscode.TestMessage.diff(text, expected, actual);
  if (location) message.location = location;
  return { message, outcome: { state: "failed", messages: [text], expected, actual, location: location && { file: location.uri.fsPath, line: location.range.start.line } } };
}

/** Where a node's failure is shown: the backward that is wrong (a user op's), else the node's entry. */
function failureLocation(uri: vscode.Uri, text: string | undefined, item: vscode.TestItem | undefined): (node: CheckedNode) => vscode.Location | undefined {
  const defs = text === undefined ? undefined : findDefinitions(text, isJsonNetwork(uri) ? "json" : "ts");
  return (node) => {
    if (node.backwardLocation) {
      const { file, line, column } = node.backwardLocation;
      return new vscode.Location(vscode.Uri.file(file), new vscode.Position(Math.max(0, line - 1), Math.max(0, column - 1)));
    }
    // Before issue 9's backwardLocation: a custom op defined in this file, at its `backward`.
    const op = defs?.ops.find((o) => o.name === node.op);
    if (op && text !== undefined) {
      const body = text.slice(op.call.start, op.call.end);
      const at = /\b(backward|jacobian)\s*[:(]/.exec(body);
      const offset = op.call.start + (at ? at.index : 0);
      const before = text.slice(0, offset);
      const line = before.split("\n").length - 1;
      return new vscode.Location(uri, new vscode.Position(line, offset - (before.lastIndexOf("\n") + 1)));
    }
    if (item?.range && item.uri) return new vscode.Location(item.uri, item.range);
    if (node.location) return new vscode.Location(vscode.Uri.file(node.location.file), new vscode.Position(node.location.line - 1, node.location.column - 1));
    return undefined;
  };
}

/**
 * Tells `run` what the check of one network came to, for `items` (the
 * network's item and the children the run asked for).
 */
export function reportOutcome(run: vscode.TestRun, network: vscode.TestItem, items: vscode.TestItem[], outcome: CheckOutcome,
  text: string | undefined, outcomes: TestOutcomes): void {
  const uri = network.uri!;
  const tell = (item: vscode.TestItem, o: ItemOutcome, messages: vscode.TestMessage[] = [], duration?: number) => {
    outcomes.set(item.id, o);
    if (o.state === "passed") run.passed(item, duration);
    else if (o.state === "skipped") run.skipped(item);
    else if (o.state === "failed") run.failed(item, messages, duration);
    else run.errored(item, messages, duration);
  };
  if (outcome.kind !== "report") {
    const summary = summarize(outcome).replace(/^\$\([\w-]+\) /, "");
    if (outcome.kind === "cancelled" || outcome.kind === "untrusted") {
      const why = outcome.kind === "untrusted" ? outcome.message : "the check was cancelled";
      run.appendOutput(`${network.label}: not checked: ${why}\r\n`, undefined, network);
      for (const item of items) tell(item, { state: "skipped", messages: [], output: why });
      return;
    }
    const message = new vscode.TestMessage(`${network.label}: ${summary}`);
    const line = "line" in outcome && outcome.line !== undefined ? outcome.line : undefined;
    const column = "column" in outcome && outcome.column !== undefined ? outcome.column : 1;
    if (line !== undefined) message.location = new vscode.Location(uri, new vscode.Position(line - 1, Math.max(0, column - 1)));
    const errored: ItemOutcome = { state: "errored", messages: [String(message.message)], location: line !== undefined ? { file: uri.fsPath, line: line - 1 } : undefined };
    // The network's item carries the error; children asked for on their own get it too.
    for (const item of items) tell(item, item === network || !items.includes(network) ? errored : { state: "skipped", messages: [], output: summary }, [message]);
    return;
  }
  const report = outcome.report;
  const locate = failureLocation(uri, text, undefined);
  const localFailure = report.nodes.find((n) => n.status === "fail");
  for (const item of items) {
    if (item === network) continue;
    const what = parseItemId(item.id);
    if (what.kind === "node") {
      const node = report.nodes.find((n) => n.id === what.id) as CheckedNode | undefined;
      if (!node) tell(item, { state: "skipped", messages: [], output: "not in the checked network (the file changed since)" });
      else if (node.status === "pass") tell(item, { state: "passed", messages: [] });
      else if (node.status === "skipped") {
        run.appendOutput(`${node.id}: skipped: ${node.message ?? "nothing to compare"}\r\n`, undefined, item);
        tell(item, { state: "skipped", messages: [], output: node.message });
      } else if (node.status === "kink") {
        const note = `${node.id} (${node.op}): the finite differences straddle a kink (a point where it is not differentiable, such as ReLU at 0); ` +
          "its value lies between the one-sided slopes, so it is not counted as a failure.";
        run.appendOutput(note + "\r\n", item.uri && item.range ? new vscode.Location(item.uri, item.range) : undefined, item);
        tell(item, { state: "passed", messages: [], output: note });
      } else {
        const { message, outcome: o } = nodeMessage(node, (n) => locate(n) ?? (item.uri && item.range ? new vscode.Location(item.uri, item.range) : undefined));
        tell(item, o, [message]);
      }
    } else if (what.kind === "gradient") {
      const g = report.gradients.find((x) => x.name === what.name);
      if (!g) tell(item, { state: "skipped", messages: [], output: "not in the checked network (the file changed since)" });
      else if (g.status === "pass") tell(item, { state: "passed", messages: [] });
      else if (g.status === "skipped") tell(item, { state: "skipped", messages: [], output: "nothing to compare" });
      else if (g.status === "kink") {
        const note = `∂L/∂${g.name}: some entries straddle a kink; not counted as failures.`;
        run.appendOutput(note + "\r\n", undefined, item);
        tell(item, { state: "passed", messages: [], output: note });
      } else {
        const { message, outcome: o } = gradientMessage(g, localFailure, item.uri && item.range ? new vscode.Location(item.uri, item.range) : undefined);
        tell(item, o, [message]);
      }
    }
  }
  if (!items.includes(network)) return;
  const failing = report.nodes.filter((n) => n.status === "fail").length + (localFailure ? 0 : report.gradients.filter((g) => g.status === "fail").length);
  if (report.ok) tell(network, { state: "passed", messages: [] }, [], report.timings.totalMs);
  else {
    const text = localFailure ? `${network.label}: ${failing} node${failing === 1 ? "" : "s"} with a wrong local gradient — ${nodeHeadline(localFailure)}`
      : `${network.label}: ${failing} end-to-end gradient${failing === 1 ? "" : "s"} wrong, though every node passes its local check (how gradients are combined?)`;
    const message = new vscode.TestMessage(text);
    tell(network, { state: "failed", messages: [text] }, [message], report.timings.totalMs);
  }
}
