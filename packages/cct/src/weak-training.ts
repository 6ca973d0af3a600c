import * as tf from '@tensorflow/tfjs-core';
import { SGD, fit, polyLr, type FitResult } from '@lel/core';
import { epochBatches, randomHorizontalFlip, type SegmentationBatch, type SegmentationSet } from './data';
import { CamClassifier, camsForImages, camsToPseudoLabels, imageLevelLabels, multiLabelBCE, type CamOptions, type PseudoLabelOptions } from './weak-labels';

/** Options of {@link trainCamClassifier}. Defaults from the official pseudo_labels/run.py (IRN's train_cam). */
export interface TrainCamOptions {
  /** `cam_num_epoches` 5. */
  epochs?: number;
  /** `cam_learning_rate` 0.1 (the classifier; the encoder gets lr/10 as IRN's param groups). */
  lr?: number;
  /** `cam_batch_size` 16. */
  batchSize?: number;
  /** `cam_weight_decay` 1e-4. */
  weightDecay?: number;
  seed?: number;
  maxSteps?: number;
}

/**
 * Train the CAM classifier on image-level labels only: the set's masks are reduced to the multi-hot
 * list of present foreground classes (`imageLevelLabels`) before they reach the loss, so no pixel label
 * is used. Multi-label BCE, SGD with poly decay.
 */
export async function trainCamClassifier(classifier: CamClassifier, set: SegmentationSet, options: TrainCamOptions = {}): Promise<FitResult> {
  const lr = options.lr ?? 0.1;
  const epochs = options.epochs ?? 5;
  const bs = options.batchSize ?? 16;
  const steps = epochs * Math.ceil(set.images.shape[0] / bs);
  const enc = classifier.encoder.namedParameters('encoder');
  const head = classifier.classifier.namedParameters('classifier');
  const optimizer = new SGD(
    [
      { params: enc, lrScale: 0.1 },
      { params: head, lrScale: 1 },
    ],
    { lr, momentum: 0, weightDecay: options.weightDecay ?? 1e-4 },
  );
  try {
    return await fit<SegmentationBatch>({
      model: classifier,
      optimizer,
      schedule: polyLr({ baseLr: lr, maxIter: steps, power: 0.9 }),
      step: (b) => {
        const y = imageLevelLabels(b.labels, classifier.numClasses);
        const loss = multiLabelBCE(classifier.forward(b.images), y);
        return { total: loss };
      },
      data: { labeled: (_e, rng) => epochBatches(set, bs, rng, randomHorizontalFlip) },
      epochs,
      maxSteps: options.maxSteps,
      seed: options.seed ?? 0,
      progress: 'none',
    });
  } finally {
    optimizer.dispose();
  }
}

/**
 * Pseudo-labels of a set from its image-level labels: normalised multi-scale CAMs of the present classes →
 * confident foreground / background maps (CRF-refined) → labels with 255 where uncertain.
 */
export function pseudoLabelsFor(classifier: CamClassifier, set: SegmentationSet, options: CamOptions & PseudoLabelOptions & { batchSize?: number } = {}): tf.Tensor3D {
  const n = set.images.shape[0];
  const bs = options.batchSize ?? 8;
  const parts: tf.Tensor3D[] = [];
  classifier.eval();
  for (let s = 0; s < n; s += bs) {
    const m = Math.min(bs, n - s);
    const images = tf.slice(set.images, [s, 0, 0, 0], [m, -1, -1, -1]);
    const labels = tf.slice(set.labels, [s, 0, 0], [m, -1, -1]);
    const present = imageLevelLabels(labels, classifier.numClasses);
    const cams = camsForImages(classifier, images, present, options);
    parts.push(camsToPseudoLabels(cams, images, options));
    tf.dispose([images, labels, present, cams]);
  }
  classifier.train();
  const out = tf.concat(parts, 0);
  tf.dispose(parts);
  return out;
}
