import type { DigitScenesOptions, GlyphPool } from '@lel/datasets';

/** Digit classes in the scenes (plus background). */
export const CLASSES = 3;
/** Scenes a person can label (the rest of the training set is unlabelled). */
export const N_TRAIN = 32;
/** Held-out scenes the arms are scored on (their true masks are never trained on). */
export const N_VAL = 16;
/** Side of a scene in pixels. */
export const SIZE = 32;
/** The page's scenes: `composeDigitScenes(subset(pool, CLASSES), SCENES)`, the same in the page and in Node. */
export const SCENES: DigitScenesOptions = { n: N_TRAIN + N_VAL, size: SIZE, seed: 0, digitsPerImage: [1, 2] };

/** The first `k` classes of a glyph pool. */
export function subset(pool: GlyphPool, k: number): GlyphPool {
  return { ...pool, classNames: pool.classNames.slice(0, k), byClass: pool.byClass.slice(0, k), counts: pool.counts.slice(0, k) };
}
