import type { Rng } from '../random/rng';

/** Options for {@link batches}. */
export interface BatchOptions {
  /** Shuffle the order with `rng` (one permutation per call). Default true. */
  shuffle?: boolean;
  /** Drop the final short batch. Default false. */
  dropLast?: boolean;
}

/** Splits `indices` into batches of `batchSize`, shuffled with `rng` when asked. One call is one epoch. */
export function* batches(indices: readonly number[], batchSize: number, rng: Rng, options: BatchOptions = {}): Generator<number[]> {
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new Error(`batches: batchSize must be a positive integer, got ${batchSize}`);
  const order = [...indices];
  if (options.shuffle ?? true) rng.shuffle(order);
  for (let at = 0; at < order.length; at += batchSize) {
    const b = order.slice(at, at + batchSize);
    if (b.length < batchSize && options.dropLast) return;
    yield b;
  }
}

/** Indices of each class, in ascending order, keyed by label (classes in ascending label order). */
export function indicesByClass(labels: ArrayLike<number>): Map<number, number[]> {
  const by = new Map<number, number[]>();
  for (let i = 0; i < labels.length; i++) {
    const y = labels[i]!;
    let list = by.get(y);
    if (!list) by.set(y, (list = []));
    list.push(i);
  }
  return new Map([...by.entries()].sort((a, b) => a[0] - b[0]));
}
