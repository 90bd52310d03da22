/**
 * A random upstream gradient u and backward(u), twice: as in PyTorch's
 * gradcheck, the same backward on the same values must give the same numbers
 * (fast mode then reuses backward(u) for every input and parameter).
 */
import type { CheckedBackward } from "../graph.js";
import { Rng, deriveSeed } from "../random.js";
import type { Tensor } from "../tensor.js";
import { backwardOf, gradOf, type LocalCheck, type Wrt } from "./local-node.js";

export interface UpstreamProbe {
  u: Tensor;
  /** backward(u) (none for an empty output). */
  uJ?: CheckedBackward;
  /** Set when the second call differed: what differed, in words. */
  reentrancy?: string;
}

export function probeUpstream(check: LocalCheck, wrts: Wrt[]): UpstreamProbe {
  const { node, output, opts } = check;
  const R = output.data.length;
  const u = { shape: output.shape, data: new Float64Array(R) };
  const r0 = new Rng(deriveSeed(opts.seed ?? 0, `reentrancy:${node.id}`));
  for (let i = 0; i < R; i++) u.data[i] = r0.normal();
  if (R === 0) return { u };
  const first = backwardOf(check, u);
  const second = backwardOf(check, u);
  return { u, uJ: first, reentrancy: firstDifference(first, second, wrts) };
}

function firstDifference(first: CheckedBackward, second: CheckedBackward, wrts: Wrt[]): string | undefined {
  for (const w of wrts) {
    const g1 = gradOf(first, w), g2 = gradOf(second, w);
    if (!g1 || !g2) continue;
    for (let i = 0; i < g1.data.length; i++) {
      if (g1.data[i] !== g2.data[i] && !(Number.isNaN(g1.data[i]) && Number.isNaN(g2.data[i])))
        return `backward gave different results on two calls with the same inputs (for ${w.name}, entry ${i}: ${g1.data[i]} then ${g2.data[i]}): it keeps hidden state between calls`;
    }
  }
  return undefined;
}
