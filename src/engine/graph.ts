/**
 * The computation graph: built from a NetworkSpec (every semantic check lives
 * here, so JSON and TypeScript networks get the same messages), run forward, and
 * backpropagated — a reverse walk of the topological order, gradients
 * accumulating with += where a value feeds several nodes (as in micrograd).
 */
import type { Attrs, AttrSpec, OpDef, ShapeContext } from "./op.js";
import { ShapeError } from "./op.js";
import { builtinOps, labelOpsInWords } from "./ops/index.js";
import { NetworkError, type NetworkSpec, type NodeSpec, type SpecPath } from "./network.js";
import { Rng, deriveSeed } from "./random.js";
import { fromNested, isTensor, sameShape, shapeText, sizeOf, tensor, type Nested, type Tensor } from "./tensor.js";
import { didYouMean } from "./suggest.js";
import type { GraphView } from "./report.js";
import { MemoryBudget } from "./limits.js";

export interface GraphInput {
  id: string;
  shape: number[];
  /** Set for label inputs: integer classes in [0, classes). Never differentiated. */
  classes?: number;
  value: Tensor;
}

export interface GraphNode {
  id: string;
  op: OpDef;
  inputs: string[];
  attrs: Attrs;
  params: Record<string, Tensor>;
  inputShapes: number[][];
  outputShape: number[];
  /** Position in spec.nodes (for locations). */
  specIndex: number;
  /** Input positions that must not be differentiated (labels). */
  labelInputs: Set<number>;
}

export interface Graph {
  name: string;
  seed: number;
  file?: string;
  inputs: GraphInput[];
  /** Topological order. */
  nodes: GraphNode[];
  output: string;
  /** Fixed seeded projection r when the output is not a scalar: L = Σ rᵢ·outᵢ. */
  projection?: Float64Array;
  spec: NetworkSpec;
}

const RESERVED = new Set(["id", "op", "inputs", "params"]);
/** Above this many values a single tensor is refused up front instead of attempted. */
export const MAX_TENSOR_SIZE = 16 * 1024 * 1024;

export interface BuildOptions {
  /** Overrides the network's own seed (the CLI's --seed): other inputs and initial parameters. */
  seed?: number;
  customOps?: Record<string, OpDef>;
  file?: string;
  /** Refuse tensors above this many values (default MAX_TENSOR_SIZE). */
  maxTensorSize?: number;
  /** Refuse a network whose tensors and gradients need more than this many MiB (default DEFAULT_MAX_MEMORY_MB in limits.ts). */
  maxMemoryMb?: number;
}

