/**
 * Which Python interpreter runs a network's Python layers (DESIGN.md): the
 * `gradlens.pythonPath` setting, else the interpreter selected in the Python
 * extension (`ms-python.python`, through its public API, when it is
 * installed), else `python3` on the PATH.
 *
 * The Python extension's API (`environments.getActiveEnvironmentPath` and
 * `resolveEnvironment`, as `@vscode/python-extension` declares them) is read
 * defensively: an extension that is missing, fails to activate, answers slowly
 * or has another shape means "no interpreter from there", never a failed check.
 */
import * as vscode from "vscode";
import { DEFAULTS } from "../shared/defaults.js";

export const PYTHON_EXTENSION_ID = "ms-python.python";
/** Longest wait for the Python extension to activate and resolve its interpreter. */
const PYTHON_EXTENSION_MS = 10_000;

/** Where the interpreter came from: shown in the output channel with the check. */
export type InterpreterSource = "setting" | "python-extension" | "default";

export async function pythonInterpreter(resource: vscode.Uri): Promise<{ python: string; source: InterpreterSource }> {
  const setting = vscode.workspace.getConfiguration("gradlens", resource).get<string>("pythonPath", "");
  if (typeof setting === "string" && setting.trim() !== "") return { python: expandHome(setting.trim()), source: "setting" };
  const selected = await pythonExtensionInterpreter(resource);
  if (selected) return { python: selected, source: "python-extension" };
  return { python: DEFAULTS.python, source: "default" };
}

/** The parts of the Python extension's API read here (`@vscode/python-extension`'s PythonExtension). */
interface EnvironmentsApi {
  getActiveEnvironmentPath(resource?: vscode.Uri): { id?: string; path?: string } | undefined;
  resolveEnvironment?(environment: unknown): Promise<{ executable?: { uri?: vscode.Uri } } | undefined>;
}

async function pythonExtensionInterpreter(resource: vscode.Uri): Promise<string | undefined> {
  const extension = vscode.extensions.getExtension<{ environments?: Partial<EnvironmentsApi> }>(PYTHON_EXTENSION_ID);
  if (!extension) return undefined;
  try {
    const api = extension.isActive ? extension.exports : await within(extension.activate());
    const environments = api?.environments;
    if (typeof environments?.getActiveEnvironmentPath !== "function") return undefined;
    const active = environments.getActiveEnvironmentPath(resource);
    if (!active) return undefined;
    const resolved = typeof environments.resolveEnvironment === "function" ? await within(environments.resolveEnvironment(active)) : undefined;
    const executable = resolved?.executable?.uri?.fsPath;
    if (executable) return executable;
    // An unresolved environment's path is its interpreter, unless it names a folder (a conda prefix).
    return typeof active.path === "string" && /python[\d.]*(\.exe)?$/i.test(active.path) ? active.path : undefined;
  } catch {
    return undefined;
  }
}

function within<T>(promise: Thenable<T>): Promise<T | undefined> {
  return Promise.race([Promise.resolve(promise), new Promise<undefined>((resolve) => setTimeout(() => resolve(undefined), PYTHON_EXTENSION_MS))]);
}

function expandHome(path: string): string {
  const home = process.env.HOME ?? process.env.USERPROFILE;
  return home && (path === "~" || path.startsWith("~/")) ? home + path.slice(1) : path;
}
