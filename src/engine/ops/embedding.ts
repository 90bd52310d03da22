/**
 * embedding: integer ids (a "classes" input, never differentiated) → rows of a
 * table [num, dim] (num defaults to the ids' classes). y[p, :] = table[ids[p], :] for every position p of the ids, so
 * y has the ids' shape plus [dim].
 *
 * The backward is a scatter: dL/dtable[i, :] = Σ over the positions p with ids[p] = i
 * of g[p, :] — an id that appears twice gets both rows' gradients (+=, as micrograd
 * accumulates). The ids get none (null).
 *
 * Its incremental rule: table[i, j] moves only column j of the rows whose id is i,
 * to exactly the new table value (a copy, as the forward makes it).
 */
import type { AttrSpec, OpDef, ShapeContext } from "../op.js";
import type { Tensor } from "../tensor.js";
import type { IncrementalNode, IncrementalRule } from "../incremental/rule.js";
import { ShapeError } from "../op.js";
import { shapeText } from "../tensor.js";
import { jittered } from "./util.js";

const embeddingAttrs: Record<string, AttrSpec> = {
  num: { type: "int", min: 1, doc: "Rows of the table: the ids are integers in [0, num). Default: the ids input's \"classes\"." },
  dim: { type: "int", required: true, min: 1, doc: "Width of each row (the embedding size)." },
};

/** The table's rows: `num`, else the classes of the ids input; at least as many as there are classes. */
function rowsOf({ attrs, inputClasses }: ShapeContext): number {
  const classes = inputClasses?.[0], num = (attrs.num as number | undefined) ?? classes;
  if (num === undefined) throw new ShapeError("embedding needs \"num\" (the table's rows) when its ids are not a \"classes\" input");
  if (classes !== undefined && classes > num)
    throw new ShapeError(`embedding's ids have ${classes} classes but its table has ${num} rows ("num"): an id could name a row that is not there`, 0);
  return num;
}

/** Id at position p, checked: an integer row of the table. */
function idAt(ids: Tensor, p: number, num: number): number {
  const id = ids.data[p];
  if (!Number.isInteger(id) || id < 0 || id >= num) throw new RangeError(`embedding: id ${id} at position ${p} is not a row of the table [0, ${num})`);
  return id;
}

const rule: IncrementalRule = {
  paramEntry(node: IncrementalNode, param: string, flat: number): boolean {
    if (param !== "table") return false;
    const [num, dim] = node.params.table.shape, ids = node.input(0), value = node.params.table.data[flat];
    const i = Math.floor(flat / dim), j = flat - i * dim;
    const work = node.beginSparse();
    for (let p = 0; p < ids.data.length; p++) {
      if (idAt(ids, p, num) !== i) continue;
      work[p * dim + j] = value;
      node.markChanged(p * dim + j);
    }
    return true;
  },
  // y is linear in the table: along a direction v, y moves by the gathered rows of v.
  paramDirection(node: IncrementalNode, param: string, v: Float64Array): Float64Array | undefined {
    if (param !== "table") return undefined;
    const [num, dim] = node.params.table.shape, ids = node.input(0), shift = new Float64Array(ids.data.length * dim);
    for (let p = 0; p < ids.data.length; p++) {
      const row = idAt(ids, p, num) * dim;
      shift.set(v.subarray(row, row + dim), p * dim);
    }
    return shift;
  },
};

export const embedding: OpDef = {
  name: "embedding",
  builtin: true,
  summary: "Rows of a table [num, dim] picked by integer ids (a \"classes\" input): y[p, :] = table[ids[p], :]",
  formula: "dL/dtable[i, :] = Σ_{p: ids[p] = i} g[p, :] (repeated ids accumulate); the ids get no gradient",
  arity: 1,
  idInputs: [0],
  attrs: embeddingAttrs,
  params: {
    // N(0, 1), PyTorch's nn.Embedding default.
    table: { shape: (ctx) => [rowsOf(ctx), ctx.attrs.dim as number], init: (shape, rng) => jittered(shape, rng, 0, 1) },
  },
  incremental: rule,
  outputShape: (ctx) => {
    const ids = ctx.inputShapes[0];
    if (ids.length === 0) throw new ShapeError(`embedding expects ids of rank ≥ 1 (e.g. [B, T]), got ${shapeText(ids)}`, 0);
    rowsOf(ctx);
    return [...ids, ctx.attrs.dim as number];
  },
  forward: ({ inputs: [ids], params: { table } }) => {
    const [num, dim] = table.shape, T = table.data, out = new Float64Array(ids.data.length * dim);
    for (let p = 0; p < ids.data.length; p++) {
      const row = idAt(ids, p, num) * dim;
      out.set(T.subarray(row, row + dim), p * dim);
    }
    return { shape: [...ids.shape, dim], data: out };
  },
  backward: ({ inputs: [ids], params: { table }, gradOutput: g }) => {
    const [num, dim] = table.shape, G = g.data, dTable = new Float64Array(table.data.length);
    for (let p = 0; p < ids.data.length; p++) {
      const row = idAt(ids, p, num) * dim;
      for (let j = 0; j < dim; j++) dTable[row + j] += G[p * dim + j];
    }
    return { inputs: [null], params: { table: { shape: [num, dim], data: dTable } } };
  },
};
