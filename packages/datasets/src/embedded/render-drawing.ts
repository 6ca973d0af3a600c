import type { Rng } from '@lel/core';

/** Renders one drawing of a character into `out` (size·size, cleared by the caller's fresh array). */
export function renderDrawing(medians: readonly (readonly [number, number])[][], size: number, rng: Rng, jitter: number, out: Float32Array): void {
  // Global "drawer" style.
  const penWidth = (size / 28) * rng.uniform(1.4, 2.8);
  const rot = rng.uniform(-12, 12) * (Math.PI / 180) * jitter;
  const shear = rng.uniform(-0.2, 0.2) * jitter;
  const aspect = 1 + rng.uniform(-0.15, 0.15) * jitter;
  const scale = 0.82 + rng.uniform(-0.1, 0.06) * jitter;
  const tx = rng.uniform(-0.05, 0.05) * jitter;
  const ty = rng.uniform(-0.05, 0.05) * jitter;
  const cos = Math.cos(rot);
  const sin = Math.sin(rot);
  // hanzi-writer coordinates: x in [0, 1024], y in [-124, 900] pointing up; centre is (512, 388).
  const toCanvas = (x: number, y: number): [number, number] => {
    let u = (x - 512) / 1024;
    let v = (388 - y) / 1024;
    u = (u + shear * v) * aspect;
    v = v / aspect;
    const ru = cos * u - sin * v;
    const rv = sin * u + cos * v;
    return [(ru * scale + 0.5 + tx) * size, (rv * scale + 0.5 + ty) * size];
  };
  for (const stroke of medians) {
    // Per-stroke jitter in font units: a shift, a small turn about the stroke's centre, and end trimming.
    const sx = rng.normal(0, 18) * jitter;
    const sy = rng.normal(0, 18) * jitter;
    const turn = rng.normal(0, 4) * (Math.PI / 180) * jitter;
    let mx = 0;
    let my = 0;
    for (const [x, y] of stroke) {
      mx += x / stroke.length;
      my += y / stroke.length;
    }
    const tc = Math.cos(turn);
    const ts = Math.sin(turn);
    const pts = stroke.map(([x, y], k) => {
      // Smooth bend: a low-frequency offset shared by neighbouring points.
      const bend = Math.sin((Math.PI * k) / Math.max(1, stroke.length - 1));
      const bx = x + bend * rng.normal(0, 10) * jitter;
      const by = y + bend * rng.normal(0, 10) * jitter;
      const dx = bx - mx;
      const dy = by - my;
      return toCanvas(mx + tc * dx - ts * dy + sx, my + ts * dx + tc * dy + sy);
    });
    trimEnds(pts, rng.uniform(-0.08, 0.12) * jitter, rng.uniform(-0.08, 0.12) * jitter);
    for (let k = 0; k + 1 < pts.length; k++) drawSegment(out, size, pts[k]!, pts[k + 1]!, penWidth);
  }
}

/** Moves the first/last point along its segment: positive fractions shorten the stroke, negative lengthen it. */
function trimEnds(pts: [number, number][], start: number, end: number): void {
  const move = (i: number, j: number, f: number) => {
    const a = pts[i]!;
    const b = pts[j]!;
    pts[i] = [a[0] + (b[0] - a[0]) * f, a[1] + (b[1] - a[1]) * f];
  };
  if (pts.length >= 2) {
    move(0, 1, start);
    move(pts.length - 1, pts.length - 2, end);
  }
}

/** Draws an anti-aliased thick segment (round caps) by distance to the segment, keeping the max coverage. */
function drawSegment(out: Float32Array, size: number, a: [number, number], b: [number, number], width: number): void {
  const r = width / 2;
  const x0 = Math.max(0, Math.floor(Math.min(a[0], b[0]) - r - 1));
  const x1 = Math.min(size - 1, Math.ceil(Math.max(a[0], b[0]) + r + 1));
  const y0 = Math.max(0, Math.floor(Math.min(a[1], b[1]) - r - 1));
  const y1 = Math.min(size - 1, Math.ceil(Math.max(a[1], b[1]) + r + 1));
  const dx = b[0] - a[0];
  const dy = b[1] - a[1];
  const len2 = dx * dx + dy * dy;
  for (let y = y0; y <= y1; y++) {
    for (let x = x0; x <= x1; x++) {
      const px = x + 0.5 - a[0];
      const py = y + 0.5 - a[1];
      const t = len2 > 0 ? Math.min(1, Math.max(0, (px * dx + py * dy) / len2)) : 0;
      const ex = px - t * dx;
      const ey = py - t * dy;
      const cov = Math.min(1, Math.max(0, r + 0.5 - Math.sqrt(ex * ex + ey * ey)));
      const q = y * size + x;
      if (cov > out[q]!) out[q] = cov;
    }
  }
}
