/** Progress reports at most every 50 ms (the last one, fraction 1, always). */
export type Progress = (fraction: number, message: string) => void;

export function throttle(f?: Progress): Progress {
  if (!f) return () => {};
  let last = 0;
  return (fraction, message) => {
    const now = performance.now();
    if (now - last < 50 && fraction < 1) return;
    last = now;
    f(fraction, message);
  };
}
