import * as tf from '@tensorflow/tfjs-core';
import { readValues } from '@lel/core';
import { validateImageSet, imageBatch, type LabelledImageSet } from './data';
import { scoreClusters, type MatchedSegmentationScores } from './evaluate';
import type { ArSegModel } from './model';

/** Options of {@link evaluateArSeg}. */
export interface EvaluateArSegOptions {
  /** Images per forward pass. Default 16. */
  batchSize?: number;
  /** Target value of pixels left out. Default 255. */
  ignoreIndex?: number;
  /** Evaluate at most this many images (the first ones). Default all. */
  limit?: number;
}

/**
 * Unsupervised segmentation scores of `model` on labelled data (IIC protocol, "IID" mode: match and score on the same
 * set): predict every pixel's cluster with the unmasked network (ordering 0, eval mode), match clusters to classes one
 * to one by the Hungarian algorithm over all evaluated pixels, then report pixel accuracy and the mIoU of the
 * matched map. The model's train/eval mode is restored afterwards. Predictions are read back asynchronously (every
 * backend, webgpu included).
 */
export async function evaluateArSeg(model: ArSegModel, data: LabelledImageSet, options: EvaluateArSegOptions = {}): Promise<MatchedSegmentationScores> {
  validateImageSet('evaluateArSeg', data);
  const n = Math.min(options.limit ?? data.n, data.n);
  const hw = data.height * data.width;
  if (data.masks.length !== data.n * hw) throw new Error(`evaluateArSeg: data.masks has ${data.masks.length} values, expected n·H·W = ${data.n * hw}`);
  const K = model.options.numClusters;
  if (data.numClasses !== K) throw new Error(`evaluateArSeg: one-to-one matching needs numClusters (${K}) = data.numClasses (${data.numClasses})`);
  const bs = options.batchSize ?? 16;
  const wasTraining = model.training;
  model.eval();
  const pred = new Int32Array(n * hw);
  try {
    for (let s = 0; s < n; s += bs) {
      const idx = Array.from({ length: Math.min(bs, n - s) }, (_, k) => s + k);
      const x = imageBatch(data, idx);
      const p = tf.tidy(() => model.predict(x));
      x.dispose();
      pred.set(await readValues(p, { dispose: true }), s * hw);
    }
  } finally {
    if (wasTraining) model.train();
  }
  return scoreClusters(pred, data.masks.subarray(0, n * hw), { numClusters: K, numClasses: data.numClasses, ignoreIndex: options.ignoreIndex ?? 255 });
}
