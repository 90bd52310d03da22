/**
 * `.gradnet.json` text → a parse tree that remembers where every value is.
 *
 * jsonc-parser gives offsets for every node; this file turns its error codes
 * into sentences a person can act on, and paths like ["nodes", 2, "units"] into
 * 1-based line:column. Comments are allowed (the file is JSONC); trailing commas
 * are not, so the file stays readable by any JSON tool.
 */
import { findNodeAtLocation, parseTree, printParseErrorCode, type Node, type ParseError } from "jsonc-parser";
import type { SpecPath } from "../engine/network.js";
import { ConfigError, type SourceLocation } from "./errors.js";

/** Offsets → 1-based line and column. */
export class LineIndex {
  private readonly starts: number[] = [0];

  constructor(readonly text: string) {
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      // \n, \r\n and a lone \r each end a line.
      if (c === 10 || (c === 13 && text.charCodeAt(i + 1) !== 10)) this.starts.push(i + 1);
    }
  }

  position(offset: number): { line: number; column: number } {
    let lo = 0;
    let hi = this.starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.starts[mid] <= offset) lo = mid;
      else hi = mid - 1;
    }
    return { line: lo + 1, column: offset - this.starts[lo] + 1 };
  }

  span(offset: number, length: number): SourceLocation {
    const start = this.position(offset);
    const end = this.position(offset + length);
    return { line: start.line, column: start.column, endLine: end.line, endColumn: end.column, offset, length };
  }
}

export type Target = "value" | "key";

export interface ParsedJson {
  text: string;
  root: Node;
  /** The plain value (what JSON.parse would give). */
  value: unknown;
  lines: LineIndex;
  /**
   * Where a path points: the value, or with target "key" the property name.
   * A path that does not fully exist falls back to its nearest existing ancestor.
   */
  locate(path: SpecPath, target?: Target): SourceLocation;
}

export function parseJsonText(text: string, file: string): ParsedJson {
  const errors: ParseError[] = [];
  const root = parseTree(text, errors, { disallowComments: false, allowTrailingComma: false, allowEmptyContent: false });
  const lines = new LineIndex(text);
  if (errors.length > 0 || !root) {
    // Later errors are usually echoes of the first one: report only that.
    const first = errors.sort((a, b) => a.offset - b.offset)[0];
    if (!first) throw new ConfigError("the file is empty: expected a network object", file, lines.span(0, 0));
    const rootEnd = root ? root.offset + root.length : Infinity;
    const { message, offset, length } = first.offset >= rootEnd && text.slice(first.offset).trim() !== ""
      ? { message: `unexpected ${quote(text.slice(first.offset, first.offset + Math.max(first.length, 1)))} after the end of the network object: expected the end of the file`, offset: first.offset, length: first.length }
      : describeSyntaxError(text, first, lines);
    throw new ConfigError(message, file, lines.span(offset, length));
  }
  const duplicate = findDuplicateKey(root);
  if (duplicate) {
    throw new ConfigError(`duplicate key "${duplicate.children![0].value}": a key may appear only once in an object`, file,
      lines.span(duplicate.children![0].offset, duplicate.children![0].length));
  }
  const value = toValue(root);
  const locate = (path: SpecPath, target: Target = "value"): SourceLocation => {
    const node = nodeAt(root, path, target);
    return lines.span(node.offset, node.length);
  };
  return { text, root, value, lines, locate };
}

/** The tree node a path names (its value, or its key), else the nearest ancestor that exists. */
export function nodeAt(root: Node, path: SpecPath, target: Target = "value"): Node {
  for (let n = path.length; n >= 0; n--) {
    const node = findNodeAtLocation(root, path.slice(0, n));
    if (!node) continue;
    // A key is only meaningful for the full path and an object property.
    if (target === "key" && n === path.length && node.parent?.type === "property" && node.parent.children?.[0]) {
      return node.parent.children[0];
    }
    return node;
  }
  return root;
}

/** The plain value of a tree, keys in file order (like JSON.parse, without __proto__ surprises). */
function toValue(node: Node): unknown {
  switch (node.type) {
    case "object": {
      const out: Record<string, unknown> = Object.create(null);
      for (const prop of node.children ?? []) {
        const [key, value] = prop.children ?? [];
        if (key && value) out[key.value as string] = toValue(value);
      }
      // A normal prototype, so the result behaves like any other object.
      return Object.assign({}, out);
    }
    case "array":
      return (node.children ?? []).map(toValue);
    default:
      return node.value;
  }
}

/** The second occurrence of a key in some object, if any (JSON.parse would silently keep the last). */
function findDuplicateKey(node: Node): Node | undefined {
  if (node.type === "object") {
    const seen = new Set<string>();
    for (const prop of node.children ?? []) {
      const key = prop.children?.[0]?.value as string;
      if (seen.has(key)) return prop;
      seen.add(key);
    }
  }
  for (const child of node.children ?? []) {
    const found = findDuplicateKey(child);
    if (found) return found;
  }
  return undefined;
}