export function buildGraph(spec: NetworkSpec, options: BuildOptions = {}): Graph {
  const maxSize = options.maxTensorSize ?? MAX_TENSOR_SIZE;
  const budget = new MemoryBudget(options.maxMemoryMb);
  if (typeof spec !== "object" || spec === null || Array.isArray(spec)) throw new NetworkError("a network must be an object with \"inputs\" and \"nodes\"", []);
  const seed = options.seed ?? spec.seed ?? 0;
  if (!Number.isInteger(seed)) throw new NetworkError(`"seed" must be an integer, got ${JSON.stringify(seed)}`, ["seed"]);
  if (spec.name !== undefined && typeof spec.name !== "string") throw new NetworkError("\"name\" must be a string", ["name"]);
  if (typeof spec.inputs !== "object" || spec.inputs === null || Array.isArray(spec.inputs))
    throw new NetworkError("\"inputs\" must be an object: name → { \"shape\": [...] }", spec.inputs === undefined ? [] : ["inputs"]);
  if (!Array.isArray(spec.nodes)) throw new NetworkError("\"nodes\" must be an array of nodes", spec.nodes === undefined ? [] : ["nodes"]);
  if (spec.nodes.length === 0) throw new NetworkError("\"nodes\" is empty: a network needs at least one node", ["nodes"]);

  const inputs: GraphInput[] = [];
  const shapes = new Map<string, number[]>();
  const labels = new Set<string>();
  for (const [id, inputSpec] of Object.entries(spec.inputs)) {
    const input = buildInput(id, inputSpec, seed, maxSize, budget);
    inputs.push(input);
    shapes.set(id, input.shape);
    if (input.classes !== undefined) labels.add(id);
  }
  if (inputs.length === 0) throw new NetworkError("\"inputs\" is empty: a network needs at least one input", ["inputs"]);

  // Resolve ids, ops and input names first (order-independent), then sort.
  const opsByName = new Map<string, OpDef>(builtinOps);
  for (const [name, op] of Object.entries(options.customOps ?? {})) opsByName.set(name, op);
  const nodeIndex = new Map<string, number>();
  const resolved: { spec: NodeSpec; op: OpDef; inputs: string[]; index: number }[] = [];
  spec.nodes.forEach((node, i) => {
    if (typeof node !== "object" || node === null || Array.isArray(node)) throw new NetworkError("a node must be an object with \"id\" and \"op\"", ["nodes", i]);
    if (typeof node.id !== "string" || node.id === "") throw new NetworkError("a node needs an \"id\" (a non-empty string)", node.id === undefined ? ["nodes", i] : ["nodes", i, "id"]);
    if (node.id.includes(".")) throw new NetworkError(`node id '${node.id}' must not contain '.' (gradients are named "<node>.<param>")`, ["nodes", i, "id"]);
    if (nodeIndex.has(node.id) || shapes.has(node.id)) {
      const other = nodeIndex.has(node.id) ? `node ${nodeIndex.get(node.id)}` : "an input";
      throw new NetworkError(`duplicate id '${node.id}': ${other} already has it`, ["nodes", i, "id"]);
    }
    nodeIndex.set(node.id, i);
  });
  spec.nodes.forEach((node, i) => {
    const op = resolveOp(node, i, opsByName, spec.ops);
    let inputIds: string[];
    if (node.inputs === undefined) {
      inputIds = [i === 0 ? inputs[0].id : spec.nodes[i - 1].id];
    } else {
      if (!Array.isArray(node.inputs) || node.inputs.some((n) => typeof n !== "string"))
        throw new NetworkError("\"inputs\" must be an array of names", ["nodes", i, "inputs"]);
      inputIds = node.inputs;
      inputIds.forEach((name, k) => {
        if (!nodeIndex.has(name) && !shapes.has(name)) {
          const known = [...shapes.keys(), ...nodeIndex.keys()].filter((k) => k !== node.id);
          throw new NetworkError(`unknown input '${name}'${didYouMean(name, known)} (known: ${known.join(", ")})`, ["nodes", i, "inputs", k]);
        }
        if (name === node.id) throw new NetworkError(`node '${node.id}' takes its own output as input: a cycle`, ["nodes", i, "inputs", k]);
      });
    }
    checkArity(op, inputIds.length, node, i);
    resolved.push({ spec: node, op, inputs: inputIds, index: i });
  });

  const order = topologicalOrder(resolved, nodeIndex);
  const nodes: GraphNode[] = [];
  const rngFor = (label: string) => new Rng(deriveSeed(seed, label));
  for (const r of order) {
    const attrs = buildAttrs(r.op, r.spec, r.index);
    const inputShapes = r.inputs.map((n) => shapes.get(n)!);
    const labelPositions = new Set<number>(r.op.labelInputs ?? []);
    r.inputs.forEach((name, k) => {
      const isLabelInput = labels.has(name);
      if (labelPositions.has(k) && !isLabelInput)
        throw new NetworkError(`${r.op.name} takes class labels as input ${k + 1}, but '${name}' is not a "classes" input`, inputPath(r, k));
      if (!labelPositions.has(k) && isLabelInput) {
        if (r.op.builtin) throw new NetworkError(`'${name}' holds class labels; ${r.op.name} cannot take it as input ${k + 1} (labels go to ${labelOpsInWords})`, inputPath(r, k));
        labelPositions.add(k); // a custom op may read labels; they are never differentiated
      }
    });
    const ctx: ShapeContext = { inputShapes, attrs };
    const params = buildParams(r.op, r.spec, r.index, ctx, rngFor(`param:${r.spec.id}`), maxSize, budget);
    let outputShape: number[];
    if (r.op.outputShape) {
      try {
        outputShape = r.op.outputShape(ctx);
      } catch (e) {
        if (e instanceof ShapeError) throw new NetworkError(`${r.spec.id} (${r.op.name}): ${e.message}`, e.inputIndex !== undefined ? inputPath(r, e.inputIndex) : ["nodes", r.index, "op"]);
        throw e;
      }
    } else {
      outputShape = []; // custom op without outputShape: found by running forward below
    }
    if (r.op.builtin) checkClassCount(r, inputs, inputShapes);
    nodes.push({ id: r.spec.id, op: r.op, inputs: r.inputs, attrs, params, inputShapes, outputShape, specIndex: r.index, labelInputs: labelPositions });
    if (r.op.outputShape) {
      if (sizeOf(outputShape) > maxSize) throw new NetworkError(`${r.spec.id}: output ${shapeText(outputShape)} has ${sizeOf(outputShape)} values, over the limit of ${maxSize}`, ["nodes", r.index]);
      budget.add(`the output of ${r.spec.id}`, outputShape, ["nodes", r.index]);
      shapes.set(r.spec.id, outputShape);
    } else {
      // Run the forward pass so far to learn this node's shape.
      const values = new Map<string, Tensor>(inputs.map((inp) => [inp.id, inp.value]));
      for (const n of nodes.slice(0, -1)) values.set(n.id, runForward(n, values));
      const last = nodes[nodes.length - 1];
      last.outputShape = runForward(last, values).shape;
      budget.add(`the output of ${r.spec.id}`, last.outputShape, ["nodes", r.index]);
      shapes.set(r.spec.id, last.outputShape);
    }
  }

  const output = spec.output ?? spec.nodes[spec.nodes.length - 1].id;
  if (typeof output !== "string" || !nodeIndex.has(output)) {
    const known = [...nodeIndex.keys()];
    throw new NetworkError(`"output" must name a node${typeof output === "string" ? didYouMean(output, known) : ""} (nodes: ${known.join(", ")})`, ["output"]);
  }
  const outSize = sizeOf(shapes.get(output)!);
  let projection: Float64Array | undefined;
  if (outSize !== 1) {
    const rng = rngFor("output-projection");
    projection = new Float64Array(outSize);
    for (let i = 0; i < outSize; i++) projection[i] = rng.normal();
  }
  // Only nodes that feed the output matter; the rest are still checked locally.
  return { name: spec.name ?? options.file?.replace(/^.*[\\/]/, "").replace(/\.gradnet\.(json|ts)$/, "") ?? "network", seed, file: options.file, inputs, nodes, output, projection, spec };
}

