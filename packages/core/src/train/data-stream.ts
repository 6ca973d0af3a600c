import * as tf from '@tensorflow/tfjs-core';
import { Rng } from '../random/rng';
import type { DataSource } from './types';

/** Derived generator of the labelled stream's epoch `epoch` (or the unlabelled stream's cycle). */
export function streamRng(seed: string, stream: 'labeled' | 'unlabeled', index: number): Rng {
  return new Rng(`${seed}/${stream}/${index}`);
}

/** Dispose every tensor inside a batch (tensors, arrays and plain objects of them). */
export function disposeBatch(batch: unknown): void {
  if (batch instanceof tf.Tensor) batch.dispose();
  else if (Array.isArray(batch)) for (const b of batch) disposeBatch(b);
  else if (batch !== null && typeof batch === 'object' && Object.getPrototypeOf(batch) === Object.prototype) {
    for (const v of Object.values(batch)) disposeBatch(v);
  }
}

/**
 * One pass over a {@link DataSource} (sync or async), with its position. Creating it for a resumed
 * position re-invokes the source with the same derived generator and skips (and disposes) the batches
 * already consumed, so the stream continues exactly where it stopped.
 */
export class BatchStream<B> {
  position = 0;
  private readonly it: Iterator<B> | AsyncIterator<B>;
  private done = false;

  constructor(
    source: DataSource<B>,
    readonly index: number,
    rng: Rng,
    private readonly disposeSkipped: boolean,
  ) {
    const iterable = source(index, rng) as Iterable<B> | AsyncIterable<B> | null | undefined;
    if (iterable && typeof (iterable as AsyncIterable<B>)[Symbol.asyncIterator] === 'function') {
      this.it = (iterable as AsyncIterable<B>)[Symbol.asyncIterator]();
    } else if (iterable && typeof (iterable as Iterable<B>)[Symbol.iterator] === 'function') {
      this.it = (iterable as Iterable<B>)[Symbol.iterator]();
    } else {
      throw new Error(`fit: a data source must return an Iterable or AsyncIterable of batches, got ${typeof iterable}`);
    }
  }

  /** The next batch, or `undefined` at the end of the pass. */
  async next(): Promise<B | undefined> {
    if (this.done) return undefined;
    const r = await this.it.next();
    if (r.done) {
      this.done = true;
      return undefined;
    }
    this.position++;
    return r.value;
  }

  /** Consume `n` batches (resume). Throws if the pass is shorter. */
  async skip(n: number, what: string): Promise<void> {
    while (this.position < n) {
      const b = await this.next();
      if (b === undefined) {
        throw new Error(`resume: ${what} ${this.index} has only ${this.position} batches, the checkpoint had consumed ${n}; the data source changed`);
      }
      if (this.disposeSkipped) disposeBatch(b);
    }
  }

  /** Stop the pass early (runs the generator's `finally`). */
  async close(): Promise<void> {
    if (!this.done) {
      this.done = true;
      await this.it.return?.();
    }
  }
}

/** An unlabelled stream that cycles independently of the labelled epochs, re-invoking its source per cycle. */
export class CyclingStream<U> {
  private current: BatchStream<U> | undefined;

  constructor(
    private readonly source: DataSource<U>,
    private readonly seed: string,
    private readonly disposeSkipped: boolean,
    private cycle = 0,
    private startPosition = 0,
  ) {}

  /** Cycle number and batches consumed in it (for checkpoints). */
  get position(): { cycle: number; position: number } {
    return { cycle: this.current?.index ?? this.cycle, position: this.current?.position ?? this.startPosition };
  }

  async next(): Promise<U> {
    if (!this.current) {
      this.current = new BatchStream(this.source, this.cycle, streamRng(this.seed, 'unlabeled', this.cycle), this.disposeSkipped);
      await this.current.skip(this.startPosition, 'unlabelled cycle');
    }
    let b = await this.current.next();
    if (b === undefined) {
      const finished = this.current;
      this.cycle = finished.index + 1;
      this.startPosition = 0;
      this.current = new BatchStream(this.source, this.cycle, streamRng(this.seed, 'unlabeled', this.cycle), this.disposeSkipped);
      b = await this.current.next();
      if (b === undefined) throw new Error(`fit: data.unlabeled yielded no batch in cycle ${this.cycle}`);
    }
    return b;
  }

  async close(): Promise<void> {
    await this.current?.close();
  }
}
