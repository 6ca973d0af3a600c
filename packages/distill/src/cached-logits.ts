import * as tf from '@tensorflow/tfjs-core';
import { checkIntRange, requireNodeHost, toTensorMap } from '@lel/core';
import type { Teacher } from './teacher';

const KEY = 'logits';
const FORMAT = 'lel-distill-teacher-logits/1';

/**
 * Teacher logits for a whole training set, `[N, C]`, indexed by example id. Computing them once and
 * reusing them across runs (and seeds) removes the teacher forward from every student step: for a
 * large teacher that is most of the cost of distillation (TextBrewer's `is_caching_logits`).
 * Saved as a safetensors file whose metadata carries a fingerprint of the teacher and data, so a stale
 * cache is never read by mistake.
 */
export class CachedLogits {
  private readonly table: tf.Tensor2D;
  readonly fingerprint: string;

  /** Takes ownership of `logits` `[N, C]`. */
  constructor(logits: tf.Tensor, fingerprint: string) {
    if (logits.rank !== 2) throw new Error(`CachedLogits: expected [examples, classes] logits, got shape [${logits.shape}]`);
    this.table = logits as tf.Tensor2D;
    this.fingerprint = fingerprint;
  }

  get numExamples(): number {
    return this.table.shape[0];
  }

  get numClasses(): number {
    return this.table.shape[1];
  }

  /**
   * Logits of the examples `ids` → `[ids.length, C]` (caller owns). Tensor ids are checked on the device (no read
   * back; the error surfaces at the next read on GPU backends, at once on cpu/wasm).
   */
  gather(ids: readonly number[] | tf.Tensor1D): tf.Tensor2D {
    const outside = (i: number) => `CachedLogits: example id ${i} is outside [0, ${this.numExamples})`;
    if (ids instanceof tf.Tensor) {
      return tf.tidy(() => {
        const idx = ids.dtype === 'int32' ? ids : tf.cast(ids, 'int32');
        checkIntRange(idx, 0, this.numExamples, outside);
        // tf.gather reads out-of-range ids as zeros on GPU backends: clamp, the check above reports them.
        return tf.gather(this.table, tf.clipByValue(idx, 0, Math.max(this.numExamples - 1, 0))) as tf.Tensor2D;
      });
    }
    for (const i of ids) if (!(Number.isInteger(i) && i >= 0 && i < this.numExamples)) throw new Error(outside(i));
    return tf.tidy(() => tf.gather(this.table, tf.tensor1d(ids as number[], 'int32')) as tf.Tensor2D);
  }

  /** A {@link Teacher} that looks the logits up by the ids `idsOf(batch)` returns. */
  asTeacher<B>(idsOf: (batch: B) => readonly number[] | tf.Tensor1D): Teacher<B> {
    return { numClasses: this.numClasses, logits: (batch: B) => this.gather(idsOf(batch)) };
  }

  /** Write to `path` (safetensors, atomically). */
  async save(path: string): Promise<void> {
    await requireNodeHost('CachedLogits.save').writeSafetensorsFile(path, new Map([[KEY, this.table]]), { format: FORMAT, fingerprint: this.fingerprint });
  }

  /** Read a cache written by {@link save}; with `fingerprint`, a cache made for something else is refused. */
  static async load(path: string, options: { fingerprint?: string } = {}): Promise<CachedLogits> {
    const parsed = await requireNodeHost('CachedLogits.load').readSafetensorsFile(path);
    if (parsed.metadata.format !== FORMAT) throw new Error(`${path}: not a teacher-logits cache (format "${parsed.metadata.format ?? ''}")`);
    const fp = parsed.metadata.fingerprint ?? '';
    if (options.fingerprint !== undefined && fp !== options.fingerprint) {
      throw new Error(`${path}: cached teacher logits were made for "${fp}", not "${options.fingerprint}"`);
    }
    const map = toTensorMap(parsed);
    const logits = map.get(KEY);
    for (const [k, t] of map) if (k !== KEY) t.dispose();
    if (!logits) throw new Error(`${path}: no "${KEY}" tensor`);
    return new CachedLogits(logits, fp);
  }

  dispose(): void {
    this.table.dispose();
  }
}

/** One batch of the pass that fills a cache: the batch and the ids of its examples. */
export interface IndexedBatch<B> {
  batch: B;
  ids: readonly number[];
}

/**
 * Run `teacher` once over `batches` (which must cover ids 0..numExamples-1 exactly once) and collect
 * its logits into a {@link CachedLogits}.
 */
export async function computeTeacherLogits<B>(
  teacher: Teacher<B>,
  batches: Iterable<IndexedBatch<B>> | AsyncIterable<IndexedBatch<B>>,
  numExamples: number,
  fingerprint: string,
): Promise<CachedLogits> {
  let table: Float32Array | null = null;
  let classes = 0;
  const seen = new Uint8Array(numExamples);
  for await (const { batch, ids } of batches as AsyncIterable<IndexedBatch<B>>) {
    const z = teacher.logits(batch);
    try {
      if (z.shape[0] !== ids.length) throw new Error(`computeTeacherLogits: the teacher gave ${z.shape[0]} rows for ${ids.length} ids`);
      if (!table) {
        classes = z.shape[1];
        table = new Float32Array(numExamples * classes);
      } else if (z.shape[1] !== classes) {
        throw new Error(`computeTeacherLogits: class-count changed from ${classes} to ${z.shape[1]}`);
      }
      const v = await z.data();
      ids.forEach((id, r) => {
        if (!(Number.isInteger(id) && id >= 0 && id < numExamples)) throw new Error(`computeTeacherLogits: id ${id} is outside [0, ${numExamples})`);
        if (seen[id]) throw new Error(`computeTeacherLogits: example ${id} appears twice`);
        seen[id] = 1;
        table!.set(v.subarray(r * classes, (r + 1) * classes), id * classes);
      });
    } finally {
      z.dispose();
    }
  }
  const missing = seen.indexOf(0);
  if (!table || missing >= 0) throw new Error(`computeTeacherLogits: example ${missing < 0 ? 0 : missing} was never seen; the batches must cover every id once`);
  return new CachedLogits(tf.tensor2d(table, [numExamples, classes]), fingerprint);
}

/**
 * The cache at `path` when it exists and matches `fingerprint`; otherwise `compute(fingerprint)` it
 * (e.g. with {@link computeTeacherLogits}), save it, and return it. `fromCache` says which happened.
 */
export async function loadOrComputeTeacherLogits(
  path: string,
  fingerprint: string,
  compute: (fingerprint: string) => Promise<CachedLogits>,
): Promise<{ logits: CachedLogits; fromCache: boolean }> {
  if (requireNodeHost('loadOrComputeTeacherLogits').exists(path)) {
    try {
      return { logits: await CachedLogits.load(path, { fingerprint }), fromCache: true };
    } catch (e) {
      if (!/were made for|not a teacher-logits cache/.test((e as Error).message)) throw e;
      // A cache for another teacher or data set: recompute and overwrite it.
    }
  }
  const logits = await compute(fingerprint);
  if (logits.fingerprint !== fingerprint) {
    logits.dispose();
    throw new Error(`loadOrComputeTeacherLogits: compute() returned logits fingerprinted "${logits.fingerprint}", expected "${fingerprint}"`);
  }
  await logits.save(path);
  return { logits, fromCache: false };
}
