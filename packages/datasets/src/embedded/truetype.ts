import { DatasetError } from '../errors';
import { resolveLimits, type LoaderLimits } from '../limits';
import { readFileOrThrow } from '../loaders/read-file';

/** A closed outline: polyline points in font units (y up), the last joined to the first. */
export type Contour = [number, number][];

/** A parsed TrueType (glyf-outline) font: enough to list its characters and rasterise their outlines. */
export interface TrueTypeFont {
  file: string;
  unitsPerEm: number;
  /** Code point → glyph index, for every mapped character. */
  cmap: Map<number, number>;
  /** Flattened outline of a glyph (quadratic curves split into segments); empty for blank glyphs. */
  outline(glyph: number): Contour[];
}

interface Table {
  offset: number;
  length: number;
}

/**
 * Parses a TrueType font (`.ttf` with a `glyf` table, e.g. Debian's `fonts-noto-core`). CFF-flavoured OpenType
 * (`OTTO`) and collections (`ttcf`) are rejected with a message naming the file.
 */
export function parseTrueType(bytes: Uint8Array, file = '<font>'): TrueTypeFont {
  // Offsets come from the file: a read outside it (DataView's RangeError) is a damaged font, named as such.
  const font = guarded(file, () => parseTables(bytes, file));
  return { ...font, outline: (g) => guarded(file, () => font.outline(g)) };
}

function guarded<T>(file: string, fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    if (e instanceof RangeError) throw new DatasetError(file, `unreadable font: an offset in the file points outside it (${e.message})`);
    throw e;
  }
}

// Composite glyphs may reference other glyphs (up to 8 deep); a hostile font could make that exponential.
const MAX_COMPONENTS = 10_000;

function parseTables(bytes: Uint8Array, file: string): TrueTypeFont {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const fail = (what: string): never => {
    throw new DatasetError(file, `unreadable font: ${what}`);
  };
  if (bytes.length < 12) fail('file too short');
  const version = view.getUint32(0, false);
  if (version === 0x4f54544f) fail('CFF outlines (OTTO) are not supported, only TrueType glyf outlines');
  if (version === 0x74746366) fail('font collections (.ttc) are not supported');
  if (version !== 0x00010000 && version !== 0x74727565) fail(`unknown sfnt version 0x${version.toString(16)}`);
  const numTables = view.getUint16(4, false);
  const tables = new Map<string, Table>();
  for (let i = 0; i < numTables; i++) {
    const at = 12 + 16 * i;
    if (at + 16 > bytes.length) fail('truncated table directory');
    const tag = String.fromCharCode(bytes[at]!, bytes[at + 1]!, bytes[at + 2]!, bytes[at + 3]!);
    const offset = view.getUint32(at + 8, false);
    const length = view.getUint32(at + 12, false);
    if (offset + length > bytes.length) fail(`table ${tag} runs past the end of the file`);
    tables.set(tag, { offset, length });
  }
  const need = (tag: string): Table => tables.get(tag) ?? fail(`missing ${tag} table`);
  const head = need('head');
  const unitsPerEm = view.getUint16(head.offset + 18, false);
  const longLoca = view.getInt16(head.offset + 50, false) === 1;
  const numGlyphs = view.getUint16(need('maxp').offset + 4, false);
  const loca = need('loca');
  const glyf = need('glyf');
  const glyphRange = (g: number): [number, number] => {
    if (g < 0 || g >= numGlyphs) fail(`glyph index ${g} out of range [0, ${numGlyphs})`);
    const a = longLoca ? view.getUint32(loca.offset + 4 * g, false) : 2 * view.getUint16(loca.offset + 2 * g, false);
    const b = longLoca ? view.getUint32(loca.offset + 4 * g + 4, false) : 2 * view.getUint16(loca.offset + 2 * g + 2, false);
    return [glyf.offset + a, glyf.offset + b];
  };
  const cmap = parseCmap(view, need('cmap').offset, fail);

  let components = 0;
  const outline = (g: number, depth = 0): Contour[] => {
    if (depth === 0) components = 0;
    if (depth > 8) fail('composite glyphs nested too deeply');
    const [start, end] = glyphRange(g);
    if (end <= start) return [];
    const nContours = view.getInt16(start, false);
    let at = start + 10;
    if (nContours >= 0) {
      const ends: number[] = [];
      for (let i = 0; i < nContours; i++) {
        const e = view.getUint16(at + 2 * i, false);
        // Contour end indices must increase; a decreasing one would index points that were never read.
        if (i > 0 && e <= ends[i - 1]!) fail(`glyph ${g} contour ${i} ends at point ${e}, not after ${ends[i - 1]}`);
        ends.push(e);
      }
      at += 2 * nContours;
      at += 2 + view.getUint16(at, false); // skip instructions
      const nPoints = nContours ? ends[nContours - 1]! + 1 : 0;
      const flags: number[] = [];
      while (flags.length < nPoints) {
        const f = bytes[at++]!;
        flags.push(f);
        if (f & 8) for (let r = bytes[at++]!; r > 0; r--) flags.push(f);
      }
      const coords = (shortBit: number, sameBit: number): number[] => {
        const out: number[] = [];
        let v = 0;
        for (const f of flags.slice(0, nPoints)) {
          if (f & shortBit) v += f & sameBit ? bytes[at++]! : -bytes[at++]!;
          else if (!(f & sameBit)) {
            v += view.getInt16(at, false);
            at += 2;
          }
          out.push(v);
        }
        return out;
      };
      const xs = coords(2, 16);
      const ys = coords(4, 32);
      // Byte reads past the buffer give undefined (NaN coordinates), not a RangeError: refuse them here.
      if (at > bytes.length) fail(`glyph ${g} outline runs past the end of the file`);
      if (at > end + 3) fail(`glyph ${g} outline runs past its loca range`);
      const contours: Contour[] = [];
      let first = 0;
      for (const last of ends) {
        const pts = [];
        for (let i = first; i <= last; i++) pts.push({ x: xs[i]!, y: ys[i]!, on: (flags[i]! & 1) === 1 });
        contours.push(flattenQuadratic(pts));
        first = last + 1;
      }
      return contours;
    }
    // Composite glyph: transformed copies of other glyphs.
    const contours: Contour[] = [];
    for (;;) {
      const flags = view.getUint16(at, false);
      const child = view.getUint16(at + 2, false);
      at += 4;
      let dx: number;
      let dy: number;
      if (flags & 1) {
        dx = view.getInt16(at, false);
        dy = view.getInt16(at + 2, false);
        at += 4;
      } else {
        dx = view.getInt8(at);
        dy = view.getInt8(at + 1);
        at += 2;
      }
      if (!(flags & 2)) dx = dy = 0; // point-matching placement is not supported: place at the origin
      let [a, b, c, d] = [1, 0, 0, 1];
      const f2dot14 = (o: number) => view.getInt16(o, false) / 16384;
      if (flags & 8) {
        a = d = f2dot14(at);
        at += 2;
      } else if (flags & 0x40) {
        a = f2dot14(at);
        d = f2dot14(at + 2);
        at += 4;
      } else if (flags & 0x80) {
        [a, b, c, d] = [f2dot14(at), f2dot14(at + 2), f2dot14(at + 4), f2dot14(at + 6)];
        at += 8;
      }
      if (++components > MAX_COMPONENTS) fail(`glyph ${g} references more than ${MAX_COMPONENTS} component glyphs`);
      for (const contour of outline(child, depth + 1)) contours.push(contour.map(([x, y]) => [a * x + c * y + dx, b * x + d * y + dy]));
      if (!(flags & 0x20)) break;
    }
    return contours;
  };
  return { file, unitsPerEm, cmap, outline: (g) => outline(g) };
}

