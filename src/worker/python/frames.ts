/**
 * Frames of the Python runner's protocol (README.md beside this file), the TypeScript half of
 * `encode_frame` / `decode_frame` in runner.py. A frame is a 16-byte header (magic "GLP1", body
 * length, JSON length, array count), a JSON object padded to 8 bytes, then each array as a small
 * binary header (dtype, ndim, dims) and its raw little-endian values, 8-aligned. Inside the JSON an
 * array is `{"$t": k}`. Float64 values never travel as JSON numbers.
 */
import type { Tensor } from "../../engine/tensor.js";

export const MAGIC = 0x31504c47; // "GLP1" read as a little-endian u32
export const HEADER_BYTES = 16;
export const FLOAT64 = 1, INT64 = 2;

/** An array on the wire: float64, or int64 for integer class labels (stored here as whole float64s). */
export interface WireArray {
  shape: readonly number[];
  data: Float64Array;
  int64?: boolean;
}

const pad8 = (n: number) => (n + 7) & ~7;
const sizeOf = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);

if (new Uint8Array(Float64Array.of(1).buffer)[7] !== 0x3f) {
  throw new Error("GradLens's Python protocol sends float64 values as little-endian bytes; this machine is big-endian");
}

/** Builds one frame: `ref(array)` stands for an array inside the JSON. */
export class FrameWriter {
  private readonly arrays: WireArray[] = [];

  ref(array: WireArray): { $t: number } {
    this.arrays.push(array);
    return { $t: this.arrays.length - 1 };
  }

  finish(meta: unknown): ArrayBuffer {
    const json = new TextEncoder().encode(JSON.stringify(meta));
    const jsonBytes = pad8(json.length);
    let size = HEADER_BYTES + jsonBytes;
    for (const a of this.arrays) size += pad8(8 + 4 * a.shape.length) + 8 * sizeOf(a.shape);
    const buffer = new ArrayBuffer(size);
    const view = new DataView(buffer);
    const bytes = new Uint8Array(buffer);
    view.setUint32(0, MAGIC, true);
    view.setUint32(4, size - HEADER_BYTES, true);
    view.setUint32(8, jsonBytes, true);
    view.setUint32(12, this.arrays.length, true);
    bytes.set(json, HEADER_BYTES);
    bytes.fill(0x20, HEADER_BYTES + json.length, HEADER_BYTES + jsonBytes); // JSON may end in spaces
    let pos = HEADER_BYTES + jsonBytes;
    for (const a of this.arrays) {
      const n = sizeOf(a.shape);
      if (a.data.length !== n) throw new Error(`a tensor of shape [${a.shape.join(", ")}] needs ${n} values, got ${a.data.length}`);
      view.setUint32(pos, a.int64 ? INT64 : FLOAT64, true);
      view.setUint32(pos + 4, a.shape.length, true);
      a.shape.forEach((d, i) => view.setUint32(pos + 8 + 4 * i, d, true));
      pos += pad8(8 + 4 * a.shape.length);
      if (a.int64) {
        const out = new BigInt64Array(buffer, pos, n);
        for (let i = 0; i < n; i++) out[i] = BigInt(Math.trunc(a.data[i]));
      } else {
        new Float64Array(buffer, pos, n).set(a.data);
      }
      pos += 8 * n;
    }
    return buffer;
  }
}

/**
 * The frame's JSON with every `{"$t": k}` replaced by a Tensor. Float64 tensors are views into
 * `buffer` (no copy): the buffer is the frame's own, handed over by the relay thread.
 */
export function decodeFrame(buffer: ArrayBuffer): Record<string, unknown> {
  const view = new DataView(buffer);
  if (buffer.byteLength < HEADER_BYTES || view.getUint32(0, true) !== MAGIC) throw new Error("Python protocol: a frame without its magic");
  const jsonBytes = view.getUint32(8, true);
  const count = view.getUint32(12, true);
  const meta = JSON.parse(new TextDecoder().decode(new Uint8Array(buffer, HEADER_BYTES, jsonBytes)));
  const tensors: Tensor[] = [];
  let pos = HEADER_BYTES + jsonBytes;
  for (let k = 0; k < count; k++) {
    const dtype = view.getUint32(pos, true);
    const ndim = view.getUint32(pos + 4, true);
    const shape = Array.from({ length: ndim }, (_, i) => view.getUint32(pos + 8 + 4 * i, true));
    pos += pad8(8 + 4 * ndim);
    const n = sizeOf(shape);
    let data: Float64Array;
    if (dtype === FLOAT64) data = new Float64Array(buffer, pos, n);
    else if (dtype === INT64) data = Float64Array.from(new BigInt64Array(buffer, pos, n), Number);
    else throw new Error(`Python protocol: unknown dtype code ${dtype}`);
    tensors.push({ shape, data });
    pos += 8 * n;
  }
  const resolve = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(resolve);
    if (v && typeof v === "object") {
      const o = v as Record<string, unknown>;
      const keys = Object.keys(o);
      if (keys.length === 1 && keys[0] === "$t") return tensors[o.$t as number];
      return Object.fromEntries(keys.map((key) => [key, resolve(o[key])]));
    }
    return v;
  };
  return resolve(meta) as Record<string, unknown>;
}

/** Whole frames out of a byte stream, and whatever was not a frame (text printed before the runner took fd 1). */
export class FrameReader {
  private chunks: Uint8Array[] = [];
  private bytes = 0;
  private need = HEADER_BYTES;
  private haveHeader = false;

  constructor(private readonly onFrame: (frame: ArrayBuffer) => void, private readonly onStray: (text: Uint8Array) => void) {}

  push(chunk: Uint8Array): void {
    this.chunks.push(chunk);
    this.bytes += chunk.length;
    while (this.bytes >= this.need) {
      const all = this.chunks.length === 1 ? this.chunks[0] : concat(this.chunks, this.bytes);
      this.chunks = [all];
      if (!this.haveHeader) {
        const at = findMagic(all);
        if (at !== 0) {
          // Not a frame: pass it on as text, keeping a tail that might be the start of the magic.
          const cut = at < 0 ? Math.max(0, all.length - 3) : at;
          this.onStray(all.subarray(0, cut));
          this.chunks = [all.subarray(cut)];
          this.bytes = all.length - cut;
          if (at < 0) return;
          continue;
        }
        this.need = HEADER_BYTES + new DataView(all.buffer, all.byteOffset, HEADER_BYTES).getUint32(4, true);
        this.haveHeader = true;
        continue;
      }
      const frame = new ArrayBuffer(this.need);
      new Uint8Array(frame).set(all.subarray(0, this.need));
      const rest = all.subarray(this.need);
      this.chunks = rest.length ? [rest] : [];
      this.bytes = rest.length;
      this.need = HEADER_BYTES;
      this.haveHeader = false;
      this.onFrame(frame);
    }
  }
}

function concat(chunks: Uint8Array[], total: number): Uint8Array {
  const out = new Uint8Array(total);
  let pos = 0;
  for (const c of chunks) {
    out.set(c, pos);
    pos += c.length;
  }
  return out;
}

const MAGIC_BYTES = [0x47, 0x4c, 0x50, 0x31];

function findMagic(b: Uint8Array): number {
  for (let i = 0; i + 4 <= b.length; i++) {
    if (b[i] === MAGIC_BYTES[0] && b[i + 1] === MAGIC_BYTES[1] && b[i + 2] === MAGIC_BYTES[2] && b[i + 3] === MAGIC_BYTES[3]) return i;
  }
  return -1;
}
