import * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import { SGD, fit, polyLr, type Callback, type TrainContext } from '@lel/core';
import {
  CctConfigSchema,
  cctLoss,
  epochBatches,
  labelledBatches,
  randomHorizontalFlip,
  rampUpWeight,
  type CctModel,
  type SegmentationBatch,
} from '@lel/cct';
import { commonShape, interruptedRun, loopOptions } from './common';
import { buildSegNet, SegInit, disposeSegSets, evaluateSegmenter, predictMasks, segEvalResult, segmentationSets, SegData, SegModel, DIGIT_SCENE_CLASSES } from './segmentation';
import { swaCallback } from './swa';
import type { Recipe } from './types';
import { loadBest, loadCheckpointWeights, saveBest } from '../weights';

/** The `cct` section: `@lel/cct`'s CctConfigSchema minus what the data and encoder decide (classes, stride). */
function cctSection(mode: 'semi' | 'supervised') {
  return CctConfigSchema.omit({ numClasses: true, upscale: true }).extend({ mode: z.literal(mode).default(mode) });
}

function schemaFor(name: string, mode: 'semi' | 'supervised') {
  return z
    .object({ ...commonShape(name), data: SegData, model: SegModel, init: SegInit, cct: cctSection(mode).prefault({}) })
    .strict();
}

type CctRecipeConfig = z.output<ReturnType<typeof schemaFor>>;

/**
 * CCT's training step on `fit` (the same composition as `@lel/cct`'s `trainCct`, which has no resume option):
 * supervised CE on the labelled batch plus the ramped consistency between the main decoder and the auxiliary
 * decoders on the paired unlabelled batch.
 */
export async function trainCctRun(model: CctModel, config: CctRecipeConfig, sets: ReturnType<typeof segmentationSets>, ctx: { runDir: string; resume?: string; callbacks: Callback<never>[]; progress: import('@lel/core').ProgressMode }) {
  const c = model.config;
  const semi = c.mode === 'semi';
  const nl = sets.labelled.images.shape[0];
  const nu = sets.unlabelled.images.shape[0];
  const itersPerEpoch = semi ? Math.ceil(nu / c.train.unlabelledBatchSize) : Math.ceil(nl / c.train.labelledBatchSize);
  const totalIters = c.train.epochs * itersPerEpoch;
  const rampupLength = Math.floor(c.loss.rampUp * c.train.epochs) * itersPerEpoch;
  const abceTotalIters = (c.train.epochs - 0.6 * c.train.epochs) * itersPerEpoch;
  const optimizer = new SGD(model.parameterGroups(), { lr: c.optim.lr, momentum: c.optim.momentum, weightDecay: c.optim.weightDecay });
  const schedule = polyLr({ baseLr: c.optim.lr, maxIter: totalIters, power: c.optim.polyPower });
  const step = (lb: SegmentationBatch, tc: TrainContext<SegmentationBatch>) => {
    const weightU = semi ? rampUpWeight(tc.step, { wMax: c.loss.unsupWeight, rampupLength }) : 0;
    const supLogits = model.forward(lb.images);
    let unsupMainLogits: tf.Tensor4D | undefined;
    let auxLogits: tf.Tensor4D[] | undefined;
    if (semi) {
      const out = model.forwardUnsupervised(tc.unlabeled!.images, tc.rng);
      unsupMainLogits = out.mainLogits;
      auxLogits = out.auxLogits;
    }
    const parts = cctLoss(
      { supLogits, labels: lb.labels, unsupMainLogits, auxLogits, weightU, t: tc.step },
      {
        supLoss: c.loss.sup,
        supWeight: c.loss.supWeight,
        softmaxTemp: c.loss.softmaxTemp,
        ignoreIndex: c.ignoreIndex,
        abceTotalIters,
        type: c.loss.unsup,
        confidenceMasking: c.loss.confidenceMasking,
        confidenceThreshold: c.loss.confidenceThreshold,
        wMax: c.loss.unsupWeight,
        weakWeight: c.loss.weakWeight,
        validate: false,
      },
    );
    return { total: parts.total, sup: parts.sup, unsup: parts.unsup, weightU: tf.scalar(weightU) };
  };
  const evaluate = () => evaluateSegmenter(model, sets.val, DIGIT_SCENE_CLASSES).metrics;
  const swa = swaCallback<tf.Tensor4D>(config.swa, { evaluate: (m) => evaluateSegmenter(m as CctModel, sets.val, DIGIT_SCENE_CLASSES).metrics, bnData: () => [sets.unlabelled.images] });
  const augment = randomHorizontalFlip;
  try {
    const result = await fit<SegmentationBatch, SegmentationBatch>({
      model,
      optimizer,
      schedule,
      step,
      data: semi
        ? {
            labeled: (_e, rng) => labelledBatches(sets.labelled, c.train.labelledBatchSize, itersPerEpoch, rng, augment),
            unlabeled: (_e, rng) => epochBatches(sets.unlabelled, c.train.unlabelledBatchSize, rng, augment),
          }
        : { labeled: (_e, rng) => epochBatches(sets.labelled, c.train.labelledBatchSize, rng, augment) },
      epochs: c.train.epochs,
      seed: config.seed,
      stepsPerEpoch: itersPerEpoch,
      evaluate,
      ...loopOptions(config.train, 'miou'),
      runDir: ctx.runDir,
      resume: ctx.resume,
      config,
      callbacks: [...(ctx.callbacks as Callback<SegmentationBatch>[]), ...(swa ? [swa as Callback<SegmentationBatch>] : [])],
      progress: ctx.progress,
      batchSize: (b) => b.images.shape[0],
    });
    return { result, swa };
  } finally {
    optimizer.dispose();
  }
}

