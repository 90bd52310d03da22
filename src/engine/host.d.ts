// What the engine takes from whatever runs it (Node, a worker thread, a browser):
// a monotonic clock, for the report's timings and progress. Nothing else: see
// src/engine/tsconfig.json (no Node types, no DOM) and test/node/architecture.test.ts.
// (Left out of the root tsconfig, where @types/node declares the full `performance`.)
declare const performance: { now(): number };
