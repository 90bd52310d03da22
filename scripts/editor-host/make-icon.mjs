// Draws media/icon.png (128×128): a small computation graph — two checked
// nodes (green) and a failing one (red) — under a magnifying lens.
// Pure Node (zlib), 4×4 supersampling for smooth edges. Run: node scripts/editor-host/make-icon.mjs
import { deflateSync } from "node:zlib";
import { writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const N = 128, S = 4;
const rgba = new Float64Array(N * N * 4);
const hex = (h) => [1, 3, 5].map((i) => parseInt(h.slice(i, i + 2), 16));

// Each shape: coverage(x, y) ∈ {0,1} at a sample point; drawn in order (painter's algorithm).
const shapes = [];
const add = (color, inside, alpha = 1) => shapes.push({ c: hex(color), inside, alpha });
const rrect = (x0, y0, x1, y1, r) => (x, y) => {
  const dx = Math.max(x0 + r - x, 0, x - (x1 - r)), dy = Math.max(y0 + r - y, 0, y - (y1 - r));
  return x >= x0 && x <= x1 && y >= y0 && y <= y1 && dx * dx + dy * dy <= r * r;
};
const disc = (cx, cy, r) => (x, y) => (x - cx) ** 2 + (y - cy) ** 2 <= r * r;
const ring = (cx, cy, r0, r1) => (x, y) => { const d = (x - cx) ** 2 + (y - cy) ** 2; return d >= r0 * r0 && d <= r1 * r1; };
const segment = (ax, ay, bx, by, w) => (x, y) => {
  const vx = bx - ax, vy = by - ay, t = Math.max(0, Math.min(1, ((x - ax) * vx + (y - ay) * vy) / (vx * vx + vy * vy)));
  return (x - ax - t * vx) ** 2 + (y - ay - t * vy) ** 2 <= (w / 2) ** 2;
};

add("#1b2a4a", rrect(4, 4, 124, 124, 24));                       // background
add("#8fa3c7", segment(30, 40, 62, 70, 5));                       // edges
add("#8fa3c7", segment(30, 96, 62, 70, 5));
add("#8fa3c7", segment(62, 70, 96, 54, 5));
add("#34c759", disc(30, 40, 12));                                 // checked nodes
add("#34c759", disc(30, 96, 12));
add("#ff453a", disc(62, 70, 14));                                 // the failing node
add("#34c759", disc(96, 54, 10));
add("#ffffff", disc(62, 70, 27), 0.12);                           // lens glass
add("#f5f7fb", ring(62, 70, 24, 30));                             // lens rim
add("#f5f7fb", segment(84, 92, 110, 118, 11));                    // handle

for (let py = 0; py < N; py++) for (let px = 0; px < N; px++) {
  let r = 0, g = 0, b = 0, a = 0;
  for (let sy = 0; sy < S; sy++) for (let sx = 0; sx < S; sx++) {
    const x = px + (sx + 0.5) / S, y = py + (sy + 0.5) / S;
    let cr = 0, cg = 0, cb = 0, ca = 0;
    for (const s of shapes) if (s.inside(x, y)) {
      const k = s.alpha;
      cr = cr * (1 - k) + s.c[0] * k; cg = cg * (1 - k) + s.c[1] * k; cb = cb * (1 - k) + s.c[2] * k;
      ca = ca + (1 - ca) * k;
    }
    r += cr; g += cg; b += cb; a += ca;
  }
  const n = S * S, i = (py * N + px) * 4;
  rgba[i] = a ? r / a : 0; rgba[i + 1] = a ? g / a : 0; rgba[i + 2] = a ? b / a : 0; rgba[i + 3] = (a / n) * 255;
}

const raw = Buffer.alloc(N * (N * 4 + 1));
for (let y = 0; y < N; y++) {
  raw[y * (N * 4 + 1)] = 0;
  for (let x = 0; x < N * 4; x++) raw[y * (N * 4 + 1) + 1 + x] = Math.round(Math.max(0, Math.min(255, rgba[y * N * 4 + x])));
}
const crcTable = Array.from({ length: 256 }, (_, n) => { let c = n; for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1; return c >>> 0; });
const crc = (buf) => { let c = 0xffffffff; for (const byte of buf) c = crcTable[(c ^ byte) & 0xff] ^ (c >>> 8); return (c ^ 0xffffffff) >>> 0; };
const chunk = (type, data) => {
  const len = Buffer.alloc(4); len.writeUInt32BE(data.length);
  const td = Buffer.concat([Buffer.from(type), data]);
  const c = Buffer.alloc(4); c.writeUInt32BE(crc(td));
  return Buffer.concat([len, td, c]);
};
const ihdr = Buffer.alloc(13);
ihdr.writeUInt32BE(N, 0); ihdr.writeUInt32BE(N, 4); ihdr[8] = 8; ihdr[9] = 6; // 8-bit RGBA
const png = Buffer.concat([Buffer.from([137, 80, 78, 71, 13, 10, 26, 10]), chunk("IHDR", ihdr), chunk("IDAT", deflateSync(raw, { level: 9 })), chunk("IEND", Buffer.alloc(0))]);
const out = join(dirname(fileURLToPath(import.meta.url)), "../../media/icon.png");
writeFileSync(out, png);
console.log(`${out}: ${png.length} bytes`);