/**
 * A built-in loss reads label y_b as a column of its scores [B, C]: a label
 * input with more classes than C could name a column that is not there.
 */
function checkClassCount(r: Resolved, inputs: GraphInput[], inputShapes: number[][]): void {
  const scores = inputShapes[0];
  const C = scores[scores.length - 1];
  for (const k of r.op.labelInputs ?? []) {
    const labels = inputs.find((i) => i.id === r.inputs[k]);
    if (labels?.classes === undefined || labels.classes <= C) continue;
    throw new NetworkError(
      `'${labels.id}' has ${labels.classes} classes, but ${r.spec.id} (${r.op.name}) scores only ${C} (its input '${r.inputs[0]}' has shape ${shapeText(scores)}): a label could name a class with no score`,
      ["inputs", labels.id, "classes"],
    );
  }
}

function inputPath(r: { spec: NodeSpec; index: number }, k: number): SpecPath {
  return r.spec.inputs !== undefined ? ["nodes", r.index, "inputs", k] : ["nodes", r.index, "op"];
}

function buildInput(id: string, s: unknown, seed: number, maxSize: number, budget: MemoryBudget): GraphInput {
  const at = (...p: (string | number)[]): SpecPath => ["inputs", id, ...p];
  if (typeof s !== "object" || s === null || Array.isArray(s)) throw new NetworkError(`input '${id}' must be an object like { "shape": [4, 3] }`, at());
  const spec = s as { shape?: unknown; values?: unknown; classes?: unknown };
  if (id.includes(".")) throw new NetworkError(`input name '${id}' must not contain '.'`, at(), "key");
  let shape: number[] | undefined;
  if (spec.shape !== undefined) shape = checkShape(spec.shape, at("shape"), maxSize);
  let value: Tensor | undefined;
  if (spec.values !== undefined) {
    value = nestedToTensor(spec.values, at("values"));
    if (shape && !sameShape(shape, value.shape))
      throw new NetworkError(`"values" of '${id}' have shape ${shapeText(value.shape)}, but "shape" says ${shapeText(shape)}`, at("values"));
    shape = value.shape;
  }
  if (!shape) throw new NetworkError(`input '${id}' needs a "shape" or "values"`, at());
  budget.add(`input '${id}'`, shape, at(), spec.classes === undefined);
  const rng = new Rng(deriveSeed(seed, `input:${id}`));
  if (spec.classes !== undefined) {
    if (!Number.isInteger(spec.classes) || (spec.classes as number) < 1)
      throw new NetworkError(`"classes" must be a positive integer, got ${JSON.stringify(spec.classes)}`, at("classes"));
    const classes = spec.classes as number;
    if (value) {
      value.data.forEach((v, i) => {
        if (!Number.isInteger(v) || v < 0 || v >= classes)
          throw new NetworkError(`label ${v} at index ${i} of '${id}' is not a class in [0, ${classes})`, at("values"));
      });
    } else {
      value = tensor(shape);
      for (let i = 0; i < value.data.length; i++) value.data[i] = rng.int(classes);
    }
    return { id, shape, classes, value };
  }
  if (!value) {
    value = tensor(shape);
    for (let i = 0; i < value.data.length; i++) value.data[i] = rng.normal();
  }
  return { id, shape, value };
}

