/**
 * The network description — what a `.gradnet.json` parses to and what a
 * `.gradnet.ts` default-exports — and the error type that points into it.
 */
import type { OpDef } from "./op.js";
import type { Nested } from "./tensor.js";

export interface InputSpec {
  shape?: number[];
  values?: Nested;
  /** Integer labels in [0, classes): never differentiated (ops that take ids read them too). */
  classes?: number;
  /** A constant tensor (a mask, a table): usable by any op, never differentiated, never in gradients[]. */
  constant?: boolean;
}

/** A node's initial value for one parameter: nested arrays, or `{ shape }` for a seeded one of that shape. */
export type ParamValue = Nested | { shape: number[] };

export interface NodeSpec {
  id: string;
  op: string | OpDef;
  inputs?: string[];
  params?: Record<string, ParamValue>;
  /** A name shared by the nodes of one block ("block1"): the graph draws them as one collapsible box. */
  group?: string;
  [attr: string]: unknown;
}

export interface NetworkSpec {
  name?: string;
  seed?: number;
  inputs: Record<string, InputSpec>;
  nodes: NodeSpec[];
  output?: string;
  /** JSON only: custom op name → "./file.ts#export" or "./file.py#name". */
  ops?: Record<string, string>;
}

/** A path into the network object, e.g. ["nodes", 2, "units"]. */
export type SpecPath = (string | number)[];

/**
 * A problem with the network file. `path` says which value is at fault; the
 * loader turns it into FILE:LINE:COL. `target: "key"` points at the property name.
 */
export class NetworkError extends Error {
  constructor(message: string, readonly path: SpecPath, readonly target: "value" | "key" = "value") {
    super(message);
    this.name = "NetworkError";
  }
}

/** `network({...})` in a `.gradnet.ts`: identity with types. */
export function network(spec: NetworkSpec): NetworkSpec {
  return spec;
}
