import { Rng } from '@lel/core';

/** One bag of instances for multiple-instance learning. */
export interface MilBag {
  /** Instance features, row-major [n, dim]. */
  features: Float32Array;
  /** Number of instances (≥ 1). */
  n: number;
  dim: number;
  /** Bag label: 1 when the bag holds at least one instance of the positive class, else 0. */
  label: number;
  /** Indices (within the bag) of the positive instances. */
  positives: number[];
}

/** Options of {@link makeMilBags}. */
export interface MakeMilBagsOptions {
  /** Bags to build. */
  numBags: number;
  /** Instances per bag, drawn uniformly in [min, max]. Default [8, 16]. */
  bagSize?: [number, number];
  /** The class whose presence makes a bag positive. */
  positiveClass: number;
  /** Share of positive bags. Default 0.5. */
  positiveFraction?: number;
  /** Positive instances in a positive bag, uniformly in [min, max] (capped at the bag size). Default [1, 2]. */
  positivesPerBag?: [number, number];
  seed?: number | string;
}

/**
 * Build MIL bags from a labelled pool of instance features (e.g. image pixels or embeddings): a positive bag
 * holds 1–2 instances of `positiveClass` among instances of the other classes, a negative bag none — the
 * weak-label setting of whole-slide images, where a slide is positive when any patch is tumour.
 *
 * @param features row-major [N, dim]
 * @param labels class of each of the N instances
 */
export function makeMilBags(features: Float32Array, labels: ArrayLike<number>, dim: number, options: MakeMilBagsOptions): MilBag[] {
  const n = labels.length;
  if (!(Number.isInteger(dim) && dim > 0)) throw new Error(`makeMilBags: dim must be a positive integer, got ${dim}`);
  if (features.length !== n * dim) throw new Error(`makeMilBags: features has ${features.length} values, expected ${n} instances × ${dim}`);
  const [lo, hi] = options.bagSize ?? [8, 16];
  if (!(Number.isInteger(lo) && Number.isInteger(hi) && lo >= 1 && hi >= lo)) throw new Error(`makeMilBags: bagSize must be integers 1 <= min <= max, got [${lo}, ${hi}]`);
  const [pLo, pHi] = options.positivesPerBag ?? [1, 2];
  if (!(Number.isInteger(pLo) && Number.isInteger(pHi) && pLo >= 1 && pHi >= pLo)) throw new Error(`makeMilBags: positivesPerBag must be integers 1 <= min <= max, got [${pLo}, ${pHi}]`);
  const pos: number[] = [];
  const neg: number[] = [];
  for (let i = 0; i < n; i++) (labels[i] === options.positiveClass ? pos : neg).push(i);
  if (pos.length === 0) throw new Error(`makeMilBags: no instance has the positive class ${options.positiveClass}`);
  if (neg.length === 0) throw new Error(`makeMilBags: every instance has the positive class ${options.positiveClass}; negatives are needed`);
  const rng = new Rng(options.seed ?? 0);
  const frac = options.positiveFraction ?? 0.5;
  const bags: MilBag[] = [];
  for (let b = 0; b < options.numBags; b++) {
    const size = lo + rng.int(hi - lo + 1);
    const label = b < Math.round(options.numBags * frac) ? 1 : 0;
    const k = label ? Math.min(size, pLo + rng.int(pHi - pLo + 1)) : 0;
    const members = [...Array.from({ length: k }, () => pos[rng.int(pos.length)]!), ...Array.from({ length: size - k }, () => neg[rng.int(neg.length)]!)];
    const order = rng.permutation(size);
    const x = new Float32Array(size * dim);
    const positives: number[] = [];
    order.forEach((src, dst) => {
      const i = members[src]!;
      x.set(features.subarray(i * dim, (i + 1) * dim), dst * dim);
      if (src < k) positives.push(dst);
    });
    bags.push({ features: x, n: size, dim, label, positives: positives.sort((a, c) => a - c) });
  }
  // Interleave classes so a prefix of the list is balanced.
  return rng.shuffle(bags);
}
