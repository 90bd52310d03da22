// The import graph of src/ and webview/ against the rules of
// docs/ARCHITECTURE.md ("Parts and arrows"). Every static import and export,
// `import type`, `import()` and `require()` / `require.resolve()` of a relative
// path or a package counts; each failure names its rule and the import.
//
//   rule 1  src/engine imports only src/engine and src/shared: no package, no
//           node:* module, and no `process`, `require`, `__dirname`, `__filename`
//           or `Buffer` in its code (it runs in the CLI, a worker thread, the tests)
//   rule 2  nothing outside src/extension imports `vscode`
//   rule 3  src/shared imports only src/shared (no Node, no DOM, no package)
//   rule 4  webview/ imports only src/shared and webview/
//   rule 5  no import cycle, between parts or between files
//   rule 6  an import from one part to another follows an arrow of ARROWS below
import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { builtinModules } from "node:module";
import { dirname, join, relative, resolve } from "node:path";
import { describe, test } from "node:test";
import ts from "typescript";

const root = join(import.meta.dirname, "..", "..");

/** The parts, each a folder, and where each runs (docs/ARCHITECTURE.md draws them). */
const PARTS = {
  shared: "src/shared",
  engine: "src/engine",
  config: "src/config",
  worker: "src/worker",
  cli: "src/cli",
  extension: "src/extension",
  webview: "webview",
} as const;
type Part = keyof typeof PARTS;

/** Rule 6: the arrows allowed between parts (a part may always import itself). */
const ARROWS: Record<Part, Part[]> = {
  shared: [],
  engine: ["shared"],
  config: ["engine", "shared"],
  worker: ["config", "engine", "shared"],
  cli: ["worker", "shared"],
  extension: ["worker", "config", "engine", "shared"],
  webview: ["shared"],
};

/** The only imports from outside the project that rules 3 and 4 allow, and why. */
const EXCEPTIONS: { from: Part; to: string; typeOnly?: boolean; why: string }[] = [
  { from: "shared", to: "package.json", why: "VERSION: the manifest, inlined at build time (src/shared/version.ts)" },
  { from: "webview", to: "mermaid", typeOnly: true, why: "the types of the Mermaid global, which the page loads as its own script" },
];

/** Identifiers the engine's code must not use: each is a host's, not the engine's. */
const HOST_GLOBALS = ["process", "require", "__dirname", "__filename", "Buffer"];

interface Import {
  from: string;
  /** As written in the source. */
  specifier: string;
  /** A project file (relative to the root), or the package name (`node:fs`, `vscode`). */
  target: string;
  local: boolean;
  typeOnly: boolean;
  line: number;
}

function sourceFiles(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(join(root, dir))) {
    const path = join(dir, name);
    if (statSync(join(root, path)).isDirectory()) out.push(...sourceFiles(path));
    else if (/\.(ts|tsx|mts|cts)$/.test(name) && !name.endsWith(".d.ts")) out.push(path);
  }
  return out;
}

function resolveLocal(from: string, specifier: string): string {
  const base = resolve(root, dirname(from), specifier);
  const stem = base.replace(/\.(c|m)?js$/, "");
  const found = [base, `${stem}.ts`, `${stem}.tsx`, `${base}.ts`, join(base, "index.ts")].find((p) => existsSync(p) && statSync(p).isFile());
  assert.ok(found, `${from}: cannot resolve the import "${specifier}"`);
  return relative(root, found).split("\\").join("/");
}

const packageOf = (specifier: string) =>
  specifier.startsWith("node:") || builtinModules.includes(specifier.split("/")[0])
    ? `node:${specifier.replace(/^node:/, "")}`
    : specifier.startsWith("@") ? specifier.split("/").slice(0, 2).join("/") : specifier.split("/")[0];