function checkShape(shape: unknown, path: SpecPath, maxSize: number): number[] {
  if (!Array.isArray(shape)) throw new NetworkError(`a shape must be an array of positive integers, got ${short(shape)}`, path);
  shape.forEach((d, k) => {
    if (typeof d !== "number" || !Number.isInteger(d) || d < 1)
      throw new NetworkError(`shape dimensions must be positive integers, got ${short(d)}`, [...path, k]);
  });
  const size = shape.reduce((a: number, b: number) => a * b, 1);
  if (size > maxSize) throw new NetworkError(`shape ${shapeText(shape)} has ${size} values, over the limit of ${maxSize}`, path);
  return shape as number[];
}

function nestedToTensor(v: unknown, path: SpecPath): Tensor {
  // Rectangular nested arrays of finite numbers.
  const shape: number[] = [];
  let probe = v;
  while (Array.isArray(probe)) {
    if (probe.length === 0) throw new NetworkError("empty array in values", path);
    shape.push(probe.length);
    probe = probe[0];
  }
  const walk = (x: unknown, depth: number, p: SpecPath): void => {
    if (depth === shape.length) {
      if (typeof x !== "number") throw new NetworkError(`expected a number, got ${short(x)}`, p);
      if (!Number.isFinite(x)) throw new NetworkError(`values must be finite numbers, got ${x}`, p);
      return;
    }
    if (!Array.isArray(x)) throw new NetworkError(`expected an array of length ${shape[depth]} here (the values are not rectangular)`, p);
    if (x.length !== shape[depth]) throw new NetworkError(`expected ${shape[depth]} entries here, got ${x.length} (the values are not rectangular)`, p);
    x.forEach((y, i) => walk(y, depth + 1, [...p, i]));
  };
  walk(v, 0, path);
  return fromNested(v as Nested);
}

function short(v: unknown): string {
  const s = JSON.stringify(v);
  return s === undefined ? String(v) : s.length > 40 ? s.slice(0, 37) + "..." : s;
}

function resolveOp(node: NodeSpec, i: number, opsByName: Map<string, OpDef>, declared?: Record<string, string>): OpDef {
  const op = node.op;
  if (op === undefined) throw new NetworkError(`node '${node.id}' needs an "op"`, ["nodes", i]);
  if (typeof op === "object" && op !== null && typeof (op as OpDef).forward === "function") return op as OpDef;
  if (typeof op !== "string") throw new NetworkError(`"op" must be a built-in op name or a defineOp(...) value`, ["nodes", i, "op"]);
  const found = opsByName.get(op);
  if (found) return found;
  if (declared && op in declared) throw new NetworkError(`custom op '${op}' from "${declared[op]}" could not be loaded`, ["nodes", i, "op"]);
  throw new NetworkError(`unknown op '${op}'${didYouMean(op, opsByName.keys())}`, ["nodes", i, "op"]);
}

