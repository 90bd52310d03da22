/**
 * A bad network file, reported the way compilers do: `FILE:LINE:COL: error: message`,
 * pointing at the offending value. Lines and columns are 1-based; columns count
 * UTF-16 code units, as editors do.
 */
export interface SourceLocation {
  line: number;
  column: number;
  endLine: number;
  endColumn: number;
  /** 0-based offset into the text, and the length of the located span. */
  offset: number;
  length: number;
}

export class ConfigError extends Error {
  readonly file: string;
  readonly line: number;
  readonly column: number;
  readonly endLine?: number;
  readonly endColumn?: number;

  constructor(message: string, file: string, at: Partial<SourceLocation> & { line: number; column: number }) {
    super(clipMessage(message));
    this.name = "ConfigError";
    this.file = file;
    this.line = at.line;
    this.column = at.column;
    this.endLine = at.endLine;
    this.endColumn = at.endColumn;
  }

  format(): string {
    return `${this.file}:${this.line}:${this.column}: error: ${this.message}`;
  }
}

/**
 * Several problems found at once (the editor shows them all). It is itself the
 * first of them, so a caller that reports one error (the CLI) needs no special case.
 */
export class ConfigErrors extends ConfigError {
  readonly errors: ConfigError[];

  constructor(errors: ConfigError[]) {
    const first = errors[0];
    super(first.message, first.file, first);
    this.name = "ConfigErrors";
    this.errors = errors;
  }
}

/** Throw one error as itself, several as ConfigErrors (in file order). */
export function throwAll(errors: ConfigError[]): never {
  const sorted = [...errors].sort((a, b) => a.line - b.line || a.column - b.column);
  throw sorted.length === 1 ? sorted[0] : new ConfigErrors(sorted);
}

/** All the problems an error stands for: `errors` of ConfigErrors, else itself. */
export function allErrors(e: ConfigError): ConfigError[] {
  return e instanceof ConfigErrors ? e.errors : [e];
}

/** Longest word a message shows whole, and longest message (a file may hold a million-character name). */
const MAX_WORD = 80;
const MAX_MESSAGE = 1000;

/** Shortens what a hostile file can make huge: one very long name, or a list of thousands of names. */
export function clipMessage(message: string): string {
  const cut = (s: string, n: number) => s.slice(0, /[\ud800-\udbff]/.test(s[n - 1] ?? "") ? n - 1 : n); // not inside a surrogate pair
  // The word's closing punctuation (a quote, a semicolon) stays: "'aaaa…(1000003 characters)';".
  let out = message.replace(/\S{120,}/g, (word) => `${cut(word, MAX_WORD)}…(${word.length} characters)${/[^\p{L}\p{N}]{0,3}$/u.exec(word)![0]}`);
  if (out.length > MAX_MESSAGE) out = `${cut(out, MAX_MESSAGE)}… (${out.length - MAX_MESSAGE} more characters)`;
  return out;
}