function describeSyntaxError(text: string, error: ParseError, lines: LineIndex): { message: string; offset: number; length: number } {
  const before = text.slice(0, error.offset).replace(/(\s|\/\/[^\n]*|\/\*[\s\S]*?\*\/)*$/, "");
  // A trailing comma is reported at the comma, where the fix is.
  if (before.endsWith(",") && /^\s*[}\]]/.test(text.slice(error.offset)) &&
      ["PropertyNameExpected", "ValueExpected"].includes(printParseErrorCode(error.error))) {
    const closer = text.slice(error.offset).trimStart()[0];
    return { message: `trailing comma before '${closer}': remove the comma`, offset: before.length - 1, length: 1 };
  }
  return { message: syntaxMessage(text, error, lines), offset: error.offset, length: error.length };
}

function syntaxMessage(text: string, error: ParseError, lines: LineIndex): string {
  const atEnd = text.slice(error.offset).trim() === "";
  const here = text.slice(error.offset, error.offset + Math.max(error.length, 1));
  const unclosed = () => {
    const open = innermostUnclosed(text, error.offset);
    if (!open) return "";
    const where = lines.position(open.offset);
    const what = open.char === "{" ? "the object" : "the array";
    return `: ${what} opened at line ${where.line}, column ${where.column} is not closed with '${open.char === "{" ? "}" : "]"}'`;
  };
  switch (printParseErrorCode(error.error)) {
    case "InvalidSymbol":
      return here.startsWith("'")
        ? `single quotes in ${text.slice(error.offset, error.offset + Math.min(error.length, 20))}: JSON strings and keys need double quotes`
        : `unexpected ${quote(text.slice(error.offset, error.offset + error.length))}: expected a JSON value`;
    case "InvalidNumberFormat":
      return `invalid number ${quote(here)}`;
    case "PropertyNameExpected":
      if (atEnd) return `unexpected end of file${unclosed()}`;
      return `expected a property name in double quotes, got ${quote(here)}`;
    case "ValueExpected":
      if (atEnd) return `unexpected end of file: expected a value${unclosed() ? ";" + unclosed().slice(1) : ""}`;
      return `expected a value, got ${quote(here)}`;
    case "ColonExpected":
      return atEnd ? `unexpected end of file${unclosed()}` : `expected ':' after the property name, got ${quote(here)}`;
    case "CommaExpected":
      return atEnd ? `unexpected end of file${unclosed()}` : `expected a comma before ${quote(here)}`;
    case "CloseBraceExpected":
      return atEnd ? `unexpected end of file${unclosed()}` : `expected a comma or '}', got ${quote(here)}`;
    case "CloseBracketExpected":
      return atEnd ? `unexpected end of file${unclosed()}` : `expected a comma or ']', got ${quote(here)}`;
    case "EndOfFileExpected":
      return `unexpected ${quote(here)} after the end of the network object: expected the end of the file`;
    case "InvalidCommentToken":
      return "invalid comment";
    case "UnexpectedEndOfComment":
      return "unexpected end of file inside a /* comment */: close it with '*/'";
    case "UnexpectedEndOfString":
      return "unterminated string: close it with '\"' on the same line";
    case "UnexpectedEndOfNumber":
      return `incomplete number ${quote(here)}`;
    case "InvalidUnicode":
      return "invalid \\u escape: expected four hex digits";
    case "InvalidEscapeCharacter":
      return "invalid escape in string: use \\\\, \\\", \\n, \\t, \\/, \\b, \\f, \\r or \\uXXXX";
    case "InvalidCharacter":
      return "invalid character in string: control characters such as tabs and newlines must be escaped";
    default:
      return "invalid JSON";
  }
}

function quote(s: string): string {
  const shown = s.length > 20 ? s.slice(0, 20) + "…" : s;
  return `'${shown.replace(/\n/g, "\\n")}'`;
}

/** The innermost '{' or '[' still open at `end`, skipping strings and comments. */
function innermostUnclosed(text: string, end: number): { char: string; offset: number } | undefined {
  const stack: { char: string; offset: number }[] = [];
  for (let i = 0; i < end; i++) {
    const c = text[i];
    if (c === '"') {
      for (i++; i < end && text[i] !== '"' && text[i] !== "\n"; i++) if (text[i] === "\\") i++;
    } else if (c === "/" && text[i + 1] === "/") {
      while (i < end && text[i] !== "\n") i++;
    } else if (c === "/" && text[i + 1] === "*") {
      const close = text.indexOf("*/", i + 2);
      i = close < 0 ? end : close + 1;
    } else if (c === "{" || c === "[") {
      stack.push({ char: c, offset: i });
    } else if (c === "}" || c === "]") {
      stack.pop();
    }
  }
  return stack[stack.length - 1];
}
