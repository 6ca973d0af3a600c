import { labeledUnlabeledSplit } from './labeled-split';

/** Options of {@link holdoutSplit}. */
export interface HoldoutOptions {
  /** Number of samples. */
  n: number;
  /** A label per sample to stratify on (class, or e.g. `rarestClassLabels` for segmentation). */
  labels?: ArrayLike<number>;
  /** Dev (model selection) part: a fraction of `n` in (0, 1), a count ≥ 1, or 0 for none. */
  dev?: number;
  /** Test (reporting) part: as `dev`. */
  test?: number;
  /** Keep class proportions in each part (needs `labels`). Default true. */
  stratified?: boolean;
  seed: number | string;
}

/** A partition of 0..n-1 into train, dev and test indices (each ascending). */
export interface HoldoutSplit {
  train: number[];
  dev: number[];
  test: number[];
}

/** The size of a part given as a fraction of `n` (in (0, 1)) or a count (an integer ≥ 1). */
export function partSize(amount: number | undefined, n: number, name: string): number {
  if (amount === undefined || amount === 0) return 0;
  if (amount > 0 && amount < 1) return Math.max(1, Math.round(amount * n));
  if (Number.isInteger(amount) && amount >= 1) return amount;
  throw new Error(`${name} must be a fraction in (0, 1) or a whole count ≥ 1, got ${amount}`);
}

/**
 * Holds a test part and then a dev part out of a dataset, stratified by `labels` (largest-remainder allocation, at
 * least one sample per class when the budget allows), deterministically from `seed`. The rest is `train`. Sizes
 * are fractions of the whole dataset or counts.
 */
export function holdoutSplit(options: HoldoutOptions): HoldoutSplit {
  const { n } = options;
  const labels = options.labels ?? new Int32Array(n);
  if (labels.length !== n) throw new Error(`holdoutSplit: ${labels.length} labels for ${n} samples`);
  const stratified = (options.stratified ?? true) && options.labels !== undefined;
  const t = partSize(options.test, n, 'test');
  const d = partSize(options.dev, n, 'dev');
  if (t + d > n - 1) throw new Error(`holdoutSplit: dev (${d}) and test (${t}) leave no training sample of ${n}`);
  const take = (pool: number[], count: number, what: string): { taken: number[]; rest: number[] } => {
    if (count === 0) return { taken: [], rest: pool };
    const sub = Int32Array.from(pool, (i) => labels[i]!);
    const s = labeledUnlabeledSplit({ labels: sub, count, stratified, seed: `holdout-${what}/${options.seed}` });
    return { taken: s.labeled.map((j) => pool[j]!), rest: s.unlabeled.map((j) => pool[j]!) };
  };
  const all = Array.from({ length: n }, (_, i) => i);
  const test = take(all, t, 'test');
  const dev = take(test.rest, d, 'dev');
  return { train: dev.rest, dev: dev.taken, test: test.taken };
}
