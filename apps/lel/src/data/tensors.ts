import * as tf from '@tensorflow/tfjs-core';
import type { Rng } from '@lel/core';
import { loadImageBatches, type ImageBatchArrays, type ImageClassificationData } from '@lel/datasets';
import type { DataRole } from './detect';
import { imageBatches, type ImageData } from './image-data';

/** A batch as tensors: images [B, H, W, C] float32, masks [B, H, W] int32 (segmentation) or labels [B] int32. */
export interface TensorBatch {
  images: tf.Tensor4D;
  /** Segmentation parts: per-pixel labels (255 = ignore). */
  labels?: tf.Tensor3D;
  /** Classification parts: one label per image. */
  classes?: tf.Tensor1D;
}

/** Tensors of a batch of arrays (the caller disposes them). */
export function toTensors(b: ImageBatchArrays): TensorBatch {
  const images = tf.tensor4d(b.images, [b.n, b.height, b.width, b.channels], 'float32');
  if (b.masks) return { images, labels: tf.tensor3d(b.masks, [b.n, b.height, b.width], 'int32') };
  if (b.labels) return { images, classes: tf.tensor1d(b.labels, 'int32') };
  return { images };
}

/**
 * A part of the run's data as a `@lel/cct`-style streaming set: `size` samples, and the batches of the positions it
 * is asked for (0 … size − 1 within the part), decoded from disk `prefetch` batches ahead and handed over as tensors.
 * `withLabels: false` drops the masks (an unlabelled stream).
 */
export function streamingPart(data: ImageData, role: DataRole, options: { withLabels?: boolean } = {}) {
  const part = data.parts[role];
  if (!part) throw new Error(`the run's data has no ${role} part`);
  const withLabels = options.withLabels ?? true;
  return {
    size: part.indices.length,
    async *batches(indexBatches: Iterable<readonly number[]>, rng: Rng): AsyncGenerator<TensorBatch> {
      const toSource = function* () {
        for (const b of indexBatches) yield b.map((p) => part.indices[p]!);
      };
      const numClasses = role === 'dev' && data.devClassNames ? data.devClassNames.length : data.classNames.length;
      const stream = loadImageBatches(part.source, toSource(), {
        size: { height: data.input.height, width: data.input.width },
        channels: data.input.channels,
        resize: data.resize,
        prefetch: data.prefetch,
        rng,
        ...(part.source.kind === 'segmentation' && withLabels ? { numClasses } : {}),
      });
      for await (const arrays of stream) {
        const t = toTensors(arrays);
        if (!withLabels && t.labels) {
          t.labels.dispose();
          delete t.labels;
        }
        yield t;
      }
    },
  };
}

/** Runs `fn` on every batch of a part, in order (tensors disposed after each call): evaluation over a part of any size. */
export async function forEachBatch(data: ImageData, role: DataRole, batchSize: number, fn: (batch: TensorBatch, arrays: ImageBatchArrays) => void | Promise<void>): Promise<void> {
  for await (const arrays of imageBatches(data, role, { batchSize })) {
    const t = toTensors(arrays);
    try {
      await fn(t, arrays);
    } finally {
      tf.dispose([t.images, ...(t.labels ? [t.labels] : []), ...(t.classes ? [t.classes] : [])]);
    }
  }
}

/** A classification part held in memory: what methods that sample views from memory (`@lel/scl`) train on. */
export type ClassPartArrays = ImageClassificationData;

/**
 * A classification part of the run's data decoded into memory at the model's input size, batch by batch (for
 * methods that draw their own views per image). `classNames` are the part's label map (a few-shot dev part has its
 * own classes).
 */
export async function classPartArrays(data: ImageData, role: DataRole): Promise<ClassPartArrays> {
  const part = data.parts[role];
  if (!part) throw new Error(`the run's data has no ${role} part`);
  const { height, width, channels } = data.input;
  const per = height * width * channels;
  const n = part.indices.length;
  const images = new Float32Array(n * per);
  const labels = new Int32Array(n);
  let at = 0;
  for await (const b of imageBatches(data, role, { batchSize: 64 })) {
    if (!b.labels) throw new Error(`the ${role} part has no class labels (${part.description})`);
    images.set(b.images, at * per);
    labels.set(b.labels, at);
    at += b.n;
  }
  const classNames = role === 'dev' && data.devClassNames ? data.devClassNames : data.classNames;
  return { images, labels, n, height, width, channels, classNames: [...classNames] };
}
