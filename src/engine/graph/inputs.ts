/**
 * A network's inputs: shape from "shape" or "values", integer labels for
 * "classes", constant tensors for "constant": true (never differentiated),
 * values drawn from N(0,1) (or uniform classes) with the seed.
 */
import { NetworkError, type SpecPath } from "../network.js";
import { Rng, deriveSeed } from "../random.js";
import { fromNested, sameShape, shapeText, tensor, type Nested, type Tensor } from "../tensor.js";
import { checkShape, forEachNested, nestedShape, type Limits } from "./spec-values.js";

/** An input as the build knows it: its shape always; its value made now, or (a shapes-only build) when needed. */
export interface PlannedInput {
  id: string;
  shape: number[];
  classes?: number;
  /** "constant": true — never differentiated (a mask, a table of positions). */
  constant?: boolean;
  /** Values written in the file (validated), else drawn with the seed. */
  given?: Nested;
  value?: Tensor;
}

/** Validates one entry of "inputs" (every error located in it) and counts it against the memory budget. */
export function planInput(id: string, s: unknown, limits: Limits): PlannedInput {
  const at = (...p: (string | number)[]): SpecPath => ["inputs", id, ...p];
  if (typeof s !== "object" || s === null || Array.isArray(s)) throw new NetworkError(`input '${id}' must be an object like { "shape": [4, 3] }`, at());
  const spec = s as { shape?: unknown; values?: unknown; classes?: unknown; constant?: unknown };
  if (id.includes(".")) throw new NetworkError(`input name '${id}' must not contain '.'`, at(), "key");
  if (id.includes(":")) throw new NetworkError(`input name '${id}' must not contain ':' (an output of a multi-output node is read as "<node>:<output>")`, at(), "key");
  let shape: number[] | undefined;
  if (spec.shape !== undefined) shape = checkShape(spec.shape, at("shape"), limits.maxSize);
  if (spec.values !== undefined) {
    const givenShape = nestedShape(spec.values, at("values"));
    if (shape && !sameShape(shape, givenShape))
      throw new NetworkError(`"values" of '${id}' have shape ${shapeText(givenShape)}, but "shape" says ${shapeText(shape)}`, at("values"));
    shape = givenShape;
  }
  if (!shape) throw new NetworkError(`input '${id}' needs a "shape" or "values"`, at());
  if (spec.constant !== undefined && typeof spec.constant !== "boolean")
    throw new NetworkError(`"constant" must be true or false, got ${JSON.stringify(spec.constant)}`, at("constant"));
  const constant = spec.constant === true;
  limits.budget.add(`input '${id}'`, shape, at(), spec.classes === undefined && !constant);
  const given = spec.values as Nested | undefined;
  if (spec.classes === undefined) return constant ? { id, shape, constant, given } : { id, shape, given };
  if (!Number.isInteger(spec.classes) || (spec.classes as number) < 1)
    throw new NetworkError(`"classes" must be a positive integer, got ${JSON.stringify(spec.classes)}`, at("classes"));
  const classes = spec.classes as number;
  if (given !== undefined) {
    forEachNested(given, (v, i) => {
      if (!Number.isInteger(v) || v < 0 || v >= classes)
        throw new NetworkError(`label ${v} at index ${i} of '${id}' is not a class in [0, ${classes})`, at("values"));
    });
  }
  return constant ? { id, shape, classes, constant, given } : { id, shape, classes, given };
}

/** Whether an input is differentiated: not class labels (or ids), not "constant". */
export function isDifferentiable(input: { classes?: number; constant?: boolean }): boolean {
  return input.classes === undefined && !input.constant;
}

/** The input's value: the given values, else seeded draws (labels: integers in [0, classes); others: N(0,1)). */
export function inputValue(input: PlannedInput, seed: number): Tensor {
  if (input.given !== undefined) return fromNested(input.given);
  const rng = new Rng(deriveSeed(seed, `input:${input.id}`));
  const value = tensor(input.shape);
  if (input.classes !== undefined) for (let i = 0; i < value.data.length; i++) value.data[i] = rng.int(input.classes);
  else for (let i = 0; i < value.data.length; i++) value.data[i] = rng.normal();
  return value;
}
