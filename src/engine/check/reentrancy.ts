/**
 * The same call twice must give the same numbers. A random upstream gradient u
 * and backward(u), twice, as in PyTorch's gradcheck (fast mode and the
 * linearity check then reuse backward(u)); and for a user op, its forward
 * once more at the forward pass's values against the output the pass cached:
 * a forward that draws fresh randomness (dropout with Math.random()) makes
 * every finite difference compare two different functions.
 */
import type { CheckedBackward } from "../graph.js";
import { Rng, deriveSeed } from "../random.js";
import { unravel, type Tensor } from "../tensor.js";
import { backwardsOf, forwardWith, gradOf, type LocalCheck, type Wrt } from "./local-node.js";

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
  const [first, second] = backwardsOf(check, [u, u]);
  return { u, uJ: first, reentrancy: firstDifference(first, second, wrts) };
}

function firstDifference(first: CheckedBackward, second: CheckedBackward, wrts: Wrt[]): string | undefined {
  for (const w of wrts) {
    const g1 = gradOf(first, w), g2 = gradOf(second, w);
    if (!g1 || !g2) continue;
    for (let i = 0; i < g1.data.length; i++) {
      if (g1.data[i] !== g2.data[i] && !(Number.isNaN(g1.data[i]) && Number.isNaN(g2.data[i])))
        return `the backward gave different results on two calls with the same inputs (for ${w.name}, entry ${i}: ${g1.data[i]} then ${g2.data[i]}): it keeps hidden state between calls`;
    }
  }
  return undefined;
}

/**
 * A user op's forward, called again on the values the forward pass gave it,
 * against the output the pass cached. Built-in ops are deterministic by
 * construction and are not called again.
 */
export function forwardRepeats(check: LocalCheck, wrts: Wrt[]): string | undefined {
  const { node, output } = check;
  if (node.op.builtin || wrts.length === 0) return undefined;
  const again = forwardWith(check, wrts[0], wrts[0].tensor);
  for (let i = 0; i < output.data.length; i++) {
    const a = output.data[i], b = again.data[i];
    if (a !== b && !(Number.isNaN(a) && Number.isNaN(b)))
      return `the forward gave different outputs on two calls with the same inputs (entry [${unravel(i, output.shape).join(", ")}]: ${a} then ${b}): it draws fresh randomness (Math.random()) or keeps state between calls, so every finite difference compares two different functions — draw it from the rng the forward receives (rng.bernoulli(p), rng.normal()), which replays the same stream on every call of the node, or take the mask as a constant input`;
  }
  return undefined;
}
