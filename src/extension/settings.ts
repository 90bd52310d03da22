/**
 * The `gradlens.*` settings, read fresh for every check (so a change applies at once).
 */
import * as vscode from "vscode";
import type { CheckMode } from "../engine/report.js";

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
  const mode = c.get<string>("mode", "auto");
  return {
    mode: mode === "exhaustive" || mode === "sampled" || mode === "fast" ? mode : "auto",
    rtol: positive("rtol", 1e-3),
    atol: Math.max(0, c.get<number>("atol", 1e-5) ?? 1e-5),
    step: positive("step", 1e-6),
    jacobianLimit: Math.floor(positive("jacobianLimit", 65536)),
    userCodeTimeoutSeconds: positive("userCodeTimeoutSeconds", 30),
    maxMemoryMb: positive("maxMemoryMb", 512),
    checkOnSave: c.get<boolean>("checkOnSave", false) === true,
  };
}
