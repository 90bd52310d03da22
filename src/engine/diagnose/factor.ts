/** Naming a factor c of analytic ≈ c·numeric: 2, 1/2, the batch size B, 1/B, a ratio of counts (4/3) … */
import { fmt } from "./words.js";

export interface NamedFactor {
  value: number;
  text: string;
  hint: string;
  named: boolean;
}

/**
 * `single`: the factor comes from one number (fast mode's directional derivative). A real
 * scale bug gives the factor to finite-difference accuracy (~1e-8); a mismatch lands within
 * 1e-3 of some integer by chance, so one number must match far more closely.
 */
export function nameFactor(c: number, batch?: number, single = false): NamedFactor {
  const sign = c < 0 ? "−" : "";
  const m = Math.abs(c);
  const near = (x: number) => Math.abs(m - x) <= (single ? 1e-6 : 1e-3) * x;
  if (batch && batch > 1 && near(batch))
    return { value: Math.sign(c) * batch, text: `${sign}${batch} (the batch size B)`, hint: `a mean over the batch was differentiated as a sum — the 1/B (1/N) factor is missing.`, named: true };
  if (batch && batch > 1 && near(1 / batch))
    return { value: Math.sign(c) / batch, text: `${sign}1/${batch} (1/B, the batch size)`, hint: `a 1/B was applied twice, or to a sum that has none.`, named: true };
  for (let k = 2; k <= 1024; k++) {
    if (near(k)) return { value: Math.sign(c) * k, text: `${sign}${k}`, hint: k === 2 ? `the factor 2 is doubled or a gradient is added twice.` : `a factor ${k} is wrong — a sum where a mean belongs (1/N missing, N = ${k})?`, named: true };
    if (near(1 / k)) return { value: Math.sign(c) / k, text: `${sign}1/${k}`, hint: k === 2 ? `the factor 2 is missing — the 2 of a square's derivative d(e²)/de = 2e, or a 1/(1 − p) with p = 1/2 (inverted dropout)?` : `a 1/${k} too many — a mean where a sum belongs, or a factor ${k} dropped?`, named: true };
  }
  if (!single) {
    // A ratio of two small counts: a mean divided by q where p belongs (4/3: a batch of 4 averaged over 3 features).
    for (let q = 2; q <= 16; q++)
      for (let p = 2; p <= 16; p++) {
        if (p === q || gcd(p, q) !== 1 || !near(p / q)) continue;
        const hint = batch === p ? `a division by ${q} where the batch size B = ${p} belongs — a mean over the wrong axis or count?`
          : batch === q ? `a division by the batch size B = ${q} where ${p} belongs — a mean over the wrong axis or count?`
            : `a constant factor in the backward is wrong (${p}/${q} of the right value).`;
        return { value: (Math.sign(c) * p) / q, text: `${sign}${p}/${q}`, hint, named: true };
      }
  }
  return { value: c, text: `${sign}${fmt(m)}`, hint: `a constant factor in the backward is wrong.`, named: false };
}

function gcd(a: number, b: number): number {
  return b === 0 ? a : gcd(b, a % b);
}