function importsOf(file: string): { imports: Import[]; hostGlobals: { name: string; line: number }[] } {
  const text = readFileSync(join(root, file), "utf8");
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.ES2022, true);
  const imports: Import[] = [];
  const hostGlobals: { name: string; line: number }[] = [];
  const lineOf = (node: ts.Node) => source.getLineAndCharacterOfPosition(node.getStart()).line + 1;
  const add = (node: ts.Node, specifier: string, typeOnly: boolean) => {
    const local = specifier.startsWith("./") || specifier.startsWith("../");
    imports.push({ from: file, specifier, target: local ? resolveLocal(file, specifier) : packageOf(specifier), local, typeOnly, line: lineOf(node) });
  };
  const visit = (node: ts.Node): void => {
    if (ts.isImportDeclaration(node) && ts.isStringLiteral(node.moduleSpecifier)) {
      const clause = node.importClause;
      const typeOnly = !!clause && (clause.isTypeOnly || (!clause.name && !!clause.namedBindings && ts.isNamedImports(clause.namedBindings) &&
        clause.namedBindings.elements.length > 0 && clause.namedBindings.elements.every((e) => e.isTypeOnly)));
      add(node, node.moduleSpecifier.text, typeOnly);
    } else if (ts.isExportDeclaration(node) && node.moduleSpecifier && ts.isStringLiteral(node.moduleSpecifier)) {
      const typeOnly = node.isTypeOnly || (!!node.exportClause && ts.isNamedExports(node.exportClause) &&
        node.exportClause.elements.every((e) => e.isTypeOnly));
      add(node, node.moduleSpecifier.text, typeOnly);
    } else if (ts.isImportEqualsDeclaration(node) && ts.isExternalModuleReference(node.moduleReference) && ts.isStringLiteral(node.moduleReference.expression)) {
      add(node, node.moduleReference.expression.text, node.isTypeOnly);
    } else if (ts.isCallExpression(node) && node.arguments.length > 0 && ts.isStringLiteralLike(node.arguments[0])) {
      const callee = node.expression;
      const isRequire = ts.isIdentifier(callee) && callee.text === "require";
      const isResolve = ts.isPropertyAccessExpression(callee) && ts.isIdentifier(callee.expression) && callee.expression.text === "require" && callee.name.text === "resolve";
      if (callee.kind === ts.SyntaxKind.ImportKeyword || isRequire || isResolve) add(node, node.arguments[0].text, false);
    } else if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument) && ts.isStringLiteral(node.argument.literal)) {
      add(node, node.argument.literal.text, true);
    }
    if (ts.isIdentifier(node) && HOST_GLOBALS.includes(node.text)) {
      const p = node.parent;
      const isMemberName = (ts.isPropertyAccessExpression(p) && p.name === node) || (ts.isPropertyAssignment(p) && p.name === node) ||
        (ts.isPropertySignature(p) && p.name === node) || (ts.isPropertyDeclaration(p) && p.name === node) || (ts.isMethodDeclaration(p) && p.name === node) ||
        ts.isQualifiedName(p);
      if (!isMemberName) hostGlobals.push({ name: node.text, line: lineOf(node) });
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return { imports, hostGlobals };
}

function partOf(file: string): Part | undefined {
  return (Object.keys(PARTS) as Part[]).find((p) => file === PARTS[p] || file.startsWith(PARTS[p] + "/"));
}

/** The import graph of every part, with each import's rule violations. */
export function analyse() {
  const files = [...sourceFiles("src"), ...sourceFiles("webview")].sort();
  const all = files.map((f) => ({ file: f, ...importsOf(f) }));
  return { files, imports: all.flatMap((x) => x.imports), hostGlobals: all.flatMap((x) => x.hostGlobals.map((g) => ({ file: x.file, ...g }))) };
}

const describeImport = (i: Import) => `${i.from}:${i.line} imports "${i.specifier}"${i.local ? ` (${i.target})` : ""}${i.typeOnly ? " (types only)" : ""}`;
const exception = (part: Part, i: Import) =>
  EXCEPTIONS.some((e) => e.from === part && (i.local ? i.target === e.to : i.target === e.to) && (!e.typeOnly || i.typeOnly));

/** Strongly connected components with more than one member (Tarjan): the cycles of a graph. */
function cycles(edges: Map<string, Set<string>>): string[][] {
  let index = 0;
  const order = new Map<string, number>(), low = new Map<string, number>(), stack: string[] = [], onStack = new Set<string>();
  const found: string[][] = [];
  const connect = (v: string) => {
    order.set(v, index);
    low.set(v, index++);
    stack.push(v);
    onStack.add(v);
    for (const w of edges.get(v) ?? []) {
      if (!order.has(w)) {
        connect(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, order.get(w)!));
    }
    if (low.get(v) === order.get(v)) {
      const component: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        component.push(w);
      } while (w !== v);
      if (component.length > 1 || edges.get(v)?.has(v)) found.push(component.sort());
    }
  };
  for (const v of [...edges.keys()].sort()) if (!order.has(v)) connect(v);
  return found;
}

