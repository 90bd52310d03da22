/** What a check can be asked to do, and its defaults. */
import type { Graph } from "../graph.js";
import type { CheckMode } from "../../shared/report.js";
import type { EndToEndEvaluator } from "../evaluate.js";

import type { LimitHints } from "../limits.js";
import { DEFAULTS } from "../../shared/defaults.js";

/** The report's `version` (package.json's, through src/shared). */
export { VERSION } from "../../shared/version.js";

export interface CheckOptions {
  /** "auto": exhaustive for tensors up to `gradientLimit` entries, sampled above. */
  mode: CheckMode | "auto";
  rtol: number;
  atol: number;
  /** Finite-difference step h. */
  step: number;
  /** Seed for sampling and random directions (default: the network's seed). */
  seed?: number;
  /** A local Jacobian with more entries than this is sampled. */
  jacobianLimit: number;
  /** In auto mode, an end-to-end gradient with more entries than this is sampled. */
  gradientLimit: number;
  /** Entries per tensor in sampled mode (rows and columns of a sampled Jacobian). */
  samples: number;
  local: boolean;
  endToEnd: boolean;
  /** Refuse (NetworkError at the node) a check whose tensors and Jacobians need more MiB than this (default 512). */
  maxMemoryMb?: number;
  /** What a refused check tells the user to do (the engine names no flag or setting of its callers). */
  limitHints?: LimitHints;
  onProgress?: (fraction: number, message: string) => void;
  /** A suspect entry (passes, far above its finite-difference error) fails the check (the CLI's --strict). */
  strict?: boolean;
  /** Check at this many seeded points (point 0: the network as given); fail if any fails (the CLI's --points N). */
  points?: number;
  /**
   * The network built at another seed, for --points (other inputs and
   * parameters). Default: buildGraph(graph.spec, { seed, file, name }); a
   * loader whose ops are not in the spec (a JSON network's "ops") passes its own.
   */
  rebuild?: (seed: number) => Graph;
  /**
   * The end-to-end evaluator. Default: IncrementalEvaluator, in this thread
   * (runTask, which the CLI and the extension run, passes one that also
   * splits the work across worker threads).
   */
  evaluator?: (graph: Graph) => EndToEndEvaluator;
}

export const DEFAULT_OPTIONS: CheckOptions = {
  mode: DEFAULTS.mode, rtol: DEFAULTS.rtol, atol: DEFAULTS.atol, step: DEFAULTS.step,
  jacobianLimit: DEFAULTS.jacobianLimit, gradientLimit: DEFAULTS.gradientLimit, samples: DEFAULTS.samples, local: true, endToEnd: true,
};