function parseCmap(view: DataView, base: number, fail: (what: string) => never): Map<number, number> {
  const n = view.getUint16(base + 2, false);
  let best: { offset: number; rank: number } | null = null;
  for (let i = 0; i < n; i++) {
    const platform = view.getUint16(base + 4 + 8 * i, false);
    const encoding = view.getUint16(base + 6 + 8 * i, false);
    const offset = base + view.getUint32(base + 8 + 8 * i, false);
    const format = view.getUint16(offset, false);
    // Prefer full-Unicode format 12 tables, then BMP format 4 tables.
    const unicode = platform === 0 || (platform === 3 && (encoding === 1 || encoding === 10));
    const rank = unicode && format === 12 ? 2 : unicode && format === 4 ? 1 : 0;
    if (rank > 0 && (!best || rank > best.rank)) best = { offset, rank };
  }
  if (!best) return fail('no Unicode cmap subtable (format 4 or 12)');
  const map = new Map<number, number>();
  const at = best.offset;
  if (best.rank === 2) {
    const groups = view.getUint32(at + 12, false);
    for (let i = 0; i < groups; i++) {
      const g = at + 16 + 12 * i;
      const start = view.getUint32(g, false);
      const endChar = view.getUint32(g + 4, false);
      const glyph = view.getUint32(g + 8, false);
      for (let c = start; c <= endChar && c - start < 0x10000; c++) map.set(c, glyph + c - start);
    }
  } else {
    const segX2 = view.getUint16(at + 6, false);
    const ends = at + 14;
    const starts = ends + segX2 + 2;
    const deltas = starts + segX2;
    const ranges = deltas + segX2;
    for (let s = 0; s < segX2 / 2; s++) {
      const endCode = view.getUint16(ends + 2 * s, false);
      const startCode = view.getUint16(starts + 2 * s, false);
      const delta = view.getInt16(deltas + 2 * s, false);
      const rangeOffset = view.getUint16(ranges + 2 * s, false);
      for (let c = startCode; c <= endCode && c !== 0xffff; c++) {
        let g: number;
        if (rangeOffset === 0) g = (c + delta) & 0xffff;
        else {
          g = view.getUint16(ranges + 2 * s + rangeOffset + 2 * (c - startCode), false);
          if (g !== 0) g = (g + delta) & 0xffff;
        }
        if (g !== 0) map.set(c, g);
      }
    }
  }
  return map;
}

