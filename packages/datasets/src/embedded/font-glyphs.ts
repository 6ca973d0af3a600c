import { existsSync, readdirSync } from 'node:fs';
import { basename, join } from 'node:path';
import { Rng } from '@lel/core';
import type { ImageClassificationData } from '../types';
import { NOTO_FONTS_DIR } from './optional';
import { fillContours, readTrueType, type Contour, type TrueTypeFont } from './truetype';

const fontCache = new Map<string, TrueTypeFont>();

function font(path: string): TrueTypeFont {
  let f = fontCache.get(path);
  if (!f) fontCache.set(path, (f = readTrueType(path)));
  return f;
}

/** Script name of a Noto font file: `NotoSansCherokee-Bold.ttf` → "Cherokee", regional Tifinagh fonts → "Tifinagh". */
export function notoScriptOf(file: string): string {
  const stem = basename(file).replace(/-[A-Za-z]+\.ttf$/, '');
  let script = stem.replace(/^Noto(?:Sans|Serif|Kufi|Looped|Naskh|Nastaliq|Rashi|Traditional)?/, '').replace(/(?:UI|Display|Unjoined|Slanted)$/, '');
  if (script.startsWith('Tifinagh')) script = 'Tifinagh';
  return script === '' ? 'Latin' : script;
}

/**
 * Noto fonts grouped by script (see {@link notoScriptOf}) in Debian's `fonts-noto-core` directory; a script's
 * Regular/Bold and Sans/Serif files act as different "drawers". Returns an empty object when not installed.
 */
export function notoScriptFonts(dir = NOTO_FONTS_DIR): Record<string, string[]> {
  if (!existsSync(dir)) return {};
  const out: Record<string, string[]> = {};
  for (const f of readdirSync(dir).filter((x) => x.endsWith('.ttf')).sort()) (out[notoScriptOf(f)] ??= []).push(join(dir, f));
  return out;
}

/**
 * Characters with a non-empty outline in any of `fonts`, sorted by code point. By default only letters and
 * digits (Unicode L and N categories) from U+0250 up: this skips the Latin block, punctuation and the dotted
 * circle that every Noto font repeats. `minCodePoint: 0` and `lettersOnly: false` lift the filters.
 */
export function listFontCharacters(fonts: readonly string[], options: { minCodePoint?: number; lettersOnly?: boolean } = {}): string[] {
  const min = options.minCodePoint ?? 0x250;
  const accept = options.lettersOnly ?? true ? /^[\p{L}\p{N}]$/u : /^\S$/u;
  const found = new Set<number>();
  for (const path of fonts) {
    const f = font(path);
    for (const [cp, g] of f.cmap) if (cp >= min && !found.has(cp) && accept.test(String.fromCodePoint(cp)) && f.outline(g).length > 0) found.add(cp);
  }
  return [...found].sort((a, b) => a - b).map((cp) => String.fromCodePoint(cp));
}

/** Options for {@link makeFontGlyphFewShot}. */
export interface FontGlyphFewShotOptions {
  /** Font files (e.g. one script's entry of {@link notoScriptFonts}); each drawing uses one that covers its character. */
  fonts: readonly string[];
  /** Characters to render, one class each. */
  classes: readonly string[];
  perClass: number;
  /** Default 28. */
  size?: number;
  seed: number | string;
  /** Variation strength (affine jitter); 0 = the font's glyph centred. Default 1. */
  jitter?: number;
}

/**
 * Few-shot classes rendered from TrueType fonts (optional Debian `fonts-noto-core`): each class a character,
 * each sample the glyph from a random covering font (Regular/Bold/Sans/Serif act as different "drawers") under
 * a random rotation, shear, aspect and offset. White on black, one channel. Sample j of character c depends
 * only on (seed, c, j).
 */
export function makeFontGlyphFewShot(options: FontGlyphFewShotOptions): ImageClassificationData {
  const size = options.size ?? 28;
  const jitter = options.jitter ?? 1;
  const fonts = options.fonts.map(font);
  const per = size * size;
  const n = options.classes.length * options.perClass;
  const images = new Float32Array(n * per);
  const labels = new Int32Array(n);
  options.classes.forEach((char, c) => {
    const cp = char.codePointAt(0)!;
    const covering = fonts.filter((f) => f.cmap.has(cp));
    if (covering.length === 0) throw new Error(`makeFontGlyphFewShot: no font among ${options.fonts.map((p) => basename(p)).join(', ')} covers "${char}" (U+${cp.toString(16).toUpperCase()})`);
    for (let j = 0; j < options.perClass; j++) {
      const rng = new Rng(`font-glyph/${options.seed}/${char}/${j}`);
      const f = covering[rng.int(covering.length)]!;
      const i = c * options.perClass + j;
      renderOutline(f.outline(f.cmap.get(cp)!), size, rng, jitter, images.subarray(i * per, (i + 1) * per));
      labels[i] = c;
    }
  });
  return { images, labels, n, height: size, width: size, channels: 1, classNames: [...options.classes] };
}

/** Centres the outline's bounding box, fits it into 80 % of the canvas, applies a random affine and fills it. */
function renderOutline(contours: Contour[], size: number, rng: Rng, jitter: number, out: Float32Array): void {
  let [x0, y0, x1, y1] = [Infinity, Infinity, -Infinity, -Infinity];
  for (const c of contours) {
    for (const [x, y] of c) {
      x0 = Math.min(x0, x);
      x1 = Math.max(x1, x);
      y0 = Math.min(y0, y);
      y1 = Math.max(y1, y);
    }
  }
  const rot = rng.uniform(-10, 10) * (Math.PI / 180) * jitter;
  const shear = rng.uniform(-0.15, 0.15) * jitter;
  const aspect = 1 + rng.uniform(-0.12, 0.12) * jitter;
  const scale = (0.8 + rng.uniform(-0.1, 0.05) * jitter) / Math.max(x1 - x0, y1 - y0, 1);
  const tx = rng.uniform(-0.05, 0.05) * jitter;
  const ty = rng.uniform(-0.05, 0.05) * jitter;
  const cx = (x0 + x1) / 2;
  const cy = (y0 + y1) / 2;
  const cos = Math.cos(rot);
  const sin = Math.sin(rot);
  const mapped = contours.map((c) =>
    c.map(([x, y]): [number, number] => {
      let u = (x - cx) * scale;
      let v = (cy - y) * scale; // font y points up, image y down
      u = (u + shear * v) * aspect;
      v = v / aspect;
      return [(cos * u - sin * v + 0.5 + tx) * size, (sin * u + cos * v + 0.5 + ty) * size];
    }),
  );
  fillContours(mapped, size, out);
}
