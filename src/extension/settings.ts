/**
 * The `gradlens.*` settings, read fresh for every check (so a change applies at once).
 */
import * as vscode from "vscode";
import type { CheckMode } from "../shared/report.js";
import { DEFAULTS } from "../shared/defaults.js";

export interface CheckSettings {
  /** "auto" leaves the choice to the engine (exhaustive below jacobianLimit, else sampled). */
  mode: CheckMode | "auto";
  rtol: number;
  atol: number;
  step: number;
  jacobianLimit: number;
  userCodeTimeoutSeconds: number;
  /** Refuse networks needing more than this many MiB (tensors, gradients, Jacobians). */
  maxMemoryMb: number;
  checkOnSave: boolean;
}

export function readSettings(scope?: vscode.Uri): CheckSettings {
  const c = vscode.workspace.getConfiguration("gradlens", scope);
  const positive = (key: string, fallback: number): number => {
    const v = c.get<number>(key, fallback);
    return typeof v === "number" && Number.isFinite(v) && v > 0 ? v : fallback;
  };
  const mode = c.get<string>("mode", DEFAULTS.mode);
  return {
    mode: mode === "exhaustive" || mode === "sampled" || mode === "fast" ? mode : "auto",
    rtol: positive("rtol", DEFAULTS.rtol),
    atol: Math.max(0, c.get<number>("atol", DEFAULTS.atol) ?? DEFAULTS.atol),
    step: positive("step", DEFAULTS.step),
    jacobianLimit: Math.floor(positive("jacobianLimit", DEFAULTS.jacobianLimit)),
    userCodeTimeoutSeconds: positive("userCodeTimeoutSeconds", DEFAULTS.timeoutSeconds),
    maxMemoryMb: positive("maxMemoryMb", DEFAULTS.maxMemoryMb),
    checkOnSave: c.get<boolean>("checkOnSave", false) === true,
  };
}
