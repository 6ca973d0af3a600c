import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Rng } from '@lel/core';
import { DatasetError } from '../errors';
import type { ImageClassificationData } from '../types';
import { dataPackageDir } from './package-path';
import { renderDrawing } from './render-drawing';

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