/** Turns TrueType on/off-curve points into a polyline (implied on-curve midpoints between two off-curve points). */
function flattenQuadratic(pts: { x: number; y: number; on: boolean }[]): Contour {
  const out: Contour = [];
  if (pts.length === 0) return out;
  // Start at an on-curve point; with none, at the implied midpoint between the last and first points.
  const s0 = pts.findIndex((p) => p.on);
  const n = pts.length;
  const start = s0 >= 0 ? pts[s0]! : { x: (pts[n - 1]!.x + pts[0]!.x) / 2, y: (pts[n - 1]!.y + pts[0]!.y) / 2 };
  const order = s0 >= 0 ? Array.from({ length: n - 1 }, (_, k) => pts[(s0 + 1 + k) % n]!) : pts;
  out.push([start.x, start.y]);
  let prev = start;
  let ctrl: { x: number; y: number } | null = null;
  const steps = 6;
  const curveTo = (c: { x: number; y: number }, p: { x: number; y: number }) => {
    for (let s = 1; s <= steps; s++) {
      const t = s / steps;
      const u = 1 - t;
      out.push([u * u * prev.x + 2 * u * t * c.x + t * t * p.x, u * u * prev.y + 2 * u * t * c.y + t * t * p.y]);
    }
  };
  for (const p of order) {
    if (p.on) {
      if (ctrl) curveTo(ctrl, p);
      else out.push([p.x, p.y]);
      prev = p;
      ctrl = null;
    } else if (ctrl) {
      const mid = { x: (ctrl.x + p.x) / 2, y: (ctrl.y + p.y) / 2 };
      curveTo(ctrl, mid);
      prev = mid;
      ctrl = p;
    } else ctrl = p;
  }
  if (ctrl) {
    curveTo(ctrl, start);
    out.pop(); // the curve ends on the start point, already the first vertex
  }
  return out;
}

/** Reads and parses a `.ttf` file (at most `limits.maxFileBytes`); see {@link parseTrueType}. */
export function readTrueType(path: string, limits: LoaderLimits = {}): TrueTypeFont {
  return parseTrueType(readFileOrThrow(path, resolveLimits(limits).maxFileBytes), path);
}

/**
 * Fills contours (already mapped to pixel coordinates, y down) into `out` (size·size) with the non-zero winding
 * rule, anti-aliased by 4×4 supersampling; keeps the maximum with what is already there.
 */
export function fillContours(contours: Contour[], size: number, out: Float32Array): void {
  const ss = 4;
  const acc = new Float32Array(size * size);
  const edges: { x0: number; y0: number; x1: number; y1: number; dir: number }[] = [];
  for (const c of contours) {
    for (let i = 0; i < c.length; i++) {
      const [xa, ya] = c[i]!;
      const [xb, yb] = c[(i + 1) % c.length]!;
      if (ya === yb) continue;
      edges.push(ya < yb ? { x0: xa, y0: ya, x1: xb, y1: yb, dir: 1 } : { x0: xb, y0: yb, x1: xa, y1: ya, dir: -1 });
    }
  }
  for (let sy = 0; sy < size * ss; sy++) {
    const y = (sy + 0.5) / ss;
    const hits: { x: number; dir: number }[] = [];
    for (const e of edges) {
      if (y < e.y0 || y >= e.y1) continue;
      hits.push({ x: e.x0 + ((y - e.y0) / (e.y1 - e.y0)) * (e.x1 - e.x0), dir: e.dir });
    }
    if (hits.length < 2) continue;
    hits.sort((a, b) => a.x - b.x);
    let wind = 0;
    const row = Math.floor(sy / ss) * size;
    for (let h = 0; h + 1 < hits.length; h++) {
      wind += hits[h]!.dir;
      if (wind === 0) continue;
      // Sub-sample columns whose centres lie in [xa, xb).
      const xa = hits[h]!.x;
      const xb = hits[h + 1]!.x;
      const s0 = Math.max(0, Math.ceil(xa * ss - 0.5));
      const s1 = Math.min(size * ss - 1, Math.ceil(xb * ss - 0.5) - 1);
      for (let sx = s0; sx <= s1; sx++) acc[row + Math.floor(sx / ss)]! += 1 / (ss * ss);
    }
  }
  for (let i = 0; i < acc.length; i++) if (acc[i]! > out[i]!) out[i] = Math.min(1, acc[i]!);
}