/** Pick the weights a run keeps: SWA's average when enabled, else the best-by-mIoU checkpoint, else the last. */
export function keepWeights(model: CctModel | import('@lel/core').Module, result: { best?: { checkpoint?: string; step: number; value: number; metric: string } }, swaEnabled: boolean, prefix = ''): string {
  if (swaEnabled) return 'SWA-averaged weights at the end of training';
  if (result.best?.checkpoint) {
    loadCheckpointWeights(result.best.checkpoint, model, prefix);
    return `best ${result.best.metric} (${result.best.value.toFixed(4)}) at step ${result.best.step}`;
  }
  return 'weights at the end of training';
}

function makeCctRecipe(name: 'cct' | 'cct-supervised', mode: 'semi' | 'supervised'): Recipe<CctRecipeConfig> {
  const schema = schemaFor(name, mode);
  return {
    name,
    description:
      mode === 'semi'
        ? 'Cross-Consistency Training: semi-supervised segmentation of digit scenes with 1/8 of the masks (@lel/cct)'
        : 'Baseline: the same encoder–decoder trained on the labelled 1/8 only (@lel/cct, mode supervised)',
    package: '@lel/cct',
    task: 'segmentation',
    schema,
    defaults: {
      cct: {
        // Three cheap perturbations instead of the official 30 decoders: tiny and CPU-friendly.
        perturbations: { vat: 0, dropout: 1, cutout: 0, contextMasking: 0, objectMasking: 0, featureDrop: 1, featureNoise: 1 },
        train: mode === 'semi' ? { epochs: 6, labelledBatchSize: 4, unlabelledBatchSize: 8, valEvery: 1, earlyStop: 0 } : { epochs: 20, labelledBatchSize: 4, valEvery: 1, earlyStop: 0 },
        // From scratch (no pretrained backbone) the encoder trains at the full rate (official lr 0.01: 0.1 kills decoder
        // channels), and the decoders end without the official final ReLU, whose dead logits never recover from random
        // init (see @lel/cct's README benchmark and diagnosis).
        optim: { lr: 0.01, encoderLrScale: 1 },
        decoderFinalRelu: false,
      },
    },
    async run(config, ctx) {
      const sets = segmentationSets(config.data);
      ctx.log(`[data] ${sets.describe}`);
      const model = await buildSegNet(config.model, config.init, config.cct, config.seed);
      try {
        const { result, swa } = await trainCctRun(model, config, sets, ctx);
        if (result.stopReason === 'interrupted') {
          swa?.dispose();
          return interruptedRun(result);
        }
        const bestFrom = keepWeights(model, result, config.swa.enabled);
        swa?.dispose();
        model.eval();
        const evalResult = segEvalResult(model, sets, ctx.runDir);
        await saveBest(ctx.runDir, model, { recipe: name, bestFrom, steps: result.steps });
        const counts = model.countParameters();
        return {
          ...evalResult,
          params: { total: counts.all, trainable: counts.trainable },
          steps: result.steps,
          stopReason: result.stopReason,
          bestFrom,
          notes: [...(mode === 'semi' ? [`${model.auxDecoders.length} auxiliary decoders`] : []), ...(config.init.encoder ? [`encoder initialised from ${config.init.encoder} (autoregressive-seg, no labels)`] : [])],
        };
      } finally {
        model.dispose();
        disposeSegSets(sets);
      }
    },
    async evaluate(config, runDir) {
      const sets = segmentationSets(config.data);
      const model = await buildSegNet(config.model, config.init, config.cct, config.seed);
      try {
        await loadBest(runDir, model);
        model.eval();
        return segEvalResult(model, sets, runDir);
      } finally {
        model.dispose();
        disposeSegSets(sets);
      }
    },
    async predict(config, request) {
      const model = await buildSegNet(config.model, config.init, config.cct, config.seed);
      try {
        await loadBest(request.runDir, model);
        model.eval();
        return predictMasks(model, config.data.size, model.config.upscale, request, ['background', ...Array.from({ length: 10 }, (_, i) => String(i))]);
      } finally {
        model.dispose();
      }
    },
  };
}

export const cctRecipe = makeCctRecipe('cct', 'semi');
export const cctSupervisedRecipe = makeCctRecipe('cct-supervised', 'supervised');
