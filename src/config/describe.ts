/**
 * The editor's view of a JSON network as the user types it (hover, the
 * Problems panel, a panel opened before any check): its graph with shapes and
 * parameter sizes, or every problem in the text. In the extension host's own
 * thread and without running user code, so only `.gradnet.json`.
 *
 * The one door the editor goes through to read a network's structure: today
 * it builds the whole graph (loadNetworkText); a shape-only build, which
 * allocates no parameter or input values, replaces that here alone.
 */
import { describeGraph } from "../engine/graph.js";
import type { GraphView } from "../shared/report.js";
import { ConfigError, allErrors } from "./errors.js";
import { loadNetworkText, type LoadOptions } from "./load.js";

export interface NetworkDescription {
  /** The graph with each node's location in the file (line, column); undefined when the text has problems. */
  view?: GraphView;
  /** What is wrong with the text, at its places (empty when `view` is there). */
  errors: ConfigError[];
}

/** Problems in the user's text come back in `errors`; anything else thrown is a bug of ours and is rethrown. */
export function describeNetworkText(text: string, file: string, options: LoadOptions = {}): NetworkDescription {
  let loaded;
  try {
    loaded = loadNetworkText(text, file, options);
  } catch (e) {
    if (e instanceof ConfigError) return { errors: allErrors(e) };
    throw e;
  }
  const view = describeGraph(loaded.graph);
  // Locations let the page offer "Go to definition" before any check ran.
  view.nodes.forEach((node, i) => {
    const at = loaded.locate(["nodes", loaded.graph.nodes[i].specIndex]);
    node.location = { file, line: at.line, column: at.column };
  });
  return { view, errors: [] };
}
