// types/gradlens.d.ts is written by hand (what a user's editor sees for
// `import … from "gradlens"`); src/config/public.ts and the engine types it
// re-exports are what runs. typescript.test.ts keeps the two export lists
// equal; this keeps every declared member equal to the source's: each
// interface's and class's fields (name, optional or not, type) and each
// function's signature. A source field meant only for GradLens itself is
// marked `@internal` in its doc comment and left out of the declarations.
import assert from "node:assert/strict";
import { join } from "node:path";
import { describe, test } from "node:test";
import ts from "typescript";

const root = join(import.meta.dirname, "..", "..");
const dts = join(root, "types/gradlens.d.ts");
const runtime = join(root, "src/config/public.ts");

const program = ts.createProgram([dts, runtime], {
  noEmit: true, strict: true, target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.ESNext,
  moduleResolution: ts.ModuleResolutionKind.Bundler, resolveJsonModule: true, skipLibCheck: true, types: ["node"],
});
const checker = program.getTypeChecker();

function exportsOf(file: string): Map<string, ts.Symbol> {
  const source = program.getSourceFile(file);
  assert.ok(source, `${file} is in the program`);
  const symbols = checker.getExportsOfModule(checker.getSymbolAtLocation(source)!);
  return new Map(symbols.map((s) => [s.name, s.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(s) : s]));
}

const text = (t: ts.Type) => checker.typeToString(t, undefined, ts.TypeFormatFlags.NoTruncation | ts.TypeFormatFlags.UseFullyQualifiedType).replace(/"[^"]*"\./g, "").replace(/import\("[^"]*"\)\./g, "");
const isInternal = (s: ts.Symbol) => ts.getJSDocTags(s.valueDeclaration ?? s.declarations?.[0] ?? ({} as ts.Node)).some((t) => t.tagName.text === "internal") ||
  (s.getJsDocTags?.() ?? []).some((t) => t.name === "internal");
const isPrivate = (s: ts.Symbol) => (s.declarations ?? []).some((d) =>
  (ts.getCombinedModifierFlags(d as ts.Declaration) & (ts.ModifierFlags.Private | ts.ModifierFlags.Protected)) !== 0 ||
  (ts.isPropertyDeclaration(d) && ts.isPrivateIdentifier(d.name)));

/** A signature without its parameter names: `(number[], Tensor?) => Tensor`. */
function signatureText(sig: ts.Signature): string {
  const params = sig.getParameters().map((p) => {
    const decl = p.valueDeclaration as ts.ParameterDeclaration | undefined;
    const rest = decl?.dotDotDotToken ? "..." : "";
    // `x?: T` and `x: T = v` are the same to a caller.
    const optional = decl && (decl.questionToken || decl.initializer) ? "?" : "";
    const type = text(checker.getTypeOfSymbol(p));
    return `${rest}${optional ? type.replace(/ \| undefined$/, "") : type}${optional}`;
  });
  const predicate = checker.getTypePredicateOfSignature(sig);
  const returns = predicate?.type ? `${predicate.parameterName} is ${text(predicate.type)}` : text(checker.getReturnTypeOfSignature(sig));
  return `(${params.join(", ")}) => ${returns}`;
}

/** What a user can see of a type: its public fields (name, optionality, type) and its call signatures. */
function members(type: ts.Type): Record<string, string> {
  const out: Record<string, string> = {};
  for (const p of checker.getPropertiesOfType(type)) {
    if (isPrivate(p) || isInternal(p)) continue;
    const t = checker.getTypeOfSymbol(p);
    const calls = t.getCallSignatures();
    const optional = p.flags & ts.SymbolFlags.Optional ? "?" : "";
    out[p.name] = `${optional}: ${calls.length && p.flags & ts.SymbolFlags.Method ? calls.map(signatureText).join(" & ") : text(t)}`;
  }
  const index = checker.getIndexInfosOfType(type).map((i) => `[${text(i.keyType)}]: ${text(i.type)}`);
  if (index.length) out["[index]"] = index.join(", ");
  return out;
}

/**
 * The declared shape of an exported name, as a comparable record. `typeOnly`:
 * what a type-only export shows (a class exported as a type is its instance
 * fields, no constructor).
 */
function shapeOf(symbol: ts.Symbol, typeOnly: boolean): Record<string, string> {
  const shape: Record<string, string> = {};
  if (symbol.flags & ts.SymbolFlags.TypeAlias) {
    const decl = symbol.declarations!.find(ts.isTypeAliasDeclaration)!;
    shape["= "] = decl.type.getText().replace(/\s+/g, " ");
  }
  if (symbol.flags & (ts.SymbolFlags.Interface | ts.SymbolFlags.Class))
    for (const [k, v] of Object.entries(members(checker.getDeclaredTypeOfSymbol(symbol)))) shape[`field ${k}`] = v;
  if (typeOnly) return shape;
  if (symbol.flags & ts.SymbolFlags.Class) {
    const ctor = checker.getTypeOfSymbol(symbol).getConstructSignatures();
    shape["new"] = ctor.map(signatureText).join(" & ");
  } else if (symbol.flags & (ts.SymbolFlags.Function | ts.SymbolFlags.Variable)) {
    shape["call"] = checker.getTypeOfSymbol(symbol).getCallSignatures().map(signatureText).join(" & ");
  }
  return shape;
}

describe("types/gradlens.d.ts against the source it declares", () => {
  const declared = exportsOf(dts);
  const source = exportsOf(runtime);

  test("every declared name is exported by src/config/public.ts (values and types)", () => {
    const missing = [...declared.keys()].filter((name) => !source.has(name));
    assert.deepEqual(missing, [], `declared in types/gradlens.d.ts but not exported by src/config/public.ts: ${missing.join(", ")}`);
  });

  for (const [name, symbol] of declared) {
    test(`${name}: the same fields and signatures as the source`, () => {
      const real = source.get(name);
      if (!real) return; // reported by the test above
      const typeOnly = !(symbol.flags & ts.SymbolFlags.Value);
      assert.deepEqual(shapeOf(symbol, typeOnly), shapeOf(real, typeOnly),
        `types/gradlens.d.ts's ${name} differs from the source's (left: the declaration, right: the source); ` +
        "update the declaration, or mark a source field that users must not see @internal");
    });
  }
});