function checkArity(op: OpDef, n: number, node: NodeSpec, i: number): void {
  if (op.arity === undefined) return;
  const [min, max] = typeof op.arity === "number" ? [op.arity, op.arity] : op.arity;
  if (n < min || n > max) {
    const want = min === max ? `${min}` : max === Infinity ? `at least ${min}` : `${min} to ${max}`;
    throw new NetworkError(`${op.name} takes ${want} input${want === "1" ? "" : "s"}, got ${n}`, node.inputs !== undefined ? ["nodes", i, "inputs"] : ["nodes", i, "op"]);
  }
}

function buildAttrs(op: OpDef, node: NodeSpec, i: number): Attrs {
  const specs = op.attrs ?? {};
  const attrs: Attrs = {};
  for (const [key, value] of Object.entries(node)) {
    if (RESERVED.has(key)) continue;
    const spec = specs[key];
    if (!spec) {
      if (!op.builtin && !op.attrs) {
        attrs[key] = value; // custom op without a declared schema takes any attribute
        continue;
      }
      const known = Object.keys(specs);
      throw new NetworkError(`unknown attribute '${key}' for ${op.name}${didYouMean(key, known)}${known.length ? ` (it takes: ${known.join(", ")})` : " (it takes none)"}`, ["nodes", i, key], "key");
    }
    checkAttr(op, key, spec, value, ["nodes", i, key]);
    attrs[key] = value;
  }
  for (const [key, spec] of Object.entries(specs)) {
    if (attrs[key] !== undefined) continue;
    if (spec.required) throw new NetworkError(`${op.name} needs the attribute "${key}" (${spec.doc})`, ["nodes", i]);
    if (spec.default !== undefined) attrs[key] = spec.default;
  }
  return attrs;
}

function checkAttr(op: OpDef, key: string, spec: AttrSpec, v: unknown, path: SpecPath): void {
  const isInt = (x: unknown) => typeof x === "number" && Number.isInteger(x) && (spec.min === undefined || x >= spec.min);
  const bound = spec.min !== undefined ? (spec.min === 1 ? "a positive integer" : `an integer ≥ ${spec.min}`) : "an integer";
  let ok: boolean;
  let want: string;
  switch (spec.type) {
    case "int": ok = isInt(v); want = bound; break;
    case "number": ok = typeof v === "number" && Number.isFinite(v) && (spec.min === undefined || v >= spec.min); want = "a number"; break;
    case "bool": ok = typeof v === "boolean"; want = "true or false"; break;
    case "int[]": ok = Array.isArray(v) && v.every(isInt); want = `an array of ${bound.replace(/^an? /, "")}s`; break;
    case "int|int[]": ok = isInt(v) || (Array.isArray(v) && v.length > 0 && v.every(isInt)); want = `${bound} or an array of them`; break;
  }
  if (!ok) throw new NetworkError(`${op.name} attribute "${key}" must be ${want}, got ${short(v)}`, path);
}

