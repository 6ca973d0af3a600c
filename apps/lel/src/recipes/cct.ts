import { z } from 'zod';
import { CctConfigSchema, cct, type CctConfig, type CctModel } from '@lel/cct';
import { commonShape } from './common';
import { buildSegNet, SegInit, disposeSegSets, evaluateSegmenter, predictMasks, segEvalResult, segmentationSets, SegData, SegModel, DIGIT_SCENE_CLASSES } from './segmentation';
import type { Recipe } from './types';
import { loadBest } from '../weights';

/** The `cct` section: `@lel/cct`'s CctConfigSchema minus what the data and encoder decide (classes, stride) and its `train` keys (in `train`). */
function cctSection(mode: 'semi' | 'supervised') {
  return CctConfigSchema.omit({ numClasses: true, upscale: true, train: true }).extend({ mode: z.literal(mode).default(mode) });
}

/** CCT's training-length keys in the recipe's one `train` section, with @lel/cct's defaults (official configs/config.json). */
const CCT_TRAIN = CctConfigSchema.shape.train.parse(undefined);
const CctLength = {
  /** Epochs (one pass over the unlabelled set in semi mode; over the labelled set for the baseline). */
  epochs: z.number().int().min(1).default(CCT_TRAIN.epochs),
  labelledBatchSize: z.number().int().min(1).default(CCT_TRAIN.labelledBatchSize),
  unlabelledBatchSize: z.number().int().min(1).default(CCT_TRAIN.unlabelledBatchSize),
};

function schemaFor(name: string, mode: 'semi' | 'supervised') {
  return z
    .object({ ...commonShape(name, CctLength), data: SegData, model: SegModel, init: SegInit, cct: cctSection(mode).prefault({}) })
    .strict();
}

type CctRecipeConfig = z.output<ReturnType<typeof schemaFor>>;

/** Where the keys of the former `cct.train` section live now. */
export const CCT_MOVED: Record<string, string> = {
  'cct.train.epochs': 'moved to train.epochs',
  'cct.train.labelledBatchSize': 'moved to train.labelledBatchSize',
  'cct.train.unlabelledBatchSize': 'moved to train.unlabelledBatchSize',
  'cct.train.valEvery': 'moved to train.evalEvery (in steps)',
  'cct.train.earlyStop': 'moved to train.earlyStop',
  'cct.train.seed': 'moved to seed (the run seed)',
  'cct.train.weakLabels': 'not available in the app (weak labels need pseudo-labels: use @lel/cct camClassifierTraining and cct directly)',
  'cct.train': 'moved into train (epochs, labelledBatchSize, unlabelledBatchSize, evalEvery, earlyStop) and seed',
};

/**
 * The `@lel/cct` config a run's network is built and trained with: the `cct` section, the `train` section's length
 * keys and the run `seed` (the app evaluates and stops on its own schedule, so CCT's valEvery/earlyStop are moot).
 */
export function cctMethodConfig(config: Pick<CctRecipeConfig, 'cct' | 'train' | 'seed'>): Omit<CctConfig, 'numClasses' | 'upscale'> {
  const t = config.train;
  return {
    ...config.cct,
    train: { epochs: t.epochs, labelledBatchSize: t.labelledBatchSize, unlabelledBatchSize: t.unlabelledBatchSize, valEvery: 1, earlyStop: 0, seed: config.seed, weakLabels: false },
  };
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
      train: mode === 'semi' ? { epochs: 6, labelledBatchSize: 4, unlabelledBatchSize: 8 } : { epochs: 20, labelledBatchSize: 4 },
      cct: {
        // Three cheap perturbations instead of the official 30 decoders: tiny and CPU-friendly.
        perturbations: { vat: 0, dropout: 1, cutout: 0, contextMasking: 0, objectMasking: 0, featureDrop: 1, featureNoise: 1 },
        // From scratch (no pretrained backbone) the encoder trains at the full rate (official lr 0.01: 0.1 kills decoder
        // channels), and the decoders end without the official final ReLU, whose dead logits never recover from random
        // init (see @lel/cct's README benchmark and diagnosis).
        optim: { lr: 0.01, encoderLrScale: 1 },
        decoderFinalRelu: false,
      },
    },
    moved: CCT_MOVED,
    async prepare(config, ctx) {
      const sets = segmentationSets(config.data);
      ctx.log(`[data] ${sets.describe}`);
      const model = await buildSegNet(config.model, config.init, cctMethodConfig(config), config.seed);
      return {
        method: cct,
        config: model.config,
        data: { model, labelled: sets.labelled, unlabelled: sets.unlabelled },
        evaluate: (m) => evaluateSegmenter(m as CctModel, sets.val, DIGIT_SCENE_CLASSES).metrics,
        bestMetric: 'miou',
        swaBnData: () => [sets.unlabelled.images],
        report: (m) => segEvalResult(m as CctModel, sets, ctx.runDir),
        notes: [...(mode === 'semi' ? [`${model.auxDecoders.length} auxiliary decoders`] : []), ...(config.init.encoder ? [`encoder initialised from ${config.init.encoder} (autoregressive-seg, no labels)`] : [])],
        models: [model],
        dispose: () => disposeSegSets(sets),
      };
    },
    async evaluate(config, runDir) {
      const sets = segmentationSets(config.data);
      const model = await buildSegNet(config.model, config.init, cctMethodConfig(config), config.seed);
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
      const model = await buildSegNet(config.model, config.init, cctMethodConfig(config), config.seed);
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
