/**
 * Where a Python layer is written, read from the `.py` file's text without
 * running it (the editor's hover, also in Restricted Mode). The same rule the
 * runner resolves `file.py#name` by (src/worker/python/runner.py): a class
 * `name` deriving from a torch `Function`, else the pair `name_forward` /
 * `name_backward` (`name` may be `x_forward` itself). A scan of `def` and
 * `class` lines, not a parser: enough for a hover, and the report of a check
 * carries what the interpreter itself said.
 */

export interface PythonDefinition {
  name: string;
  /** 1-based; the column of `def` / `class`. */
  line: number;
  column: number;
}

export interface PythonLayerSource {
  kind: "numpy" | "torch";
  forward: PythonDefinition;
  backward: PythonDefinition;
  /** A torch.autograd.Function's `class` line. */
  class?: PythonDefinition;
  /** The first line of the forward's (or the class's) docstring. */
  doc?: string;
}

interface Def {
  kind: "def" | "class";
  name: string;
  indent: number;
  line: number;
  /** The text after the name: `(x, w, b):` or `(torch.autograd.Function):`. */
  rest: string;
}

function definitions(text: string): Def[] {
  const defs: Def[] = [];
  text.split(/\r?\n/).forEach((lineText, i) => {
    const m = /^([ \t]*)(?:async[ \t]+)?(def|class)[ \t]+([A-Za-z_]\w*)(.*)$/.exec(lineText);
    if (m) defs.push({ kind: m[2] as "def" | "class", name: m[3], indent: m[1].length, line: i + 1, rest: m[4] });
  });
  return defs;
}

const at = (d: Def, name = d.name): PythonDefinition => ({ name, line: d.line, column: d.indent + 1 });

/** The first line of the docstring right below the definition on `line`. */
function docAfter(lines: string[], line: number): string | undefined {
  for (let i = line; i < lines.length && i < line + 3; i++) {
    const m = /^\s*[rRuU]?("""|''')(.*)$/.exec(lines[i]);
    if (m) {
      const first = m[2].split(m[1])[0].trim();
      return first || lines[i + 1]?.trim() || undefined;
    }
    if (lines[i].trim() !== "") return undefined;
  }
  return undefined;
}

/** The layer `name` of a `.py` file's text, or undefined when the file has none of that name. */
export function findPythonLayer(text: string, name: string): PythonLayerSource | undefined {
  const defs = definitions(text);
  const lines = text.split(/\r?\n/);
  const cls = defs.find((d) => d.kind === "class" && d.name === name && d.indent === 0 && /Function\b/.test(d.rest));
  if (cls) {
    const end = defs.find((d) => d.line > cls.line && d.indent <= cls.indent);
    const inside = defs.filter((d) => d.kind === "def" && d.line > cls.line && (!end || d.line < end.line) && d.indent > cls.indent);
    const forward = inside.find((d) => d.name === "forward");
    const backward = inside.find((d) => d.name === "backward");
    if (forward && backward)
      return { kind: "torch", class: at(cls), forward: at(forward, `${name}.forward`), backward: at(backward, `${name}.backward`), doc: docAfter(lines, cls.line) };
  }
  const prefix = name.endsWith("_forward") ? name.slice(0, -"_forward".length) : name;
  const top = (n: string) => defs.find((d) => d.kind === "def" && d.indent === 0 && d.name === n);
  const forward = top(`${prefix}_forward`), backward = top(`${prefix}_backward`);
  if (forward && backward) return { kind: "numpy", forward: at(forward), backward: at(backward), doc: docAfter(lines, forward.line) };
  return undefined;
}
