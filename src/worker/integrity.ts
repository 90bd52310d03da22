/**
 * Whether a warm worker thread is still clean after a check that ran user code
 * (a .gradnet.ts, or a JSON network's "ops" module), so that the next check
 * may run in it: the user's module runs again at every check, but anything it
 * did to the thread itself would carry over. A thread is not reused when user
 * code left timers or handles behind (a setInterval at its top level would go
 * on running between checks), or replaced a standard function the engine or a
 * later network relies on (Math.exp, Array.prototype.map, Float64Array…).
 * Best effort, not a sandbox: the thread is the workspace's own, and what user
 * code could do to it, it could do to a fresh one too; this keeps one network's
 * changes out of the next check.
 */

/** Objects whose own function-valued properties a check relies on. */
function roots(): [string, object][] {
  const typedArray = Object.getPrototypeOf(Float64Array.prototype) as object;
  return [
    ["globalThis", globalThis], ["Math", Math], ["JSON", JSON], ["Object", Object], ["Array", Array], ["Number", Number],
    ["String", String], ["Reflect", Reflect], ["Promise", Promise], ["Float64Array", Float64Array],
    ["Object.prototype", Object.prototype], ["Function.prototype", Function.prototype], ["Array.prototype", Array.prototype],
    ["TypedArray", Object.getPrototypeOf(Float64Array) as object], ["TypedArray.prototype", typedArray],
    ["Float64Array.prototype", Float64Array.prototype], ["Number.prototype", Number.prototype], ["String.prototype", String.prototype],
    ["Map.prototype", Map.prototype], ["Set.prototype", Set.prototype], ["Promise.prototype", Promise.prototype],
  ];
}

export interface Baseline {
  /** "Math.exp" → the function it was. */
  functions: Map<string, unknown>;
  /** Active handles and requests by kind (process.getActiveResourcesInfo). */
  resources: Map<string, number>;
}

function functionsNow(): Map<string, unknown> {
  const out = new Map<string, unknown>();
  for (const [name, object] of roots()) {
    for (const key of Reflect.ownKeys(object)) {
      const d = Reflect.getOwnPropertyDescriptor(object, key);
      // Data properties only: some of Node's globals are getters that replace themselves on first use.
      if (d && "value" in d && typeof d.value === "function") out.set(`${name}.${String(key)}`, d.value);
    }
  }
  return out;
}

function resourcesNow(): Map<string, number> {
  const counts = new Map<string, number>();
  for (const kind of process.getActiveResourcesInfo()) counts.set(kind, (counts.get(kind) ?? 0) + 1);
  return counts;
}

export function takeBaseline(): Baseline {
  return { functions: functionsNow(), resources: resourcesNow() };
}

/** The handles and requests active now: the baseline for the next check (after one found clean). */
export function refreshResources(baseline: Baseline): void {
  baseline.resources = resourcesNow();
}

/**
 * Why this thread should not run another check, or undefined when it is clean.
 * `checkResources: false` skips the handle count (a run that started esbuild,
 * whose WebAssembly runtime keeps timers of its own).
 */
export function pollution(baseline: Baseline, checkResources = true): string | undefined {
  const now = functionsNow();
  for (const [name, fn] of baseline.functions) {
    if (now.get(name) !== fn) return `the network's code replaced ${name}`;
  }
  if (!checkResources) return undefined;
  for (const [kind, count] of resourcesNow()) {
    const before = baseline.resources.get(kind) ?? 0;
    if (count > before && kind !== "MessagePort") return `the network's code left ${count - before} ${kind} handle(s) active`;
  }
  return undefined;
}
