import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Rng } from '@lel/core';
import { DatasetError } from '../errors';
import type { ImageClassificationData } from '../types';
import { dataPackageDir } from './package-path';

/** Stroke data of one character from npm `hanzi-writer-data`: per-stroke median polylines in a 1024-unit box (y up). */
interface HanziData {
  medians: [number, number][][];
}

let strokeIndex: Map<string, number> | null = null;
const medianCache = new Map<string, [number, number][][]>();

function glyphDir(): string {
  return dataPackageDir('hanzi-writer-data');
}

function readCharacter(char: string): [number, number][][] {
  const hit = medianCache.get(char);
  if (hit) return hit;
  const path = join(glyphDir(), `${char}.json`);
  let data: HanziData;
  try {
    data = JSON.parse(readFileSync(path, 'utf8')) as HanziData;
  } catch (e) {
    throw new DatasetError(path, `unreadable character file (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  if (!Array.isArray(data.medians) || data.medians.length === 0 || !data.medians.every((m) => Array.isArray(m) && m.length >= 2)) {
    throw new DatasetError(path, 'expected "medians": a non-empty list of polylines with ≥ 2 points each');
  }
  medianCache.set(char, data.medians);
  return data.medians;
}

/** Stroke count of every character in `hanzi-writer-data` (scanned once, about 0.2 s). */
function strokeCounts(): Map<string, number> {
  if (strokeIndex) return strokeIndex;
  const dir = glyphDir();
  const files = readdirSync(dir).filter((f) => f.endsWith('.json') && f !== 'package.json').sort();
  const index = new Map<string, number>();
  for (const f of files) {
    const char = f.slice(0, -5);
    index.set(char, readCharacter(char).length);
    medianCache.delete(char); // keep memory small: re-read on demand
  }
  strokeIndex = index;
  return index;
}

/** Options selecting the character pool. */
export interface GlyphPoolOptions {
  /** Keep characters with at most this many strokes: complex characters turn into blobs at 28 px. Default 9. */
  maxStrokes?: number;
  /** And at least this many. Default 1. */
  minStrokes?: number;
}

/** The characters usable as classes, sorted by code point (3,142 with the default ≤ 9 strokes). */
export function listGlyphCharacters(options: GlyphPoolOptions = {}): string[] {
  const max = options.maxStrokes ?? 9;
  const min = options.minStrokes ?? 1;
  return [...strokeCounts().entries()].filter(([, k]) => k >= min && k <= max).map(([c]) => c);
}

/** Disjoint base / validation / novel class lists for few-shot learning. */
export interface GlyphClassSplits {
  base: string[];
  val: string[];
  novel: string[];
}

/**
 * Splits the character pool into disjoint base (meta-training), validation and novel (meta-test) classes,
 * deterministically from `seed`. Default sizes 1,600 / 400 / 800 (Omniglot has 1,623 characters in all).
 */
export function glyphClassSplits(seed: number | string = 0, sizes: { base?: number; val?: number; novel?: number } & GlyphPoolOptions = {}): GlyphClassSplits {
  const pool = listGlyphCharacters(sizes);
  const nb = sizes.base ?? 1600;
  const nv = sizes.val ?? 400;
  const nn = sizes.novel ?? 800;
  if (nb + nv + nn > pool.length) throw new Error(`glyphClassSplits: ${nb}+${nv}+${nn} classes requested but the pool has ${pool.length}`);
  const order = new Rng(`glyph-splits/${seed}`).shuffle([...pool]);
  return { base: order.slice(0, nb), val: order.slice(nb, nb + nv), novel: order.slice(nb + nv, nb + nv + nn) };
}

/** Options for {@link makeGlyphFewShot}. */
export interface GlyphFewShotOptions {
  /** Characters to render (e.g. `glyphClassSplits(0).novel`), or a count: the first N of {@link listGlyphCharacters}. */
  classes: readonly string[] | number;
  /** Drawings per class (each one a different simulated drawer). */
  perClass: number;
  /** Side of the square image. Default 28. */
  size?: number;
  seed: number | string;
  /** Variation strength: 0 renders the clean median skeleton, 1 the default, 2 twice as much. Default 1. */
  jitter?: number;
}

/**
 * An Omniglot-like few-shot dataset: each class is one character of npm `hanzi-writer-data`, each sample the
 * character "drawn" by a different simulated drawer. A drawer has its own pen width, slant, shear, aspect,
 * scale and position, moves each stroke a little, bends it with smooth noise and shortens or lengthens its
 * ends. Strokes are the font's median polylines, rendered as anti-aliased thick lines: white ink on black,
 * values in [0, 1], one channel.
 *
 * Sample j of character c depends only on (seed, c, j): subsets and supersets of classes agree.
 */
export function makeGlyphFewShot(options: GlyphFewShotOptions): ImageClassificationData {
  const size = options.size ?? 28;
  const classes = typeof options.classes === 'number' ? listGlyphCharacters().slice(0, options.classes) : [...options.classes];
  if (!Number.isInteger(options.perClass) || options.perClass < 1) throw new Error(`makeGlyphFewShot: perClass must be a positive integer, got ${options.perClass}`);
  if (new Set(classes).size !== classes.length) throw new Error('makeGlyphFewShot: classes contain duplicates');
  const per = size * size;
  const n = classes.length * options.perClass;
  const images = new Float32Array(n * per);
  const labels = new Int32Array(n);
  classes.forEach((char, c) => {
    const medians = readCharacter(char);
    for (let j = 0; j < options.perClass; j++) {
      const i = c * options.perClass + j;
      renderDrawing(medians, size, new Rng(`glyph/${options.seed}/${char}/${j}`), options.jitter ?? 1, images.subarray(i * per, (i + 1) * per));
      labels[i] = c;
    }
  });
  return { images, labels, n, height: size, width: size, channels: 1, classNames: classes };
}

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
