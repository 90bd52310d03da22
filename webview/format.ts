/** Numbers and indices as the panel shows them. */
import { shapeText, unravel } from "../src/shared/arrays.js";

export { shapeText, unravel };

/** JSON turns NaN into null: read both as "not computed". */
export const num = (v: number | null | undefined): number => (typeof v === "number" ? v : NaN);

export function fmt(v: number | null | undefined, digits = 4): string {
  const x = num(v);
  if (Number.isNaN(x)) return "—";
  if (!Number.isFinite(x)) return x > 0 ? "∞" : "−∞";
  if (x === 0) return "0";
  const a = Math.abs(x);
  // Exponent form without trailing zeros: 1e-5, 2.5e+4.
  return a >= 1e4 || a < 1e-3 ? x.toExponential(digits - 1).replace(/\.?0+e/, "e") : String(Number(x.toPrecision(digits)));
}

/** Relative errors: two significant digits are plenty (1.9, 0.5, 3.2e-9). */
export const fmtRel = (v: number | null | undefined): string => fmt(v, 2);

export const indexText = (flat: number, shape: readonly number[]): string => shapeText(unravel(flat, shape));