function buildParams(op: OpDef, node: NodeSpec, i: number, ctx: ShapeContext, rng: Rng, maxSize: number, budget: MemoryBudget): Record<string, Tensor> {
  const params: Record<string, Tensor> = {};
  const given = node.params;
  if (given !== undefined && (typeof given !== "object" || given === null || Array.isArray(given)))
    throw new NetworkError("\"params\" must be an object: name → nested array", ["nodes", i, "params"]);
  const specs = op.params ?? {};
  for (const key of Object.keys(given ?? {})) {
    if (!(key in specs)) {
      const known = Object.keys(specs);
      throw new NetworkError(`${op.name} has no parameter '${key}'${didYouMean(key, known)}${known.length ? ` (it has: ${known.join(", ")})` : " (it has none)"}`, ["nodes", i, "params", key], "key");
    }
  }
  for (const [name, spec] of Object.entries(specs)) {
    if (spec.enabled && !spec.enabled(ctx.attrs)) {
      if (given?.[name] !== undefined) throw new NetworkError(`${node.id} has no parameter '${name}' with these attributes (e.g. bias: false)`, ["nodes", i, "params", name], "key");
      continue;
    }
    let shape: number[];
    try {
      shape = spec.shape(ctx);
    } catch (e) {
      if (e instanceof ShapeError) throw new NetworkError(`${node.id} (${op.name}): ${e.message}`, ["nodes", i, "op"]);
      throw e;
    }
    if (sizeOf(shape) > maxSize) throw new NetworkError(`${node.id}.${name} would have shape ${shapeText(shape)} = ${sizeOf(shape)} values, over the limit of ${maxSize}`, ["nodes", i]);
    budget.add(`${node.id}.${name}`, shape, ["nodes", i]);
    const fixed = given?.[name];
    if (fixed !== undefined) {
      const t = nestedToTensor(fixed, ["nodes", i, "params", name]);
      if (!sameShape(t.shape, shape))
        throw new NetworkError(`${node.id}.${name} must have shape ${shapeText(shape)}, but the given values have shape ${shapeText(t.shape)}`, ["nodes", i, "params", name]);
      params[name] = t;
    } else {
      params[name] = initParam(shape, spec.init ?? "uniform-fan-in", rng, ctx);
    }
  }
  return params;
}

function initParam(shape: number[], init: NonNullable<OpDef["params"]>[string]["init"], rng: Rng, ctx: ShapeContext): Tensor {
  if (typeof init === "function") return init(shape, rng, ctx);
  const t = tensor(shape);
  const fanIn = shape.length > 1 ? sizeOf(shape.slice(1)) : shape[0];
  const bound = 1 / Math.sqrt(Math.max(1, fanIn));
  for (let i = 0; i < t.data.length; i++) {
    t.data[i] = init === "zeros" ? 0 : init === "ones" ? 1 : init === "normal" ? rng.normal() : (2 * rng.uniform() - 1) * bound;
  }
  return t;
}

type Resolved = { spec: NodeSpec; op: OpDef; inputs: string[]; index: number };

function topologicalOrder(nodes: Resolved[], nodeIndex: Map<string, number>): Resolved[] {
  const state = new Array<0 | 1 | 2>(nodes.length).fill(0); // 0 new, 1 on stack, 2 done
  const order: Resolved[] = [];
  // Depth-first, post-order, with an explicit stack: a chain of 100,000 nodes
  // listed in reverse would overflow the call stack of a recursive walk.
  for (let root = 0; root < nodes.length; root++) {
    if (state[root] === 2) continue;
    const stack: { i: number; next: number }[] = [{ i: root, next: 0 }];
    state[root] = 1;
    while (stack.length) {
      const top = stack[stack.length - 1];
      const inputs = nodes[top.i].inputs;
      if (top.next === inputs.length) {
        state[top.i] = 2;
        order.push(nodes[top.i]);
        stack.pop();
        continue;
      }
      const k = top.next++;
      const j = nodeIndex.get(inputs[k]);
      if (j === undefined || state[j] === 2) continue;
      if (state[j] === 1) {
        const trail = stack.map((f) => f.i);
        const cycle = [...trail.slice(trail.indexOf(j)), j].map((m) => nodes[m].spec.id);
        throw new NetworkError(`cycle: ${cycle.join(" → ")}`, nodes[top.i].spec.inputs !== undefined ? ["nodes", top.i, "inputs", k] : ["nodes", top.i]);
      }
      state[j] = 1;
      stack.push({ i: j, next: 0 });
    }
  }
  return order;
}

/** Run one node's forward and check what came back (custom ops may return anything). */
export function runForward(node: GraphNode, values: Map<string, Tensor>): Tensor {
  const out = node.op.forward({ inputs: node.inputs.map((n) => values.get(n)!), params: node.params, attrs: node.attrs });
  if (!isTensor(out)) throw new UserOpError(`${node.id} (${node.op.name}): forward must return a tensor { shape: number[], data: Float64Array } of matching size, got ${describeValue(out)}`);
  return out;
}

