import * as tf from '@tensorflow/tfjs-core';
import { ConfusionMatrix } from '@lel/core';
import type { DataRole } from './detect';
import { imageBatches, type ImageData } from './image-data';
import { toTensors, type TensorBatch } from './tensors';

/**
 * The confusion matrix of a segmenter over a part of the run's data, batch by batch (255 ignored): evaluation of a dev
 * or test part of any size in bounded memory. `logits` maps images [B, H, W, C] to logits [B, H, W, K].
 */
export async function segmentationConfusion(data: ImageData, role: DataRole, numClasses: number, logits: (x: tf.Tensor4D) => tf.Tensor4D, batchSize = 8): Promise<ConfusionMatrix> {
  const cm = new ConfusionMatrix(numClasses, { ignoreIndex: 255 });
  for await (const b of imageBatches(data, role, { batchSize })) {
    if (!b.masks) throw new Error(`the ${role} part has no masks to score against`);
    const x = tf.tensor4d(b.images, [b.n, b.height, b.width, b.channels]);
    const pred = tf.tidy(() => tf.cast(tf.argMax(logits(x), 3), 'int32'));
    try {
      cm.add(Array.from(await pred.data()), Array.from(b.masks));
    } finally {
      tf.dispose([x, pred]);
    }
  }
  return cm;
}

/**
 * The first `count` samples of a part (in the part's order) as tensors, for sample strips or BatchNorm statistics;
 * the caller disposes them.
 */
export async function headOfPart(data: ImageData, role: DataRole, count: number): Promise<TensorBatch> {
  const part = data.parts[role];
  if (!part) throw new Error(`the run's data has no ${role} part`);
  const n = Math.min(count, part.indices.length);
  for await (const b of imageBatches(data, role, { batchSize: Math.max(1, n) })) return toTensors(b);
  throw new Error(`the ${role} part is empty`);
}
