import type { GlyphPool } from '@lel/datasets';

/** Digits per class in `digits.bin` (scripts/build-digits.ts). */
export const DIGITS_PER_CLASS = 40;
/** Pixels of one 28×28 digit. */
export const DIGIT_PIXELS = 28 * 28;

/** The page's glyph pool from `digits.bin`'s bytes (class-major, one byte per pixel). */
export function digitPool(bytes: Uint8Array): GlyphPool {
  const perClass = DIGITS_PER_CLASS * DIGIT_PIXELS;
  if (bytes.length === 0 || bytes.length % perClass !== 0) {
    throw new Error(`digits.bin: ${bytes.length} bytes is not a whole number of classes of ${DIGITS_PER_CLASS} × 28 × 28 digits`);
  }
  const classes = bytes.length / perClass;
  const byClass = Array.from({ length: classes }, (_, k) => Float32Array.from(bytes.subarray(k * perClass, (k + 1) * perClass), (v) => v / 255));
  return { source: 'mnist', classNames: Array.from({ length: classes }, (_, k) => String(k)), byClass, counts: byClass.map(() => DIGITS_PER_CLASS) };
}