/** A user's op returned something unusable (wrong shape or type). */
export class UserOpError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "UserOpError";
  }
}

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

export interface ForwardResult {
  values: Map<string, Tensor>;
  loss: number;
}

/** Forward through the whole graph. `overrides` replace input values or "<node>.<param>" tensors. */
export function forward(graph: Graph, overrides?: Map<string, Tensor>): ForwardResult {
  const values = new Map<string, Tensor>();
  for (const inp of graph.inputs) values.set(inp.id, overrides?.get(inp.id) ?? inp.value);
  for (const node of graph.nodes) {
    if (overrides && overrides.size) {
      const params = withParamOverrides(node, overrides);
      values.set(node.id, runForward(params === node.params ? node : { ...node, params }, values));
    } else values.set(node.id, runForward(node, values));
  }
  return { values, loss: lossOf(graph, values.get(graph.output)!) };
}

function withParamOverrides(node: GraphNode, overrides: Map<string, Tensor>): Record<string, Tensor> {
  let params = node.params;
  for (const name of Object.keys(node.params)) {
    const o = overrides.get(`${node.id}.${name}`);
    if (o) params = params === node.params ? { ...params, [name]: o } : Object.assign(params, { [name]: o });
  }
  return params;
}

/** The scalar loss: the output itself, or Σ rᵢ·outᵢ with the fixed seeded projection r. */
export function lossOf(graph: Graph, out: Tensor): number {
  if (!graph.projection) return out.data[0];
  let s = 0;
  for (let i = 0; i < out.data.length; i++) s += graph.projection[i] * out.data[i];
  return s;
}

export interface Gradients {
  /** ∂L/∂value for every input and node output. */
  values: Map<string, Tensor>;
  /** ∂L/∂θ keyed "<node>.<param>". */
  params: Map<string, Tensor>;
}

/** Backpropagation: the reverse topological walk, each node's backward is upstream × local. */
export function backward(graph: Graph, values: Map<string, Tensor>): Gradients {
  const grads = new Map<string, Tensor>();
  const paramGrads = new Map<string, Tensor>();
  const out = values.get(graph.output)!;
  const seed = tensor(out.shape);
  if (graph.projection) seed.data.set(graph.projection);
  else seed.data[0] = 1;
  grads.set(graph.output, seed);
  const accumulate = (name: string, g: Tensor) => {
    const prev = grads.get(name);
    if (!prev) grads.set(name, { shape: [...g.shape], data: new Float64Array(g.data) });
    else for (let i = 0; i < g.data.length; i++) prev.data[i] += g.data[i];
  };
  for (let n = graph.nodes.length - 1; n >= 0; n--) {
    const node = graph.nodes[n];
    const gradOutput = grads.get(node.id);
    if (!gradOutput) continue; // does not feed the loss
    const result = runBackward(node, node.inputs.map((i) => values.get(i)!), node.params, values.get(node.id)!, gradOutput);
    node.inputs.forEach((name, k) => {
      const g = result.inputs[k];
      if (g) accumulate(name, g);
    });
    for (const [p, g] of Object.entries(result.params)) paramGrads.set(`${node.id}.${p}`, g);
  }
  return { values: grads, params: paramGrads };
}

export interface CheckedBackward {
  inputs: (Tensor | null)[];
  params: Record<string, Tensor>;
}

/**
 * A node's backward (or its jacobian turned into a vector–Jacobian product),
 * with what came back checked: the op, the input and both shapes are named.
 */
