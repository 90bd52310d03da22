// The README's table of built-in ops is the one generated from the op registry (npm run gen-docs).
import { test, describe } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { builtinOpList } from "../../src/engine/ops/index.js";
import { BEGIN, END, opTable, withOpTable } from "../../scripts/op-table.js";

const readme = readFileSync(join(import.meta.dirname, "..", "..", "README.md"), "utf8");

describe("README op table", () => {
  test("README.md holds the table generated from the registry (npm run gen-docs)", () => {
    const table = readme.slice(readme.indexOf(BEGIN) + BEGIN.length, readme.indexOf(END)).trim();
    assert.equal(table, opTable(builtinOpList), "README.md's op table is out of date: run npm run gen-docs");
    assert.equal(withOpTable(readme, opTable(builtinOpList)), readme);
  });

  test("one row per built-in, each with a summary, its attributes and a formula", () => {
    const rows = opTable(builtinOpList).split("\n").slice(2);
    assert.equal(rows.length, builtinOpList.length);
    rows.forEach((row, i) => {
      const op = builtinOpList[i];
      assert.ok(op.summary && op.formula, `${op.name} needs a summary and a formula`);
      const cells = row.split(/(?<!\\)\|/).slice(1, -1).map((c) => c.trim());
      assert.deepEqual(cells[0], `\`${op.name}\``);
      assert.equal(cells.length, 4, `${op.name}: ${row}`);
      for (const attr of Object.keys(op.attrs ?? {})) assert.match(cells[2], new RegExp(`\\b${attr}\\b`), `${op.name} lists ${attr}`);
    });
  });

  test("a stale table is caught: a changed formula changes the README the generator writes", () => {
    const changed = builtinOpList.map((op) => (op.name === "relu" ? { ...op, formula: "dL/dx = g ⊙ [x ≥ 0]" } : op));
    assert.notEqual(withOpTable(readme, opTable(changed)), readme);
    assert.match(opTable([{ ...builtinOpList[0], formula: "a | b" }]), /a \\\| b/, "a | inside a cell is escaped");
  });
});
