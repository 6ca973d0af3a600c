import * as tf from '@tensorflow/tfjs-core';
import { Adam, fit, Rng, validateConfig } from '@lel/core';
import type { Callback, FitResult } from '@lel/core';
import { ArSegConfigSchema, type ArSegConfig, type ArSegConfigInput } from './config';
import { iicViews, unflip } from './augment';
import { imageBatch, validateImageSet, type ImageSet, type LabelledImageSet } from './data';
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

/**
 * Train the autoregressive clustering network (Ouali et al., ECCV 2020) — or, with `mode: 'iic'`, the IIC baseline on
 * the same network — on unlabelled images with Adam on core's `fit` (JSONL logs, checkpoints, resume, NaN guard).
 * Batches are random permutations per epoch (last partial batch dropped).
 */
export async function trainArSeg(data: ImageSet, rawConfig: ArSegConfigInput = {}, options: TrainArSegOptions = {}): Promise<TrainArSegResult> {
  const config = validateConfig(ArSegConfigSchema, rawConfig);
  validateImageSet('trainArSeg', data);
  if (data.channels !== config.inChannels) throw new Error(`trainArSeg: data has ${data.channels} channels, config.inChannels is ${config.inChannels}`);
  if (config.halfT >= Math.min(data.height, data.width)) throw new Error(`trainArSeg: halfT (${config.halfT}) must be smaller than the image size ${data.height} × ${data.width}`);
  const bs = Math.min(config.batchSize, data.n);
  const model = new ArSegModel(architectureOf(config), new Rng(config.seed));
  const optimizer = new Adam(model.trainableParameters(), { lr: config.lr });
  const evalData = options.evalData;
  try {
    const result = await fit<tf.Tensor4D>({
      model,
      optimizer,
      maxSteps: config.steps,
      seed: config.seed,
      config,
      ...(options.runDir ? { runDir: options.runDir } : {}),
      ...(options.resume ? { resume: options.resume } : {}),
      ...(options.callbacks ? { callbacks: options.callbacks } : {}),
      progress: options.progress ?? 'none',
      data: {
        labeled: function* (_epoch, rng) {
          const order = rng.permutation(data.n);
          for (let s = 0; s + bs <= data.n; s += bs) yield imageBatch(data, order.slice(s, s + bs));
        },
      },
      step: (x, ctx) => arSegStepLoss(model, x, config, ctx.rng),
      ...(evalData
        ? {
            evaluate: () => {
              const r = evaluateArSeg(model, evalData);
              return { pixelAccuracy: r.accuracy, miou: r.miou };
            },
            evalEvery: options.evalEvery ?? config.steps,
          }
        : {}),
    });
    return { model, result, config };
  } catch (e) {
    model.dispose();
    throw e;
  } finally {
    optimizer.dispose();
  }
}
