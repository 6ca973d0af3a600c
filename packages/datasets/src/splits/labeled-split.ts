import { indicesByClass, Rng } from '@lel/core';
import { proportionalAllocation, takeRandom } from './stratify';

/** A labelled/unlabelled partition of a dataset's indices (both ascending, disjoint, covering 0..n-1). */
export interface LabeledSplit {
  labeled: number[];
  unlabeled: number[];
}

/** Options for {@link labeledUnlabeledSplit}; give exactly one of `fraction` and `count`. */
export interface LabeledSplitOptions {
  /** Labels of all N samples (used for stratification and for N). */
  labels: ArrayLike<number>;
  /** Fraction of samples to keep labelled, in [0, 1]. */
  fraction?: number;
  /** Number of samples to keep labelled. */
  count?: number;
  /** Keep class proportions in the labelled part (largest-remainder allocation). Default true. */
  stratified?: boolean;
  /** Seed of the random choice. */
  seed: number | string;
}

/**
 * Partitions sample indices into a labelled and an unlabelled part for semi-supervised learning, by
 * fraction or count, optionally stratified by class, deterministically from `seed`. With stratification
 * every class keeps at least one labelled sample whenever the budget allows it, so no class vanishes from
 * the labelled set at small fractions.
 */
export function labeledUnlabeledSplit(options: LabeledSplitOptions): LabeledSplit {
  const { labels, fraction, count } = options;
  const n = labels.length;
  if ((fraction === undefined) === (count === undefined)) throw new Error('labeledUnlabeledSplit: give exactly one of fraction and count');
  if (fraction !== undefined && !(fraction >= 0 && fraction <= 1)) throw new Error(`labeledUnlabeledSplit: fraction must be in [0, 1], got ${fraction}`);
  const total = count ?? Math.round(fraction! * n);
  if (!Number.isInteger(total) || total < 0 || total > n) throw new Error(`labeledUnlabeledSplit: count must be an integer in [0, ${n}], got ${total}`);
  const rng = new Rng(`labeled-split/${options.seed}`);
  let labeled: number[];
  if (options.stratified ?? true) {
    const groups = [...indicesByClass(labels).values()];
    const alloc = proportionalAllocation(groups.map((g) => g.length), total);
    // Give each empty-handed class one sample, taken from the class with the most, while the budget allows.
    if (total >= groups.length) {
      for (let c = 0; c < groups.length; c++) {
        if (alloc[c] === 0) {
          const donor = alloc.indexOf(Math.max(...alloc));
          alloc[donor]!--;
          alloc[c] = 1;
        }
      }
    }
    labeled = groups.flatMap((g, c) => takeRandom(g, alloc[c]!, rng));
  } else {
    labeled = rng.sample(n, total);
  }
  labeled.sort((a, b) => a - b);
  const isLabeled = new Uint8Array(n);
  for (const i of labeled) isLabeled[i] = 1;
  const unlabeled: number[] = [];
  for (let i = 0; i < n; i++) if (!isLabeled[i]) unlabeled.push(i);
  return { labeled, unlabeled };
}

/** Options for {@link labeledSplitCoveringClasses}; give exactly one of `fraction` and `count`. */
export interface CoveringSplitOptions {
  /** The classes present in each sample (e.g. the classes of a segmentation mask, background included or not). */
  classesOf: readonly ArrayLike<number>[];
  fraction?: number;
  count?: number;
  seed: number | string;
}

/**
 * A labelled/unlabelled split for multi-label samples (segmentation scenes holding several classes) in which
 * every class present in the data appears in the labelled part whenever the budget allows: classes are covered
 * rarest first, each by a random sample that contains it, then the budget is filled with random samples.
 * Deterministic from `seed`.
 */
export function labeledSplitCoveringClasses(options: CoveringSplitOptions): LabeledSplit {
  const { classesOf, fraction, count } = options;
  const n = classesOf.length;
  if ((fraction === undefined) === (count === undefined)) throw new Error('labeledSplitCoveringClasses: give exactly one of fraction and count');
  if (fraction !== undefined && !(fraction >= 0 && fraction <= 1)) throw new Error(`labeledSplitCoveringClasses: fraction must be in [0, 1], got ${fraction}`);
  const total = count ?? Math.round(fraction! * n);
  if (!Number.isInteger(total) || total < 0 || total > n) throw new Error(`labeledSplitCoveringClasses: count must be an integer in [0, ${n}], got ${total}`);
  const rng = new Rng(`covering-split/${options.seed}`);
  const order = rng.permutation(n);
  const holders = new Map<number, number[]>();
  for (const i of order) for (const c of new Set(Array.from(classesOf[i]!))) (holders.get(c) ?? holders.set(c, []).get(c)!).push(i);
  const chosen = new Set<number>();
  const covered = new Set<number>();
  const byRarity = [...holders.entries()].sort((a, b) => a[1].length - b[1].length || a[0] - b[0]);
  for (const [c, items] of byRarity) {
    if (chosen.size >= total) break;
    if (covered.has(c)) continue;
    const pick = items[0]!;
    chosen.add(pick);
    for (const k of Array.from(classesOf[pick]!)) covered.add(k);
  }
  for (const i of order) {
    if (chosen.size >= total) break;
    chosen.add(i);
  }
  const labeled = [...chosen].sort((a, b) => a - b);
  const unlabeled: number[] = [];
  for (let i = 0; i < n; i++) if (!chosen.has(i)) unlabeled.push(i);
  return { labeled, unlabeled };
}
