/**
 * Where each node (and each `defineOp` custom op) is defined in a network file's
 * text, so hovers, diagnostics and "reveal" can point at it. Works on the
 * editor's current text, before any check ran and while it does not parse.
 *
 * JSON: jsonc-parser's tree (tolerant of errors). TypeScript: a small scanner
 * that skips strings and comments and matches braces; a network file is a data
 * literal plus some op definitions, so that is all the structure it needs.
 */
import { parseTree, findNodeAtLocation, type Node } from "jsonc-parser";

export interface Span {
  /** 0-based offsets into the text; end is exclusive. */
  start: number;
  end: number;
}

export interface NodeDefinition {
  id: string;
  /** The whole `{ ... }` of the node entry. */
  object: Span;
  /** The id's value (the string literal, quotes included). */
  idSpan: Span;
  /** The op as written: a built-in name, or (TS) the identifier of a defineOp value. */
  op?: string;
}

export interface OpDefinition {
  /** The `name` given to defineOp (what reports show as the node's op). */
  name: string;
  /** The variable the op is bound to (`const mySoftmax = defineOp(...)`), if any. */
  variable?: string;
  /** From `defineOp` to its closing parenthesis. */
  call: Span;
}

export interface Definitions {
  nodes: NodeDefinition[];
  ops: OpDefinition[];
  /** Network input names with the span of their key (JSON) or entry. */
  inputs: { id: string; span: Span }[];
}

export function findDefinitions(text: string, language: "json" | "ts"): Definitions {
  return language === "json" ? jsonDefinitions(text) : tsDefinitions(text);
}

/** The innermost node whose object contains the offset, or whose defineOp call does, or the input entry that does. */
export function definitionAt(defs: Definitions, offset: number):
  { node: NodeDefinition } | { op: OpDefinition } | { input: Definitions["inputs"][number] } | undefined {
  const inside = (s: Span) => s.start <= offset && offset <= s.end;
  const node = defs.nodes.filter((n) => inside(n.object))
    .sort((a, b) => (a.object.end - a.object.start) - (b.object.end - b.object.start))[0];
  if (node) return { node };
  const op = defs.ops.find((o) => inside(o.call));
  if (op) return { op };
  const input = defs.inputs.find((i) => inside(i.span));
  return input ? { input } : undefined;
}

// ---------------------------------------------------------------- JSON

function jsonDefinitions(text: string): Definitions {
  const root = parseTree(text, [], { disallowComments: false, allowTrailingComma: true });
  const out: Definitions = { nodes: [], ops: [], inputs: [] };
  if (!root) return out;
  const nodes = findNodeAtLocation(root, ["nodes"]);
  for (const entry of nodes?.type === "array" ? nodes.children ?? [] : []) {
    if (entry.type !== "object") continue;
    const idNode = property(entry, "id");
    if (idNode?.type !== "string") continue;
    const opNode = property(entry, "op");
    out.nodes.push({
      id: String(idNode.value),
      object: { start: entry.offset, end: entry.offset + entry.length },
      idSpan: { start: idNode.offset, end: idNode.offset + idNode.length },
      op: opNode?.type === "string" ? String(opNode.value) : undefined,
    });
  }
  const inputs = findNodeAtLocation(root, ["inputs"]);
  for (const prop of inputs?.type === "object" ? inputs.children ?? [] : []) {
    const key = prop.children?.[0];
    if (key) out.inputs.push({ id: String(key.value), span: { start: prop.offset, end: prop.offset + prop.length } });
  }
  return out;
}

function property(object: Node, key: string): Node | undefined {
  const prop = object.children?.find((p) => p.children?.[0]?.value === key);
  return prop?.children?.[1];
}

// ---------------------------------------------------------------- TypeScript

/** Marks which characters are code (not inside a string, template or comment) and pairs brackets. */
function scan(text: string): { code: Uint8Array; match: Map<number, number> } {
  const code = new Uint8Array(text.length);
  const match = new Map<number, number>();
  const stack: number[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i];
    const next = text[i + 1];
    if (c === "/" && next === "/") { const e = text.indexOf("\n", i); i = e < 0 ? text.length : e; continue; }
    if (c === "/" && next === "*") { const e = text.indexOf("*/", i + 2); i = e < 0 ? text.length : e + 2; continue; }
    if (c === '"' || c === "'" || c === "`") {
      let j = i + 1;
      while (j < text.length && text[j] !== c) {
        if (text[j] === "\\") j++;
        else if (c !== "`" && text[j] === "\n") break;
        j++;
      }
      i = j + 1;
      continue;
    }
    code[i] = 1;
    if (c === "{" || c === "(" || c === "[") stack.push(i);
    else if (c === "}" || c === ")" || c === "]") {
      const open = stack.pop();
      if (open !== undefined) match.set(open, i);
    }
    i++;
  }
  return { code, match };
}

function tsDefinitions(text: string): Definitions {
  const { code, match } = scan(text);
  const out: Definitions = { nodes: [], ops: [], inputs: [] };
  // Innermost `{` that encloses an offset.
  const opens = [...match.keys()].filter((o) => text[o] === "{").sort((a, b) => a - b);
  const enclosing = (offset: number): Span | undefined => {
    let best: Span | undefined;
    for (const o of opens) {
      if (o > offset) break;
      const e = match.get(o)!;
      if (e >= offset && (!best || o > best.start)) best = { start: o, end: e + 1 };
    }
    return best;
  };

  // Node entries: `id: "fc"` (or 'fc') as a property of an object.
  for (const m of text.matchAll(/\bid\s*:\s*(["'])([^"'\n]*)\1/g)) {
    const at = m.index!;
    if (!code[at]) continue;
    const object = enclosing(at);
    if (!object) continue;
    const body = text.slice(object.start, object.end);
    const op = /\bop\s*:\s*(?:(["'])([^"'\n]*)\1|([A-Za-z_$][\w$]*))/.exec(body);
    const quoteAt = at + m[0].length - m[2].length - 2;
    out.nodes.push({
      id: m[2], object, idSpan: { start: quoteAt, end: quoteAt + m[2].length + 2 },
      op: op ? op[2] ?? op[3] : undefined,
    });
  }

  // Custom ops: `const mySoftmax = defineOp({ name: "mySoftmax", ... })`.
  for (const m of text.matchAll(/\bdefineOp\s*(?:<[^>]*>)?\s*\(/g)) {
    const at = m.index!;
    if (!code[at]) continue;
    const paren = at + m[0].length - 1;
    const close = match.get(paren);
    if (close === undefined) continue;
    const body = text.slice(paren, close);
    const name = /\bname\s*:\s*(["'])([^"'\n]*)\1/.exec(body)?.[2];
    const variable = /(?:const|let|var)\s+([A-Za-z_$][\w$]*)\s*(?::[^=]+)?=\s*$/.exec(text.slice(Math.max(0, at - 200), at))?.[1];
    if (!name && !variable) continue;
    out.ops.push({ name: name ?? variable!, variable, call: { start: at, end: close + 1 } });
  }
  return out;
}
