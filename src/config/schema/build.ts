/**
 * The JSON Schema of `.gradnet.json`, generated from the op registry so that op
 * names, attributes and their docs live in one place (the ops themselves).
 * `npm run gen-schema` writes it to gradnet.schema.json; a test checks the
 * committed file is current.
 *
 * `errorMessage` and `enumDescriptions` are VS Code's own schema keywords (shown
 * in the Problems panel and on completion); the loader reads `errorMessage` too.
 */
import type { AttrSpec, OpDef } from "../../engine/op.js";

type Schema = Record<string, unknown>;

const nested: Schema = {
  description: "A number, or nested arrays of numbers (row-major, outermost dimension first).",
  type: ["number", "array"],
  items: { $ref: "#/definitions/nested" },
  errorMessage: "must be a number or nested arrays of numbers",
};

const positiveInt: Schema = { type: "integer", minimum: 1, errorMessage: "must be a positive integer" };

/** A parameter's initial value: nested arrays, or `{ "shape": [...] }` for seeded values of that shape. */
const paramValue: Schema = {
  description: "Initial values as nested arrays, or { \"shape\": [...] } for seeded initial values of that shape.",
  // The nested branch written out (not a $ref), so that its errors stay inside this anyOf for the loader.
  anyOf: [
    { type: ["number", "array"], items: { $ref: "#/definitions/nested" } },
    {
      type: "object",
      required: ["shape"],
      properties: {
        shape: { description: "Dimensions of the parameter, e.g. [3, 4].", type: "array", items: { $ref: "#/definitions/positiveInt" }, errorMessage: "must be an array of positive integers" },
      },
      additionalProperties: false,
    },
  ],
  errorMessage: "must be nested arrays of numbers, or { \"shape\": [...] } for seeded values",
};

function intSchema(min: number | undefined, spec?: AttrSpec): Schema {
  if (spec?.max !== undefined) return { type: "integer", ...bounds(spec), errorMessage: `must be an integer in ${rangeText(spec)}` };
  if (min === 1) return { ...positiveInt };
  if (min === 0) return { type: "integer", minimum: 0, errorMessage: "must be a non-negative integer" };
  if (min !== undefined) return { type: "integer", minimum: min, errorMessage: `must be an integer ≥ ${min}` };
  return { type: "integer", errorMessage: "must be an integer" };
}

/** JSON Schema bounds of a number attribute: minimum, and maximum or exclusiveMaximum. */
function bounds(spec: AttrSpec): Schema {
  return {
    ...(spec.min !== undefined ? { minimum: spec.min } : {}),
    ...(spec.max !== undefined ? (spec.maxExclusive ? { exclusiveMaximum: spec.max } : { maximum: spec.max }) : {}),
  };
}