describe("architecture: the import graph follows the rules of docs/ARCHITECTURE.md", () => {
  const { files, imports, hostGlobals } = analyse();

  test("every file of src/ belongs to a part", () => {
    const loose = files.filter((f) => !partOf(f));
    assert.deepEqual(loose, [], `files outside every part of ${JSON.stringify(PARTS)}: ${loose.join(", ")}`);
    assert.ok(imports.length > 100, `the scan found the imports (${imports.length})`);
  });

  test("rule 1: src/engine imports only src/engine and src/shared, and uses no host's globals", () => {
    const bad = imports.filter((i) => partOf(i.from) === "engine" && !(i.local && ["engine", "shared"].includes(partOf(i.target) ?? "")));
    assert.deepEqual(bad.map(describeImport), [], "rule 1 (src/engine imports only src/engine and src/shared): " + bad.map(describeImport).join("; "));
    const globals = hostGlobals.filter((g) => partOf(g.file) === "engine").map((g) => `${g.file}:${g.line} uses ${g.name}`);
    assert.deepEqual(globals, [], `rule 1 (no ${HOST_GLOBALS.join(", ")} in src/engine: its caller gives what it needs): ${globals.join("; ")}`);
  });

  test("rule 2: nothing outside src/extension imports vscode", () => {
    const bad = imports.filter((i) => !i.local && i.target === "vscode" && partOf(i.from) !== "extension");
    assert.deepEqual(bad.map(describeImport), [], "rule 2 (only src/extension imports vscode): " + bad.map(describeImport).join("; "));
  });

  test("rule 3: src/shared imports only src/shared (no Node, no DOM, no package)", () => {
    const bad = imports.filter((i) => partOf(i.from) === "shared" && !(i.local && partOf(i.target) === "shared") && !exception("shared", i));
    assert.deepEqual(bad.map(describeImport), [], "rule 3 (src/shared imports only src/shared): " + bad.map(describeImport).join("; "));
  });

  test("rule 4: webview/ imports only src/shared and webview/", () => {
    const bad = imports.filter((i) => partOf(i.from) === "webview" && !(i.local && ["webview", "shared"].includes(partOf(i.target) ?? "")) && !exception("webview", i));
    assert.deepEqual(bad.map(describeImport), [], "rule 4 (webview imports only src/shared and webview): " + bad.map(describeImport).join("; "));
  });

  test("rule 5: no import cycle between parts", () => {
    const edges = new Map<string, Set<string>>();
    for (const i of imports) {
      const a = partOf(i.from), b = i.local ? partOf(i.target) : undefined;
      if (a && b && a !== b) (edges.get(a) ?? edges.set(a, new Set()).get(a)!).add(b);
    }
    // One import per arrow inside each cycle, to say where to cut it.
    const found = cycles(edges).map((c) => {
      const witnesses = new Map<string, Import>();
      for (const i of imports) {
        const a = partOf(i.from)!, b = i.local ? partOf(i.target) : undefined;
        if (b && a !== b && c.includes(a) && c.includes(b) && !witnesses.has(`${a} → ${b}`)) witnesses.set(`${a} → ${b}`, i);
      }
      return `${c.join(" ↔ ")}: ${[...witnesses].map(([arrow, i]) => `${arrow}, e.g. ${describeImport(i)}`).join("; ")}`;
    });
    assert.deepEqual(found, [], `rule 5 (no cycle between parts): ${found.join(" | ")}`);
  });

  test("rule 5: no import cycle between files (types included)", () => {
    const edges = new Map<string, Set<string>>();
    for (const i of imports) if (i.local) (edges.get(i.from) ?? edges.set(i.from, new Set()).get(i.from)!).add(i.target);
    const found = cycles(edges).map((c) => c.join(" → "));
    assert.deepEqual(found, [], `rule 5 (no cycle between files): ${found.join(" | ")}`);
  });

  test("rule 6: every import from one part to another follows an allowed arrow", () => {
    const bad = imports.filter((i) => {
      const a = partOf(i.from), b = i.local ? partOf(i.target) : undefined;
      return a && b && a !== b && !ARROWS[a].includes(b);
    });
    assert.deepEqual(bad.map(describeImport), [],
      "rule 6 (arrows between parts: " + Object.entries(ARROWS).map(([a, to]) => `${a} → ${to.join(", ") || "nothing"}`).join("; ") + "): " + bad.map(describeImport).join("; "));
  });

  test("the rules see what they guard: a scan of the engine finds its imports, and each exception is used", () => {
    assert.ok(imports.some((i) => i.from === "src/engine/check.ts" && i.target === "src/engine/graph.ts"), "check.ts → graph.ts is seen");
    assert.ok(imports.some((i) => i.from === "src/config/typescript.ts" && i.target === "esbuild-wasm"), "require.resolve / require of a package is seen");
    for (const e of EXCEPTIONS)
      assert.ok(imports.some((i) => partOf(i.from) === e.from && i.target === e.to), `exception ${e.from} → ${e.to} (${e.why}) is still needed`);
  });
});
