/** "did you mean …?" — the nearest name by edit distance, if it is near enough. */
export function editDistance(a: string, b: string): number {
  const prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let diag = prev[0];
    prev[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const up = prev[j];
      prev[j] = Math.min(prev[j] + 1, prev[j - 1] + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1));
      diag = up;
    }
  }
  return prev[b.length];
}

const MAX_SUGGESTED_LENGTH = 100;

export function nearest(name: string, candidates: Iterable<string>): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  const lower = name.toLowerCase();
  // Nobody misspells a name longer than this; and the edit distance of two
  // million-character names (a hostile file) would take hours.
  if (name.length > MAX_SUGGESTED_LENGTH) return undefined;
  const near = Math.max(2, Math.floor(name.length / 3));
  for (const c of candidates) {
    // The distance is at least the difference in length: skip hopeless candidates.
    if (Math.abs(c.length - name.length) > near) continue;
    const d = editDistance(lower, c.toLowerCase());
    if (d < bestDistance) {
      bestDistance = d;
      best = c;
    }
  }
  return best !== undefined && bestDistance <= near ? best : undefined;
}

export function didYouMean(name: string, candidates: Iterable<string>): string {
  const n = nearest(name, candidates);
  return n ? `; did you mean '${n}'?` : "";
}
