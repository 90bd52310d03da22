/**
 * The default tolerances, step and limits: one place for the engine's
 * DEFAULT_OPTIONS, the CLI, the worker client and the extension's fallbacks.
 * package.json's `contributes.configuration` cannot import this, so
 * test/node/architecture.test.ts asserts that its defaults are these.
 */
export const DEFAULTS = {
  /** An entry passes when |a − n| ≤ atol + rtol·|n|. */
  rtol: 1e-3,
  atol: 1e-5,
  /** Finite-difference step h of (f(x+h) − f(x−h)) / 2h. */
  step: 1e-6,
  /** "auto": exhaustive below the limits, sampled above. */
  mode: "auto",
  /** A local Jacobian with more entries than this is sampled. */
  jacobianLimit: 65536,
  /** In auto mode, an end-to-end gradient with more entries than this is sampled. */
  gradientLimit: 4096,
  /** Entries per tensor in sampled mode. */
  samples: 64,
  /** A network needing more MiB than this (tensors, gradients, Jacobians) is refused up front. */
  maxMemoryMb: 512,
  /** Time limit for a run that executes user code. */
  timeoutSeconds: 30,
  /** The interpreter for Python layers when none is named (`--python`, `gradlens.pythonPath`, the Python extension's). */
  python: "python3",
} as const;

/**
 * What a refused network is told to do about the memory limit. The engine
 * names no flag or setting (it is told these by its caller); this wording
 * names the CLI's flags and the API's option, as the CLI and the extension
 * have always shown it.
 */
export const LIMIT_HINTS = {
  raiseLimit: "raise the limit with --max-memory MB (or the maxMemoryMb option) if this machine has the memory",
  fewerEntries: "Check fewer entries (--mode sampled or --mode fast, a smaller --jacobian-limit)",
} as const;
