import type * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import type { Callback, ProgressMode } from '@lel/core';
import { CctConfigSchema, trainCct, type CctModel, type SegmentationBatch } from '@lel/cct';
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
 * The `cct` section the network is built with: the run's `seed` seeds training (data order, perturbation noise) in
 * place of `cct.train.seed`, like every recipe's.
 */
function cctModelConfig(config: CctRecipeConfig): CctRecipeConfig['cct'] {
  return { ...config.cct, train: { ...config.cct.train, seed: config.seed } };
}

/**
 * `@lel/cct`'s `trainCct` with the app's loop: steps-based evaluation (mIoU on the validation scenes), checkpoints
 * (best by mIoU), `--resume`, the app's callbacks (Ctrl-C) and SWA; `cct.train.valEvery` / `earlyStop` give way to
 * the shared `train` keys.
 */
export async function trainCctRun(model: CctModel, config: CctRecipeConfig, sets: ReturnType<typeof segmentationSets>, ctx: { runDir: string; resume?: string; callbacks: Callback<never>[]; progress: ProgressMode }) {
  const swa = swaCallback<tf.Tensor4D>(config.swa, { evaluate: (m) => evaluateSegmenter(m as CctModel, sets.val, DIGIT_SCENE_CLASSES).metrics, bnData: () => [sets.unlabelled.images] });
  const { evalEvery, ...loop } = loopOptions(config.train, 'miou');
  const result = await trainCct({
    model,
    labelled: sets.labelled,
    unlabelled: sets.unlabelled,
    evaluate: () => evaluateSegmenter(model, sets.val, DIGIT_SCENE_CLASSES).metrics,
    evalEvery,
    earlyStopping: false,
    ...loop,
    runDir: ctx.runDir,
    resume: ctx.resume,
    config,
    callbacks: [...(ctx.callbacks as Callback<SegmentationBatch>[]), ...(swa ? [swa as Callback<SegmentationBatch>] : [])],
    progress: ctx.progress,
  });
  return { result, swa };
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
      const model = await buildSegNet(config.model, config.init, cctModelConfig(config), config.seed);
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
