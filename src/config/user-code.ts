/**
 * Where an error in the user's own code happened, in the user's own file.
 *
 * The TypeScript loader registers each bundle it runs (the name it ran under
 * and a mapper from bundle positions to the user's source positions); an
 * error's stack is searched for the first frame in such a bundle.
 */
import type { ErrorLocation } from "../engine/worker-protocol.js";

export type PositionMapper = (line: number, column: number) => ErrorLocation | undefined;

const bundles = new Map<string, PositionMapper>();

export function registerUserBundle(runName: string, mapper: PositionMapper): void {
  bundles.set(runName, mapper);
}

/** Errors thrown while user code runs; undefined when the error did not come from user code. */
export function describeUserError(e: unknown): { message: string; location?: ErrorLocation } | undefined {
  if (!(e instanceof Error) && !(typeof e === "object" && e !== null && "stack" in e)) {
    return bundles.size > 0 && e !== undefined ? { message: `user code threw ${String(e)}` } : undefined;
  }
  const err = e as Error;
  const stack = String(err.stack ?? "");
  for (const line of stack.split("\n")) {
    for (const [runName, mapper] of bundles) {
      const at = line.lastIndexOf(runName + ":");
      if (at < 0) continue;
      const m = /^:(\d+):(\d+)/.exec(line.slice(at + runName.length));
      if (!m) continue;
      const location = mapper(Number(m[1]), Number(m[2]));
      if (location) return { message: `${err.name && err.name !== "Error" ? err.name + ": " : ""}${err.message}`, location };
    }
  }
  return undefined;
}
