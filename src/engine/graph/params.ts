/**
 * A node's parameters: the op's declared ones (shape from the input shapes),
 * fixed by "params" in the file or drawn with the seeded stream of the node
 * (also when the file gives only their shape: `{ "shape": [3, 4] }`).
 */
import type { ParamSpec, ShapeContext } from "../op.js";
import { ShapeError } from "../op.js";
import { NetworkError } from "../network.js";
import type { Rng } from "../random.js";
import { fromNested, sameShape, shapeText, sizeOf, tensor, type Nested, type Tensor } from "../tensor.js";
import { didYouMean } from "../suggest.js";
import type { Resolved } from "./resolve.js";
import { checkShape, nestedShape, type Limits } from "./spec-values.js";
import type { SpecPath } from "../network.js";

/** One parameter, validated: its shape, and its values as written in the file or how to draw them. */
export interface ParamPlan {
  name: string;
  shape: number[];
  given?: Nested;
  init: NonNullable<ParamSpec["init"]>;
}

/**
 * The node's parameters in the op's order, each validated (and counted against
 * the memory budget) as it is yielded, so a caller that makes each value
 * before asking for the next sees the errors in the order a file is read.
 */
export function* planParams(r: Resolved, ctx: ShapeContext, limits: Limits): Generator<ParamPlan> {
  const { op, spec: node, index: i } = r;
  const given = node.params;
  if (given !== undefined && (typeof given !== "object" || given === null || Array.isArray(given)))
    throw new NetworkError("\"params\" must be an object: name → nested array (or { \"shape\": [...] })", ["nodes", i, "params"]);
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
    const shape = paramShape(r, spec, ctx);
    if (sizeOf(shape) > limits.maxSize) throw new NetworkError(`${node.id}.${name} would have shape ${shapeText(shape)} = ${sizeOf(shape)} values, over the limit of ${limits.maxSize}`, ["nodes", i]);
    limits.budget.add(`${node.id}.${name}`, shape, ["nodes", i]);
    const path = ["nodes", i, "params", name];
    const fixed = given?.[name];
    const init = spec.init ?? "uniform-fan-in";
    if (isShapeOnly(fixed)) {
      // Seeded, of a shape the file states: it must be the op's.
      const stated = checkShape(fixed.shape, [...path, "shape"], limits.maxSize);
      if (!sameShape(stated, shape)) throw new NetworkError(`${node.id}.${name} has shape ${shapeText(shape)}, not ${shapeText(stated)}`, [...path, "shape"]);
      yield { name, shape, init };
      continue;
    }
    if (fixed !== undefined) {
      const fixedShape = nestedShape(fixed, path);
      if (!sameShape(fixedShape, shape))
        throw new NetworkError(`${node.id}.${name} must have shape ${shapeText(shape)}, but the given values have shape ${shapeText(fixedShape)}`, path);
    }
    yield { name, shape, given: fixed as Nested | undefined, init };
  }
}

/** `{ "shape": [...] }`: a parameter given by its shape alone, seeded like one not given. */
export function isShapeOnly(v: unknown): v is { shape: unknown } {
  return typeof v === "object" && v !== null && !Array.isArray(v) && "shape" in v;
}

/** The shape a node's "params" entry gives a parameter (its values' or its `{ shape }`), validated at `path`. */
export function givenParamShape(v: unknown, path: SpecPath, maxSize: number): number[] {
  return isShapeOnly(v) ? checkShape(v.shape, [...path, "shape"], maxSize) : nestedShape(v, path);
}

function paramShape(r: Resolved, spec: ParamSpec, ctx: ShapeContext): number[] {
  try {
    return spec.shape(ctx);
  } catch (e) {
    if (e instanceof ShapeError) throw new NetworkError(`${r.spec.id} (${r.op.name}): ${e.message}`, ["nodes", r.index, "op"]);
    throw e;
  }
}

/** The parameter's value: as given, else drawn from `rng` (the node's stream, shared by its parameters in order). */
export function makeParam(plan: ParamPlan, rng: Rng, ctx: ShapeContext): Tensor {
  return plan.given !== undefined ? fromNested(plan.given) : initParam(plan.shape, plan.init, rng, ctx);
}

function initParam(shape: number[], init: ParamPlan["init"], rng: Rng, ctx: ShapeContext): Tensor {
  if (typeof init === "function") return init(shape, rng, ctx);
  const t = tensor(shape);
  const fanIn = shape.length > 1 ? sizeOf(shape.slice(1)) : shape[0];
  const bound = 1 / Math.sqrt(Math.max(1, fanIn));
  for (let i = 0; i < t.data.length; i++) {
    t.data[i] = init === "zeros" ? 0 : init === "ones" ? 1 : init === "normal" ? rng.normal() : (2 * rng.uniform() - 1) * bound;
  }
  return t;
}