/** "[0, 1)" */
function rangeText(spec: AttrSpec): string {
  return `${spec.min === undefined ? "(−∞" : `[${spec.min}`}, ${spec.max}${spec.maxExclusive ? ")" : "]"}`;
}

function stringSchema(spec: AttrSpec): Schema {
  return spec.oneOf
    ? { type: "string", enum: spec.oneOf, errorMessage: `must be one of ${spec.oneOf.map((s) => JSON.stringify(s)).join(", ")}` }
    : { type: "string", minLength: 1, errorMessage: "must be a non-empty string" };
}

function intsWord(min: number | undefined): string {
  return min === 1 ? "positive integers" : min === 0 ? "non-negative integers" : min !== undefined ? `integers ≥ ${min}` : "integers";
}

/** One attribute's schema; `description` carries its doc and default for completion. */
export function attrSchema(spec: AttrSpec): Schema {
  const description = spec.doc + (spec.default !== undefined ? ` Default: ${JSON.stringify(spec.default)}.` : "") +
    (spec.required ? " Required." : "");
  const withDefault = spec.default !== undefined ? { default: spec.default } : {};
  switch (spec.type) {
    case "int":
      return { description, ...intSchema(spec.min, spec), ...withDefault };
    case "number":
      if (spec.max !== undefined) return { description, type: "number", ...bounds(spec), errorMessage: `must be a number in ${rangeText(spec)}`, ...withDefault };
      return spec.min !== undefined
        ? { description, type: "number", minimum: spec.min, errorMessage: `must be a number ≥ ${spec.min}`, ...withDefault }
        : { description, type: "number", errorMessage: "must be a number", ...withDefault };
    case "string":
      return { description, ...stringSchema(spec), ...withDefault };
    case "string[]": {
      const item = stringSchema(spec);
      return { description, type: "array", minItems: 1, items: item, errorMessage: `must be a non-empty array of strings (each ${String(item.errorMessage).replace(/^must be /, "")})`, ...withDefault };
    }
    case "bool":
      return { description, type: "boolean", errorMessage: "must be true or false", ...withDefault };
    case "int[]":
      return { description, type: "array", items: intSchema(spec.min, spec), errorMessage: `must be an array of ${intsWord(spec.min)}`, ...withDefault };
    case "int|int[]": {
      const item = intSchema(spec.min, spec);
      return {
        description,
        // A number is checked by `minimum`, an array by `items`: no anyOf, so errors point at the exact entry.
        type: ["integer", "array"],
        ...(item.minimum !== undefined ? { minimum: item.minimum } : {}),
        items: item,
        errorMessage: `must be ${spec.min === 1 ? "a positive integer" : "an integer"} or an array of ${intsWord(spec.min)}`,
        ...withDefault,
      };
    }
  }
}

function arityText(op: OpDef): { min?: number; max?: number; text?: string } {
  const a = op.arity;
  if (a === undefined) return {};
  const plural = (n: number) => `${n} input${n === 1 ? "" : "s"}`;
  if (typeof a === "number") return { min: a, max: a, text: `takes exactly ${plural(a)}` };
  const [min, max] = a;
  if (!Number.isFinite(max)) return { min, text: `takes at least ${plural(min)}` };
  return { min, max, text: `takes ${min} to ${max} inputs` };
}

/** What a node with this op may hold: the common keys, its attributes, its params. */
function opNodeSchema(op: OpDef): Schema {
  const attrs = op.attrs ?? {};
  const arity = arityText(op);
  const inputs: Schema = {};
  if (arity.min !== undefined) inputs.minItems = arity.min;
  if (arity.max !== undefined) inputs.maxItems = arity.max;
  if (arity.text) inputs.errorMessage = `${op.name} ${arity.text}`;
  const paramNames = Object.keys(op.params ?? {});
  const params: Schema = {
    properties: Object.fromEntries(paramNames.map((p) => [p, { description: `Initial value of ${op.name}'s ${p} (nested arrays, or { "shape": [...] } for seeded values).`, $ref: "#/definitions/paramValue" }])),
    additionalProperties: false,
  };
  const properties: Schema = { id: true, op: true, inputs, params, group: true, ...Object.fromEntries(Object.entries(attrs).map(([k, s]) => [k, attrSchema(s)])) };
  const required = Object.entries(attrs).filter(([, s]) => s.required).map(([k]) => k);
  return {
    if: { properties: { op: { const: op.name } }, required: ["op"] },
    then: { properties, ...(required.length ? { required } : {}), additionalProperties: false },
  };
}

export function buildSchema(ops: Iterable<OpDef>): Schema {
  const builtins = [...ops].filter((op) => op.builtin !== false);
  return {
    $schema: "http://json-schema.org/draft-07/schema#",
    title: "GradLens network (.gradnet.json)",
    description: "A network whose hand-written gradients GradLens checks against finite differences.",
    type: "object",
    required: ["inputs", "nodes"],
    additionalProperties: false,
    errorMessage: "must be an object with \"inputs\" and \"nodes\"",
    properties: {
      $schema: { description: "Path or URL of this schema (for the editor); ignored by GradLens.", type: "string" },
      name: { description: "Name of the network, shown in reports. Default: the file name.", type: "string", errorMessage: "must be a string" },
      seed: {
        description: "Seed for every random value (inputs, parameter initialisation, sampling). Same file, same seed: same numbers on every machine. Default: 0.",
        type: "integer", default: 0, errorMessage: "must be an integer",
      },
      inputs: {
        description: "The network's inputs: name → { shape } (values drawn from N(0, 1)), { values } (fixed), { shape, classes } (integer labels), or with \"constant\": true (never differentiated).",
        type: "object",
        minProperties: 1,
        propertyNames: { pattern: "^[^.:]+$", errorMessage: "must not contain '.' or ':' (gradients are named by input name; \"node:output\" reads an output)" },
        additionalProperties: { $ref: "#/definitions/input" },
        errorMessage: "must be an object mapping input names to { \"shape\": [...] }",
      },
      nodes: {
        description: "The layers, in order. Each node's default input is the previous node (the first input for the first node).",
        type: "array",
        minItems: 1,
        items: { $ref: "#/definitions/node" },
        errorMessage: "must be a non-empty array of nodes",
      },
      output: { description: "Id of the node whose value is the loss (\"node:output\" for one output of a multi-output node). Default: the last node. A non-scalar output is reduced by a fixed seeded random projection.", type: "string", errorMessage: "must be a node id (a string)" },
      ops: {
        description: "Custom ops: op name → \"./file.ts#exportName\" (a TypeScript module) or \"./file.py#name\" (a Python layer: a NumPy pair name_forward / name_backward, or a torch.autograd.Function subclass), relative to this file.",
        type: "object",
        additionalProperties: {
          type: "string",
          pattern: "^[^#]+#[A-Za-z_$][A-Za-z0-9_$]*$",
          errorMessage: "must look like \"./file.ts#exportName\" or \"./file.py#name\"",
        },
        errorMessage: "must be an object mapping op names to \"./file.ts#exportName\" or \"./file.py#name\"",
      },
    },
    // Without a custom-op map every op must be a built-in one.
    if: { required: ["ops"] },
    else: { properties: { nodes: { items: { properties: { op: { $ref: "#/definitions/builtinOp" } } } } } },
    definitions: {
      nested,
      positiveInt,
      paramValue,
      input: {
        description: "An input: { shape } drawn from N(0, 1) with the seed, { values } given, { shape, classes } integer labels in [0, classes), and \"constant\": true for a tensor that is never differentiated.",
        type: "object",
        properties: {
          shape: {
            description: "Dimensions, batch first, e.g. [4, 3]. [] is a scalar.",
            type: "array",
            items: { $ref: "#/definitions/positiveInt" },
            errorMessage: "must be an array of positive integers",
          },
          values: { description: "Fixed values as nested arrays (must agree with shape when both are given).", $ref: "#/definitions/nested" },
          classes: {
            description: "Makes this input integer class labels in [0, classes): never differentiated. Ops that take ids (embedding) read them too.",
            ...positiveInt,
          },
          constant: {
            description: "A constant tensor (a mask, a position table, fixed targets): usable by any op, never differentiated, never in the end-to-end gradients. Values seeded from N(0, 1), or given with \"values\".",
            type: "boolean",
            errorMessage: "must be true or false",
          },
        },
        additionalProperties: false,
        anyOf: [{ required: ["shape"] }, { required: ["values"] }],
        errorMessage: "must be an object like { \"shape\": [4, 3] }",
      },
      node: {
        description: "A node: { id, op, inputs?, params?, ...attributes of the op }.",
        type: "object",
        required: ["id", "op"],
        properties: {
          id: { description: "Unique name of this node (among nodes and inputs).", type: "string", pattern: "^[^.:]+$", errorMessage: "must be a non-empty string without '.' or ':' (gradients are named \"<node>.<param>\", outputs \"<node>:<output>\")" },
          op: { description: "A built-in op, or a custom op named in the top-level \"ops\".", type: "string", errorMessage: "must be an op name (a string)" },
          inputs: {
            description: "Names of the nodes or inputs this node reads (\"node:output\" for one output of a multi-output node such as split; plain \"node\" is its first). Default: the previous node (the first input for the first node).",
            type: "array",
            items: { type: "string", errorMessage: "must be a node or input id (a string)" },
            errorMessage: "must be an array of node or input ids",
          },
          params: {
            description: "Initial parameter values, e.g. { \"W\": [[...]], \"b\": [...] }, or { \"W\": { \"shape\": [3, 4] } } for seeded ones. Otherwise seeded initialisation. For a Python layer, the forward's arguments named here are its parameters.",
            type: "object",
            additionalProperties: { $ref: "#/definitions/paramValue" },
            errorMessage: "must be an object mapping parameter names to nested arrays (or { \"shape\": [...] })",
          },
          group: {
            description: "The block this node belongs to, e.g. \"block1\": the graph draws the nodes of a group as one box that can be collapsed (big networks open with their groups collapsed, except those holding a failure).",
            type: "string",
            pattern: "\\S",
            errorMessage: "must be a non-empty string (the name of the node's block)",
          },
        },
        allOf: builtins.map(opNodeSchema),
        errorMessage: "must be an object like { \"id\": \"fc\", \"op\": \"linear\", \"units\": 3 }",
      },
      builtinOp: {
        enum: builtins.map((op) => op.name),
        enumDescriptions: builtins.map((op) => op.summary ?? ""),
        errorMessage: "unknown op: use a built-in op, or declare a custom op in the top-level \"ops\"",
      },
    },
  };
}

/** The schema as committed: 2-space JSON with a final newline. */
export function schemaText(ops: Iterable<OpDef>): string {
  return JSON.stringify(buildSchema(ops), null, 2) + "\n";
}
