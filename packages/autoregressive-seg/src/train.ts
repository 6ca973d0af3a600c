import * as tf from '@tensorflow/tfjs-core';
import { Adam, defineMethod, Rng, runMethod } from '@lel/core';
import type { Callback, FitResult, MethodRunOptions } from '@lel/core';
import { ArSegConfigSchema, type ArSegConfig, type ArSegConfigInput } from './config';
import { iicViews, unflip } from './augment';
import { imageBatch, isStreamingImages, validateImageSet, type ImageSet, type LabelledImageSet, type StreamingImageSet } from './data';
import { evaluateArSeg } from './evaluate-model';
import { arSegLoss } from './loss';
import { ArSegModel, architectureOf, type ArSegOutput } from './model';
import { sampleOrderingPair } from './sampling';

/** Options of {@link trainArSeg}. */
export interface TrainArSegOptions {
  /** Run folder (JSONL metrics, checkpoints, resume). */
  runDir?: string;
  progress?: 'auto' | 'bar' | 'lines' | 'none';
  /** Labelled data used only to log Hungarian pixel accuracy / mIoU every `evalEvery` steps (never for training). */
  evalData?: LabelledImageSet;
  evalEvery?: number;
  /** Resume from 'last', 'best' or a checkpoint path (needs `runDir`). */
  resume?: 'last' | 'best' | (string & {});
  callbacks?: Callback[];
}

/** What {@link trainArSeg} returns. */
export interface TrainArSegResult {
  model: ArSegModel;
  result: FitResult;
  config: ArSegConfig;
}

/**
 * One training loss on a batch of images, for both modes: AC draws two orderings with `rng` and runs the network
 * under each; IIC (baseline) runs the unmasked network on two augmented views and un-flips the second prediction.
 */
export function arSegStepLoss(model: ArSegModel, x: tf.Tensor4D, config: ArSegConfig, rng: Rng) {
  const lossOptions = { form: config.lossForm, halfT: config.halfT, lambda: config.lambda, eps: config.eps, overclusterWeight: config.overclusterWeight };
  if (config.mode === 'ac') {
    const [o1, o2] = sampleOrderingPair(rng, config.orderings, config.orderingPolicy);
    const [a, b] = model.forwardPair(x, o1, o2);
    return arSegLoss(a, b, lossOptions);
  }
  const { v1, v2, flipped } = iicViews(x, rng, { jitter: config.jitter, flipProbability: config.flipProbability });
  const a = model.forward(v1, 0);
  const raw = model.forward(v2, 0);
  const b: ArSegOutput = { probs: unflip(raw.probs, flipped), ...(raw.overProbs ? { overProbs: unflip(raw.overProbs, flipped) } : {}) };
  return arSegLoss(a, b, lossOptions);
}

/** The data of {@link arSeg}: unlabelled images, and optionally labelled ones only to score the clusters. */
export interface ArSegData {
  /** Training images (no labels): in memory, or streamed in batches (the same order for the same seed). */
  images: ImageSet | StreamingImageSet;
  /** Labelled images used only to log Hungarian pixel accuracy / mIoU (never for training). */
  evalData?: LabelledImageSet;
}

/**
 * The autoregressive clustering network (Ouali et al., ECCV 2020) — or, with `mode: 'iic'`, the IIC baseline on
 * the same network — as a method: Adam on the MI loss between two orderings (AC) or two augmented views (IIC) of
 * unlabelled images, batches are random permutations per epoch (last partial batch dropped), `config.steps` steps.
 * With `evalData`, the clusters are scored (`pixelAccuracy`, `miou`) once at the end (`evalEvery` to change).
 * `predict` gives cluster probabilities [B, H, W, K] (the unmasked network, eval mode).
 */
export const arSeg = defineMethod({
  name: 'autoregressive-seg',
  description: 'unsupervised segmentation: mutual information between two masked-convolution orderings (or IIC views)',
  configSchema: ArSegConfigSchema,
  build(config, data: ArSegData) {
    const images = data.images;
    validateImageSet('autoregressive-seg', images);
    if (images.channels !== config.inChannels) throw new Error(`autoregressive-seg: data has ${images.channels} channels, config.inChannels is ${config.inChannels}`);
    if (config.halfT >= Math.min(images.height, images.width)) {
      throw new Error(`autoregressive-seg: halfT (${config.halfT}) must be smaller than the image size ${images.height} × ${images.width}`);
    }
    const bs = Math.min(config.batchSize, images.n);
    const model = new ArSegModel(architectureOf(config), new Rng(config.seed));
    const evalData = data.evalData;
    return {
      model,
      optimizers: new Adam(model.trainableParameters(), { lr: config.lr }),
      data: {
        labeled: (_epoch: number, rng: Rng) => {
          const order = rng.permutation(images.n);
          function* indexBatches() {
            for (let s = 0; s + bs <= images.n; s += bs) yield order.slice(s, s + bs);
          }
          if (isStreamingImages(images)) return images.batches(indexBatches(), rng.fork('load'));
          return (function* () {
            for (const idx of indexBatches()) yield imageBatch(images, idx);
          })();
        },
      },
      loss: (x: tf.Tensor4D, ctx: { rng: Rng }) => arSegStepLoss(model, x, config, ctx.rng),
      maxSteps: config.steps,
      seed: config.seed,
      ...(evalData
        ? {
            evaluate: async () => {
              const r = await evaluateArSeg(model, evalData);
              return { pixelAccuracy: r.accuracy, miou: r.miou };
            },
            evalEvery: config.steps,
          }
        : {}),
      /** Cluster probabilities [B, H, W, K] of images [B, H, W, C] (unmasked network, eval mode). */
      predict: (x: tf.Tensor4D): tf.Tensor4D => {
        const was = model.training;
        model.eval();
        try {
          return tf.tidy(() => model.forward(x, 0).probs as tf.Tensor4D);
        } finally {
          model.train(was);
        }
      },
      cleanup: ({ failed }: { failed: boolean }) => {
        if (failed) model.dispose();
      },
    };
  },
});

/**
 * Train the autoregressive clustering network (or the IIC baseline) on unlabelled images: `runMethod(arSeg, …)`
 * with the run options (folder, resume, callbacks, progress, evaluation period).
 */
export async function trainArSeg(data: ImageSet | StreamingImageSet, rawConfig: ArSegConfigInput = {}, options: TrainArSegOptions = {}): Promise<TrainArSegResult> {
  const { evalData, evalEvery, ...run } = options;
  const r = await runMethod(arSeg, rawConfig, { images: data, ...(evalData ? { evalData } : {}) }, {
    progress: 'none',
    ...run,
    ...(evalEvery !== undefined ? { evalEvery } : {}),
  } satisfies MethodRunOptions);
  return { model: r.model, result: r.result, config: r.config };
}
