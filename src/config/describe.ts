/**
 * The editor's view of a JSON network as the user types it (hover, the
 * Problems panel, a panel opened before any check): its graph with shapes and
 * parameter sizes, or every problem in the text. In the extension host's own
 * thread and without running user code, so only `.gradnet.json`.
 *
 * The one door the editor goes through to read a network's structure. It uses
 * the engine's shape-only build (describeNetwork): every check and shape of a
 * full build, the same errors at the same places, but no parameter or input
 * values are made — it runs at every keystroke on the extension host's thread.
 */
import { describeNetwork } from "../engine/graph.js";
import { NetworkError } from "../engine/network.js";
import type { GraphView } from "../shared/report.js";
import { ConfigError, allErrors } from "./errors.js";
import { buildOptions, hasUnloadedOps, locatedError, parseNetworkText, unknownOpErrors, type LoadOptions } from "./load.js";

export interface NetworkDescription {
  /** The graph with each node's location in the file (line, column); undefined when the text has problems, or custom ops ("ops") it cannot load. */
  view?: GraphView;
  /** What is wrong with the text, at its places (empty when `view` is there). */
  errors: ConfigError[];
}

/** Problems in the user's text come back in `errors`; anything else thrown is a bug of ours and is rethrown. */
export function describeNetworkText(text: string, file: string, options: LoadOptions = {}): NetworkDescription {
  let view: GraphView;
  let parsed;
  try {
    parsed = parseNetworkText(text, file);
    // Custom ops (TypeScript or Python) are loaded by a real check, never here: no graph, and no false error.
    if (hasUnloadedOps(parsed.spec, options)) return { errors: unknownOpErrors(parsed, file, options) };
    view = describeNetwork(parsed.spec, buildOptions(file, options));
  } catch (e) {
    if (e instanceof NetworkError && parsed) return { errors: [locatedError(e, file, parsed.locate)] };
    if (e instanceof ConfigError) return { errors: allErrors(e) };
    throw e;
  }
  // Locations let the page offer "Go to definition" before any check ran (node ids are unique).
  const nodes = parsed.spec.nodes;
  for (const node of view.nodes) {
    const at = parsed.locate(["nodes", nodes.findIndex((n) => n.id === node.id)]);
    node.location = { file, line: at.line, column: at.column };
  }
  return { view, errors: [] };
}
