import { indicesByClass, Rng } from '@lel/core';
import { proportionalAllocation, takeRandom } from './stratify';

/** Options for {@link fewSampleSubset}; give exactly one of `perClass` and `total`. */
export interface FewSampleOptions {
  labels: ArrayLike<number>;
  /** K samples from every class (the LM-BFF "K-shot" protocol). */
  perClass?: number;
  /** A total budget, split across classes in proportion to their frequency. */
  total?: number;
  seed: number | string;
}

/**
 * Draws a small stratified training subset (few-sample fine-tuning): K per class, or a total budget
 * allocated proportionally. Returns ascending indices. Fails when a class has fewer than K samples.
 */
export function fewSampleSubset(options: FewSampleOptions): number[] {
  const { labels, perClass, total } = options;
  if ((perClass === undefined) === (total === undefined)) throw new Error('fewSampleSubset: give exactly one of perClass and total');
  const rng = new Rng(`few-sample/${options.seed}`);
  const groups = indicesByClass(labels);
  const sizes = [...groups.values()].map((g) => g.length);
  let alloc: number[];
  if (perClass !== undefined) {
    for (const [y, g] of groups) {
      if (g.length < perClass) throw new Error(`fewSampleSubset: class ${y} has ${g.length} samples, fewer than perClass = ${perClass}`);
    }
    alloc = sizes.map(() => perClass);
  } else {
    if (!Number.isInteger(total) || total! < 0 || total! > labels.length) throw new Error(`fewSampleSubset: total must be an integer in [0, ${labels.length}]`);
    alloc = proportionalAllocation(sizes, total!);
  }
  return [...groups.values()].flatMap((g, c) => takeRandom(g, alloc[c]!, rng)).sort((a, b) => a - b);
}
