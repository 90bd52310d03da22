// The README's table of built-in ops, made from the op registry (name, summary,
// attributes, formula) as the JSON Schema is: `npm run gen-docs` writes it between
// the marker comments in README.md, and test/node/docs.test.ts keeps it current.
import type { OpDef } from "../src/engine/op.js";

export const BEGIN = "<!-- ops:begin — generated from the op registry by `npm run gen-docs`; edit the ops' summary and formula instead -->";
export const END = "<!-- ops:end -->";

/** A table cell: a `|` would end the cell. */
const cell = (text: string): string => text.replace(/\|/g, "\\|");

/** "units, bias?": every attribute, `?` after the optional ones. */
function attributes(op: OpDef): string {
  const names = Object.entries(op.attrs ?? {}).map(([name, spec]) => (spec.required ? name : `${name}?`));
  return names.length ? names.join(", ") : "—";
}

export function opTable(ops: readonly OpDef[]): string {
  const rows = ops.map((op) => `| \`${op.name}\` | ${cell(op.summary ?? "")} | ${cell(attributes(op))} | ${cell(op.formula ?? "")} |`);
  return ["| op | what | attributes | derivative |", "|---|---|---|---|", ...rows].join("\n");
}

/** The README with the text between the markers replaced by the table; throws if a marker is missing. */
export function withOpTable(readme: string, table: string): string {
  const begin = readme.indexOf(BEGIN), end = readme.indexOf(END);
  if (begin < 0 || end < begin) throw new Error(`README.md needs the markers ${BEGIN} … ${END}`);
  return `${readme.slice(0, begin + BEGIN.length)}\n\n${table}\n\n${readme.slice(end)}`;
}
