import * as tf from '@tensorflow/tfjs-core';
import { ConfusionMatrix, scoped } from '@lel/core';
import type { SegmentationSet } from './data';

/** Anything that maps images [B, H, W, 3] to logits [B, H, W, C]. */
export interface Segmenter {
  forward(x: tf.Tensor4D): tf.Tensor4D;
}

/** Options of {@link predictLogits}. */
export interface PredictOptions {
  /** Image scales whose logits are averaged. Official inference.py: [0.5, 0.75, 1.0, 1.25, 1.5]. Default [1]. */
  scales?: number[];
  /** Also average the prediction of the mirrored image (official inference.py: on). Default false. */
  flip?: boolean;
}

/**
 * Multi-scale (+ flip) inference as the official `multi_scale_predict` [inference.py]: the image is resized
 * (bilinear, align_corners=True) to each scale, its logits resized back to the image size and summed
 * (with the un-mirrored logits of the mirrored image when `flip`), then divided by the number of scales.
 */
export function predictLogits(model: Segmenter, images: tf.Tensor4D, options: PredictOptions = {}): tf.Tensor4D {
  const scales = options.scales ?? [1];
  const [, H, W] = images.shape;
  return scoped('predictLogits', () => {
    const parts: tf.Tensor4D[] = [];
    for (const s of scales) {
      const size: [number, number] = [Math.max(1, Math.round(H * s)), Math.max(1, Math.round(W * s))];
      const x = s === 1 ? images : tf.image.resizeBilinear(images, size, true);
      const back = (y: tf.Tensor4D) => (y.shape[1] === H && y.shape[2] === W ? y : tf.image.resizeBilinear(y, [H, W], true));
      parts.push(back(model.forward(x)));
      if (options.flip) parts.push(tf.reverse(back(model.forward(tf.reverse(x, 2) as tf.Tensor4D)), 2) as tf.Tensor4D);
    }
    return tf.div(tf.addN(parts), scales.length) as tf.Tensor4D;
  });
}

/** Options of {@link evaluateSegmentation}. */
export interface EvaluateOptions extends PredictOptions {
  numClasses: number;
  ignoreIndex?: number;
  batchSize?: number;
}

/**
 * mIoU and pixel accuracy over a whole set (intersections and unions accumulated over every image,
 * 255 ignored, mean over all classes: the official `eval_metrics`).
 */
export async function evaluateSegmentation(model: Segmenter, set: SegmentationSet, options: EvaluateOptions): Promise<{ miou: number; pixelAccuracy: number; perClassIoU: number[] }> {
  const cm = new ConfusionMatrix(options.numClasses, { ignoreIndex: options.ignoreIndex ?? 255 });
  const n = set.images.shape[0];
  const bs = options.batchSize ?? 8;
  for (let s = 0; s < n; s += bs) {
    const [pred, target] = tf.tidy(() => {
      const m = Math.min(bs, n - s);
      const x = tf.slice(set.images, [s, 0, 0, 0], [m, -1, -1, -1]);
      return [tf.cast(tf.argMax(predictLogits(model, x, options), 3), 'int32'), tf.cast(tf.slice(set.labels, [s, 0, 0], [m, -1, -1]), 'int32')];
    });
    try {
      await cm.add(pred!, target!);
    } finally {
      tf.dispose([pred!, target!]);
    }
  }
  return { miou: cm.miou(), pixelAccuracy: cm.pixelAccuracy(), perClassIoU: cm.perClassIoU() };
}