export function runBackward(node: Pick<GraphNode, "id" | "op" | "attrs" | "labelInputs">, inputs: Tensor[], params: Record<string, Tensor>, output: Tensor, gradOutput: Tensor): CheckedBackward {
  const op = node.op;
  const where = `${node.id} (${op.name})`;
  let raw: { inputs?: (Tensor | null)[]; params?: Record<string, Tensor> };
  if (op.backward) {
    raw = op.backward({ inputs, params, attrs: node.attrs, output, gradOutput }) as typeof raw;
    if (typeof raw !== "object" || raw === null) throw new UserOpError(`${where}: backward must return { inputs?: [...], params?: {...} }, got ${describeValue(raw)}`);
  } else if (op.jacobian) {
    const jac = op.jacobian({ inputs, params, attrs: node.attrs, output });
    if (typeof jac !== "object" || jac === null) throw new UserOpError(`${where}: jacobian must return { inputs?: [...], params?: {...} }, got ${describeValue(jac)}`);
    const vjp = (j: Tensor | null | undefined, target: Tensor, label: string): Tensor | null => {
      if (j === null || j === undefined) return null;
      const rows = output.data.length, cols = target.data.length;
      if (!isTensor(j) || sizeOf(j.shape) !== rows * cols || j.shape.length !== 2 || j.shape[0] !== rows)
        throw new UserOpError(`${where}: jacobian for ${label} must have shape [${rows}, ${cols}] (output size × ${label} size), got ${describeValue(j)}`);
      const g = tensor(target.shape);
      for (let r = 0; r < rows; r++) {
        const go = gradOutput.data[r];
        if (go === 0) continue;
        for (let c = 0; c < cols; c++) g.data[c] += go * j.data[r * cols + c];
      }
      return g;
    };
    raw = {
      inputs: inputs.map((x, k) => vjp(jac.inputs?.[k], x, `input ${k + 1}`)),
      params: Object.fromEntries(Object.entries(params).map(([p, t]) => [p, vjp(jac.params?.[p], t, `param '${p}'`)!]).filter(([, g]) => g)),
    };
  } else {
    throw new UserOpError(`${where}: the op has neither backward nor jacobian`);
  }
  const result: CheckedBackward = { inputs: [], params: {} };
  inputs.forEach((x, k) => {
    const g = raw.inputs?.[k];
    if (node.labelInputs.has(k) || g === null || g === undefined) {
      result.inputs.push(null);
      return;
    }
    if (!isTensor(g)) throw new UserOpError(`${where}: backward returned ${describeValue(g)} for input ${k + 1}; expected a tensor of shape ${shapeText(x.shape)}`);
    if (!sameShape(g.shape, x.shape)) throw new UserOpError(`${where}: backward returned a gradient of shape ${shapeText(g.shape)} for input ${k + 1}, which has shape ${shapeText(x.shape)}`);
    result.inputs.push(g);
  });
  for (const [p, t] of Object.entries(params)) {
    const g = raw.params?.[p];
    if (g === undefined || g === null) throw new UserOpError(`${where}: backward returned no gradient for parameter '${p}' (shape ${shapeText(t.shape)})`);
    if (!isTensor(g)) throw new UserOpError(`${where}: backward returned ${describeValue(g)} for parameter '${p}'; expected a tensor of shape ${shapeText(t.shape)}`);
    if (!sameShape(g.shape, t.shape)) throw new UserOpError(`${where}: backward returned a gradient of shape ${shapeText(g.shape)} for parameter '${p}', which has shape ${shapeText(t.shape)}`);
    result.params[p] = g;
  }
  return result;
}

/** What the graph drawing needs, without a check. */
export function describeGraph(graph: Graph): GraphView {
  return {
    name: graph.name,
    output: graph.output,
    inputs: graph.inputs.map((i) => ({ id: i.id, shape: i.shape, ...(i.classes !== undefined ? { classes: i.classes } : {}) })),
    nodes: graph.nodes.map((n) => ({
      id: n.id, op: n.op.name, inputs: n.inputs, inputShapes: n.inputShapes, outputShape: n.outputShape,
      params: Object.entries(n.params).map(([name, t]) => ({ name, shape: t.shape, size: t.data.length })),
    })),
  };
}

/** Names (inputs and nodes) from which the output can be reached. */
export function feedsOutput(graph: Graph): Set<string> {
  const byId = new Map(graph.nodes.map((n) => [n.id, n]));
  const seen = new Set<string>();
  const stack = [graph.output];
  while (stack.length) {
    const id = stack.pop()!;
    if (seen.has(id)) continue;
    seen.add(id);
    for (const i of byId.get(id)?.inputs ?? []) stack.push(i);
  }
  return seen;
}
