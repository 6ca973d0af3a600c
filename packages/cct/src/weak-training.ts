import * as tf from '@tensorflow/tfjs-core';
import { SGD, defineMethod, polyLr, runMethod, type FitResult, type Rng } from '@lel/core';
import { z } from 'zod';
import { epochBatches, randomHorizontalFlip, type SegmentationBatch, type SegmentationSet } from './data';
import { CamClassifier, camsForImages, camsToPseudoLabels, imageLevelLabels, multiLabelBCE, type CamOptions, type PseudoLabelOptions } from './weak-labels';

/** Config of the CAM classifier's training. Defaults from the official pseudo_labels/run.py (IRN's train_cam). */
export const CamTrainingConfigSchema = z
  .object({
    /** `cam_num_epoches` 5. */
    epochs: z.number().int().min(1).default(5),
    /** `cam_learning_rate` 0.1 (the classifier; the encoder gets lr/10 as IRN's param groups). */
    lr: z.number().positive().default(0.1),
    /** `cam_batch_size` 16. */
    batchSize: z.number().int().min(1).default(16),
    /** `cam_weight_decay` 1e-4. */
    weightDecay: z.number().min(0).default(1e-4),
    /** Seed of the data order and augmentation (ours). */
    seed: z.number().int().default(0),
  })
  .strict();

/** Options of {@link trainCamClassifier}: the {@link CamTrainingConfigSchema} keys plus a step budget. */
export interface TrainCamOptions extends Partial<z.output<typeof CamTrainingConfigSchema>> {
  maxSteps?: number;
}

/**
 * The CAM classifier of CCT's weak-label variant as a method: trained on image-level labels only — the set's masks
 * are reduced to the multi-hot list of present foreground classes (`imageLevelLabels`) before they reach the loss,
 * so no pixel label is used. Multi-label BCE, SGD with poly decay, the encoder at lr/10.
 */
export const camClassifierTraining = defineMethod({
  name: 'cct-cam',
  description: "CCT's CAM classifier for pseudo-labels: multi-label BCE on image-level labels",
  configSchema: CamTrainingConfigSchema,
  build(config, data: { classifier: CamClassifier; set: SegmentationSet }) {
    const { classifier, set } = data;
    const steps = config.epochs * Math.ceil(set.images.shape[0] / config.batchSize);
    const optimizer = new SGD(
      [
        { params: classifier.encoder.namedParameters('encoder'), lrScale: 0.1 },
        { params: classifier.classifier.namedParameters('classifier'), lrScale: 1 },
      ],
      { lr: config.lr, momentum: 0, weightDecay: config.weightDecay },
    );
    return {
      model: classifier,
      optimizers: optimizer,
      schedule: polyLr({ baseLr: config.lr, maxIter: steps, power: 0.9 }),
      data: { labeled: (_e: number, rng: Rng) => epochBatches(set, config.batchSize, rng, randomHorizontalFlip) },
      loss: (b: SegmentationBatch) => {
        const y = imageLevelLabels(b.labels, classifier.numClasses);
        return { total: multiLabelBCE(classifier.forward(b.images), y) };
      },
      epochs: config.epochs,
      seed: config.seed,
    };
  },
});

/** Train the CAM classifier in place on image-level labels (see {@link camClassifierTraining}). */
export async function trainCamClassifier(classifier: CamClassifier, set: SegmentationSet, options: TrainCamOptions = {}): Promise<FitResult> {
  const { maxSteps, ...config } = options;
  const r = await runMethod(camClassifierTraining, config, { classifier, set }, { progress: 'none', ...(maxSteps !== undefined ? { maxSteps } : {}) });
  return r.result;
}

/**
 * Pseudo-labels of a set from its image-level labels: normalised multi-scale CAMs of the present classes →
 * confident foreground / background maps (CRF-refined) → labels with 255 where uncertain.
 */
export async function pseudoLabelsFor(classifier: CamClassifier, set: SegmentationSet, options: CamOptions & PseudoLabelOptions & { batchSize?: number } = {}): Promise<tf.Tensor3D> {
  const n = set.images.shape[0];
  const bs = options.batchSize ?? 8;
  const parts: tf.Tensor3D[] = [];
  classifier.eval();
  try {
    for (let s = 0; s < n; s += bs) {
      const m = Math.min(bs, n - s);
      const images = tf.slice(set.images, [s, 0, 0, 0], [m, -1, -1, -1]);
      const labels = tf.slice(set.labels, [s, 0, 0], [m, -1, -1]);
      const present = imageLevelLabels(labels, classifier.numClasses);
      const cams = camsForImages(classifier, images, present, options);
      try {
        parts.push(await camsToPseudoLabels(cams, images, options));
      } finally {
        tf.dispose([images, labels, present, cams]);
      }
    }
  } catch (e) {
    tf.dispose(parts);
    throw e;
  } finally {
    classifier.train();
  }
  const out = tf.concat(parts, 0);
  tf.dispose(parts);
  return out;
}
