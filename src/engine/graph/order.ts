/** Topological order of the resolved nodes; a cycle is an error at the input that closes it. */
import { NetworkError } from "../network.js";
import type { Resolved } from "./resolve.js";

/** `producers`: value name → position of the node that produces it ("cell:h" → the cell's). */
export function topologicalOrder(nodes: Resolved[], producers: ReadonlyMap<string, number>): Resolved[] {
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
      const j = producers.get(inputs[k]);
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
