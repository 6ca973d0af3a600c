import type { Rng } from '@lel/core';
import type { DecodeOptions } from '../loaders/image';
import type { DecodedImage } from '../types';
import { fitToSize, type CropPlacement, type ResizeMode } from './fit-size';
import type { ImageSource } from './image-source';

/** One batch of an image stream as flat arrays (NHWC images in [0, 1]); the consumer owns them. */
export interface ImageBatchArrays {
  /** The source indices of the samples, in batch order. */
  indices: number[];
  n: number;
  height: number;
  width: number;
  channels: number;
  /** n·H·W·C floats. */
  images: Float32Array;
  /** Segmentation sources: n·H·W class indices (255 = ignore). */
  masks?: Int32Array;
  /** Classification sources: n labels. */
  labels?: Int32Array;
}

/**
 * Counters of a stream, for tests and benchmarks: samples decoded, batches handed out, and the batches being
 * decoded or waiting (at most `1 + prefetch`).
 */
export interface StreamStats {
  decoded: number;
  batches: number;
  inFlight: number;
  maxInFlight: number;
}

/** Fresh {@link StreamStats} counters. */
export function streamStats(): StreamStats {
  return { decoded: 0, batches: 0, inFlight: 0, maxInFlight: 0 };
}

/** A per-sample augmentation applied after decoding and before fitting to size, with the sample's own generator. */
export type SampleAugment = (sample: { image: DecodedImage; mask?: Int32Array }, rng: Rng) => { image: DecodedImage; mask?: Int32Array };

/** Options of {@link streamImageBatches}. */
export interface ImageStreamOptions {
  batchSize: number;
  /** The model's input size; every batch has it. */
  size: { height: number; width: number };
  /** Channels of every batch (1 or 3). */
  channels: 1 | 3;
  /** How other sizes are brought to `size`. Default `stretch`. */
  resize?: ResizeMode;
  /**
   * The pass's generator: it shuffles the order (one permutation per call) and gives every sample its own generator
   * (forked in batch order when the batch is scheduled) for random crops and `augment`. Without it the order is the
   * given one and crops are centred. Results never depend on decoding speed or `prefetch`.
   */
  rng?: Rng;
  /** Shuffle with `rng`. Default true when `rng` is given. */
  shuffle?: boolean;
  /** Drop the last, short batch. Default false. */
  dropLast?: boolean;
  /** Batches decoded ahead of the one handed out (their files load while the consumer works). Default 2. */
  prefetch?: number;
  /** Segmentation: classes of the label map (mask values are checked against it, naming the file). */
  numClasses?: number;
  /** Options passed to the image decoder (e.g. its limits). */
  decode?: DecodeOptions;
  augment?: SampleAugment;
  /** Counters to update (see {@link streamStats}). */
  stats?: StreamStats;
}

/** Number of batches a pass over `count` samples yields. */
export function batchCount(count: number, batchSize: number, dropLast = false): number {
  return dropLast ? Math.floor(count / batchSize) : Math.ceil(count / batchSize);
}

/** Options of {@link loadImageBatches}: those of {@link streamImageBatches} that do not choose the batches. */
export type LoadBatchOptions = Omit<ImageStreamOptions, 'batchSize' | 'shuffle' | 'dropLast'>;

/**
 * One pass over `indices` of `source` in batches, decoded on demand: the stream holds at most `1 + prefetch` batches
 * (the one being handed out and those decoded ahead), whatever the size of the source, so a folder of any size trains
 * in bounded memory. Each sample is decoded, augmented, brought to `size` (see {@link fitToSize}) and packed; errors
 * name the file. Give the pass's own generator as `rng` (e.g. `fit`'s per-epoch one) and a resumed pass replays the
 * same batches bit for bit.
 */
export function streamImageBatches(source: ImageSource, indices: readonly number[], options: ImageStreamOptions): AsyncGenerator<ImageBatchArrays> {
  const { batchSize, rng } = options;
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new Error(`streamImageBatches: batchSize must be a positive integer, got ${batchSize}`);
  const order = [...indices];
  if (rng && (options.shuffle ?? true)) rng.shuffle(order);
  const total = batchCount(order.length, batchSize, options.dropLast);
  const batches = Array.from({ length: total }, (_, b) => order.slice(b * batchSize, (b + 1) * batchSize));
  const { batchSize: _b, shuffle: _s, dropLast: _d, ...load } = options;
  return loadImageBatches(source, batches, load);
}

