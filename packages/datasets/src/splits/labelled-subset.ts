import { fewSampleSubset } from './few-sample';
import { labeledUnlabeledSplit } from './labeled-split';

/** How much of a labelled pool keeps its labels: give at most one of `fraction`, `count` and `perClass` (all by default). */
export interface LabelBudget {
  /** A fraction of the pool in (0, 1]. */
  fraction?: number;
  /** A number of samples. */
  count?: number;
  /** K samples of every class (few-sample fine-tuning, the LM-BFF protocol). */
  perClass?: number;
}

/**
 * Splits a pool of sample indices into the part that keeps its labels and the part used as unlabelled data, under
 * a {@link LabelBudget}, stratified by `labels` when given, deterministically from `seed`. Both parts are ascending
 * and together cover `pool`.
 */
export function labelledSubset(pool: readonly number[], budget: LabelBudget, options: { labels?: ArrayLike<number>; stratified?: boolean; seed: number | string }): { labelled: number[]; unlabelled: number[] } {
  const given = [budget.fraction, budget.count, budget.perClass].filter((v) => v !== undefined).length;
  if (given > 1) throw new Error('labelledSubset: give at most one of fraction, count and perClass');
  const sub = options.labels ? Int32Array.from(pool, (i) => options.labels![i]!) : new Int32Array(pool.length);
  const stratified = (options.stratified ?? true) && options.labels !== undefined;
  let keep: number[];
  if (budget.perClass !== undefined) {
    if (!options.labels) throw new Error('labelledSubset: perClass needs labels (a classification source)');
    keep = fewSampleSubset({ labels: sub, perClass: budget.perClass, seed: options.seed });
  } else if (budget.fraction === undefined && budget.count === undefined) {
    keep = Array.from({ length: pool.length }, (_, j) => j);
  } else {
    keep = labeledUnlabeledSplit({ labels: sub, ...(budget.fraction !== undefined ? { fraction: budget.fraction } : { count: budget.count! }), stratified, seed: options.seed }).labeled;
  }
  const kept = new Uint8Array(pool.length);
  for (const j of keep) kept[j] = 1;
  const labelled: number[] = [];
  const unlabelled: number[] = [];
  pool.forEach((i, j) => (kept[j] ? labelled : unlabelled).push(i));
  return { labelled: labelled.sort((a, b) => a - b), unlabelled: unlabelled.sort((a, b) => a - b) };
}
