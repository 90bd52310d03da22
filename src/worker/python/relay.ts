/**
 * The relay thread of a PythonSession (bundled to dist/python-relay.js; run as source under tsx).
 *
 * The session's thread blocks while it waits for a reply (the engine is synchronous), so it cannot
 * run an event loop to read the child's pipes. This thread owns the child process instead: it writes
 * the session's request frames to the child's stdin, cuts the child's stdout into frames, and hands
 * each one over (transferred, not copied) on the session's MessagePort, waking the session with
 * Atomics.notify on the shared signal word. The child's stderr (C-level output, crashes) goes over
 * as text.
 *
 * Nothing here ends the child on purpose when the session's thread is terminated: Node tears this
 * thread down with its parent, which closes the pipes, and the runner exits on end of input.
 */
import { workerData } from "node:worker_threads";
import type { MessagePort } from "node:worker_threads";
import { spawn } from "node:child_process";
import { FrameReader } from "./frames.js";

export interface RelayData {
  python: string;
  args: string[];
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  port: MessagePort;
  /** Int32 word 0: bumped after every message posted to the session. */
  signal: SharedArrayBuffer;
}

/** Relay → session. */
export type RelayMessage =
  | { type: "spawned"; pid: number }
  | { type: "spawn-error"; code?: string; message: string }
  | { type: "frame"; buffer: ArrayBuffer }
  | { type: "stderr"; text: string }
  | { type: "exit"; code: number | null; signal: string | null };

/** Session → relay. */
export type SessionMessage = { type: "frame"; buffer: ArrayBuffer } | { type: "end" } | { type: "kill" };

const { python, args, cwd, env, port, signal } = workerData as RelayData;
const word = new Int32Array(signal);

function post(message: RelayMessage, transfer?: ArrayBuffer[]): void {
  port.postMessage(message, transfer);
  Atomics.add(word, 0, 1);
  Atomics.notify(word, 0);
}

const child = spawn(python, args, { cwd, env, stdio: ["pipe", "pipe", "pipe"], windowsHide: true });
let spawned = false;
child.on("spawn", () => {
  spawned = true;
  post({ type: "spawned", pid: child.pid! });
});
child.on("error", (e: NodeJS.ErrnoException) => {
  if (!spawned) post({ type: "spawn-error", code: e.code, message: e.message });
});
const text = new TextDecoder();
const reader = new FrameReader(
  (buffer) => post({ type: "frame", buffer }, [buffer]),
  (stray) => post({ type: "stderr", text: text.decode(stray) }),
);
child.stdout.on("data", (chunk: Buffer) => reader.push(chunk));
child.stderr.setEncoding("utf8").on("data", (t: string) => post({ type: "stderr", text: t }));
// A write after the child died fails with EPIPE; the exit message says what happened.
child.stdin.on("error", () => {});
// "close": the process has ended and its stdout and stderr are drained, so no frame comes after this.
child.on("close", (code, sig) => {
  post({ type: "exit", code, signal: sig });
  port.close();
});

port.on("message", (m: SessionMessage) => {
  if (m.type === "frame") child.stdin.write(new Uint8Array(m.buffer));
  else if (m.type === "end") child.stdin.end();
  else if (m.type === "kill") child.kill("SIGKILL");
});
