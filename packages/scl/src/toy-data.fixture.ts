// Test data shared by the SCL tests.
import { Rng } from '@lel/core';
import type { ImageClassificationArrays } from './data';

/** n random 32×32 greyscale images with labels 0..classes−1 (class-dependent mean so a little is learnable). */
export function toyData(n: number, classes: number, seed: number): ImageClassificationArrays {
  const rng = new Rng(`toy/${seed}`);
  const labels = Int32Array.from({ length: n }, (_, i) => i % classes);
  const images = new Float32Array(n * 32 * 32);
  for (let i = 0; i < n; i++) for (let p = 0; p < 1024; p++) images[i * 1024 + p] = Math.min(1, Math.max(0, rng.uniform(0, 0.5) + (labels[i]! * ((p % 32) / 32)) / classes));
  return { images, labels, n, height: 32, width: 32, channels: 1, classNames: Array.from({ length: classes }, (_, c) => `c${c}`) };
}
