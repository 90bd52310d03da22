/**
 * What a user's op handed back, checked: a custom op may return anything, and
 * the message names the op, the input and both shapes.
 */

/** A user's op returned something unusable (wrong shape or type). */
export class UserOpError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "UserOpError";
  }
}

/** A value in a few words, for "expected a tensor, got …". */
export function describeValue(v: unknown): string {
  if (v === null) return "null";
  if (v === undefined) return "undefined";
  if (typeof v !== "object") return typeof v;
  const t = v as { shape?: unknown; data?: unknown };
  if (Array.isArray(t.shape)) {
    const data = t.data instanceof Float64Array ? `Float64Array(${t.data.length})` : t.data === undefined ? "no data" : Object.prototype.toString.call(t.data).slice(8, -1);
    return `{ shape: ${JSON.stringify(t.shape)}, data: ${data} }`;
  }
  return Array.isArray(v) ? "an array" : "an object without a shape";
}