/**
 * Decodes the given batches of sample indices, in order, `prefetch` batches ahead: the loading half of
 * {@link streamImageBatches}, for samplers that choose their own batches (e.g. a labelled stream that cycles through
 * several shuffled passes). `batches` is read lazily, one batch per scheduled load. With `rng`, every sample gets its
 * own generator, forked in batch order when its batch is scheduled (random crops, `augment`), so results never depend
 * on decoding speed or `prefetch`.
 */
export async function* loadImageBatches(source: ImageSource, batches: Iterable<readonly number[]>, options: LoadBatchOptions): AsyncGenerator<ImageBatchArrays> {
  const { size, channels, rng } = options;
  const prefetch = options.prefetch ?? 2;
  if (!Number.isInteger(prefetch) || prefetch < 0) throw new Error(`streamImageBatches: prefetch must be a non-negative integer, got ${prefetch}`);
  const mode = options.resize ?? 'stretch';
  const perSampleRng = rng && (options.augment !== undefined || mode === 'crop');
  const stats = options.stats;

  const decodeOne = async (index: number, sampleRng: Rng | undefined) => {
    const s = await source.read(index, { channels, ...(options.numClasses !== undefined ? { numClasses: options.numClasses } : {}), ...(options.decode ? { decode: options.decode } : {}) });
    if (stats) stats.decoded++;
    let sample: { image: DecodedImage; mask?: Int32Array } = s.mask ? { image: s.image, mask: s.mask } : { image: s.image };
    if (options.augment && sampleRng) sample = options.augment(sample, sampleRng);
    const placement: CropPlacement | undefined = mode === 'crop' && sampleRng ? { top: sampleRng.next(), left: sampleRng.next() } : undefined;
    return { ...fitToSize(sample, size, mode, source.id(index), placement), label: s.label };
  };

  const decodeBatch = async (batch: number[], rngs: (Rng | undefined)[]): Promise<ImageBatchArrays> => {
    const samples = await Promise.all(batch.map((idx, k) => decodeOne(idx, rngs[k])));
    const { height, width } = size;
    const per = height * width * channels;
    const out: ImageBatchArrays = { indices: batch, n: batch.length, height, width, channels, images: new Float32Array(batch.length * per) };
    if (source.kind === 'segmentation') out.masks = new Int32Array(batch.length * height * width);
    if (source.kind === 'classification') out.labels = new Int32Array(batch.length);
    samples.forEach((s, k) => {
      out.images.set(s.image.data, k * per);
      if (out.masks) out.masks.set(s.mask!, k * height * width);
      if (out.labels) out.labels[k] = s.label!;
    });
    return out;
  };

  const it = batches[Symbol.iterator]();
  let exhausted = false;
  const queue: Promise<ImageBatchArrays>[] = [];
  const schedule = () => {
    const r = it.next();
    if (r.done) {
      exhausted = true;
      return;
    }
    const batch = [...r.value];
    // Generators are drawn here, in batch order, so results do not depend on which file finishes loading first.
    const rngs = batch.map(() => (perSampleRng ? rng.fork('sample') : undefined));
    const p = decodeBatch(batch, rngs);
    // A batch decoded ahead may fail before it is awaited: mark it handled now, and rethrow when its turn comes.
    p.catch(() => undefined);
    queue.push(p);
    if (stats) {
      stats.inFlight++;
      stats.maxInFlight = Math.max(stats.maxInFlight, stats.inFlight);
    }
  };
  try {
    for (;;) {
      while (queue.length < 1 + prefetch && !exhausted) schedule();
      if (queue.length === 0) return;
      const batch = await queue[0]!;
      queue.shift();
      if (stats) {
        stats.inFlight--;
        stats.batches++;
      }
      yield batch;
    }
  } finally {
    if (stats) stats.inFlight -= queue.length;
    it.return?.();
  }
}
