import type { Rng } from '@lel/core';
import { assertOrdering, type Ordering } from './orderings';

/** How the two orderings of a training batch are drawn. */
export type OrderingPolicy = 'independent' | 'distinct';

/**
 * The two orderings (o1, o2) of one batch. 'independent': each uniformly from `orderings`, so they may coincide
 * (the re-implementation's train.py draws o1, o2 uniformly from 1..8 per batch); 'distinct': a uniformly random
 * pair of different orderings (needs at least two).
 */
export function sampleOrderingPair(rng: Rng, orderings: readonly number[], policy: OrderingPolicy = 'independent'): [Ordering, Ordering] {
  if (orderings.length === 0) throw new Error('sampleOrderingPair: orderings is empty');
  for (const o of orderings) {
    assertOrdering('sampleOrderingPair', o);
    if (o === 0) throw new Error('sampleOrderingPair: orderings must be masked orderings 1..8 (0 is the unmasked inference ordering)');
  }
  if (policy === 'independent') return [orderings[rng.int(orderings.length)] as Ordering, orderings[rng.int(orderings.length)] as Ordering];
  if (policy !== 'distinct') throw new Error(`sampleOrderingPair: policy must be 'independent' or 'distinct', got ${JSON.stringify(policy)}`);
  const unique = [...new Set(orderings)];
  if (unique.length < 2) throw new Error(`sampleOrderingPair: policy 'distinct' needs at least two different orderings, got [${orderings}]`);
  const i = rng.int(unique.length);
  let j = rng.int(unique.length - 1);
  if (j >= i) j++;
  return [unique[i] as Ordering, unique[j] as Ordering];
}
