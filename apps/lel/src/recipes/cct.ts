import { z } from 'zod';
import { CctConfigSchema, cct, type CctConfig, type CctModel } from '@lel/cct';
import { commonShape } from './common';
import { SegmentationData } from '../data/sections';
import { runLabelMap } from '../data/manifest';
import { bnImages, cctStreams, segDataReport, segPartMetrics, segmentationRunData } from './seg-data';
import { buildSegNet, SegInit, predictMasks, SegModel } from './segmentation';
import type { Recipe } from './types';
import { loadBest } from '../weights';

/** The `cct` section: `@lel/cct`'s CctConfigSchema minus what the data and encoder decide (classes, stride) and its `train` keys (in `train`). */
function cctSection(mode: 'semi' | 'supervised') {
  return CctConfigSchema.omit({ numClasses: true, upscale: true, train: true }).extend({
    mode: z.literal(mode).default(mode),
    flip: z
      .boolean()
      .optional()
      .describe('random horizontal flips of the training batches (the official VOC augmentation); default on, off for the embedded digit scenes (a mirrored digit is another shape)'),
  });
}

/** Whether a run's labelled source is the embedded digit scenes. */
export function isDigitScenes(data: SegmentationData): boolean {
  const l = data.labelled;
  return l === 'digit-scenes' || (typeof l === 'object' && l !== null && 'source' in l && l.source === 'digit-scenes');
}

/** The digit scenes' test part: a fifth of the scenes, carved off (see {@link runDataSection}). */
export const DIGIT_SCENES_TEST_FRACTION = 0.2;

/**
 * The data section a run opens: on the embedded digit scenes without `data.test` / `data.testFraction`, a fifth of the
 * scenes is carved off as the test part the run reports, since their held-out scenes are the dev part that picks the
 * best checkpoint (a report on it would be the selection split). User data keeps what its section says.
 */
export function runDataSection(data: SegmentationData): SegmentationData {
  return isDigitScenes(data) && data.test === null && data.testFraction === 0 ? { ...data, testFraction: DIGIT_SCENES_TEST_FRACTION } : data;
}

/** Whether CCT's training batches are flipped: `cct.flip`, by default on except for the digit scenes. */
export function cctFlips(config: Pick<CctRecipeConfig, 'cct' | 'data'>): boolean {
  return config.cct.flip ?? !isDigitScenes(config.data);
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
    .object({ ...commonShape(name, CctLength), data: SegmentationData, model: SegModel, init: SegInit, cct: cctSection(mode).prefault({}) })
    .strict();
}

type CctRecipeConfig = z.output<ReturnType<typeof schemaFor>>;

/** Where the keys of the former embedded-scenes `data` section live now (the data sources' `data:` section). */
export const SCENE_DATA_MOVED: Record<string, string> = {
  'data.scenes': 'moved to data.labelled.n (data.labelled: { source: digit-scenes, n, heldOut, variant, fraction })',
  'data.valScenes': 'moved to data.labelled.heldOut (held-out scenes of the embedded digit scenes: the dev part)',
  'data.labelledFraction': 'moved to data.labelled.fraction (the label budget of any labelled source)',
  'data.variant': 'moved to data.labelled.variant (embedded digit scenes)',
  'data.testScenes': 'moved: the test part is data.testFraction (a carve of data.labelled; a fifth of the embedded scenes by default) or data.test (a source of its own)',
};

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
  ...SCENE_DATA_MOVED,
};

/**
 * The `@lel/cct` config a run's network is built and trained with: the `cct` section, the `train` section's length
 * keys and the run `seed` (the app evaluates and stops on its own schedule, so CCT's valEvery/earlyStop are moot).
 */
export function cctMethodConfig(config: Pick<CctRecipeConfig, 'cct' | 'train' | 'seed'>): Omit<CctConfig, 'numClasses' | 'upscale'> {
  const t = config.train;
  const { flip: _flip, ...cct } = config.cct;
  return {
    ...cct,
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
      // The embedded digit scenes with 1/8 of the masks kept (the CCT paper's sparsest VOC split ratio); the rest is
      // unlabelled. `data.labelled=./my/folder` (+ `data.unlabelled=./my/raw`) trains on the user's images instead.
      // 80 scenes: 16 carved off as the test part (see runDataSection), 64 for training as before.
      data: { labelled: { source: 'digit-scenes', n: 80, fraction: 0.125 } },
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
      const semi = mode === 'semi';
      const data = await segmentationRunData(runDataSection(config.data), { runDir: ctx.runDir, log: ctx.log, needUnlabelled: semi });
      for (const line of data.describe) ctx.log(`[data] ${line}`);
      const model = await buildSegNet(config.model, config.init, cctMethodConfig(config), config.seed, { numClasses: data.classNames.length, inChannels: data.input.channels });
      // BatchNorm statistics of SWA's averaged weights come from the first images of the training data.
      const bn = config.swa.enabled ? await bnImages(data) : undefined;
      return {
        method: cct,
        config: model.config,
        // The labelled and unlabelled parts stream from disk in batches (decoded a few batches ahead).
        data: { model, ...cctStreams(data, semi), ...(cctFlips(config) ? {} : { augment: null }) },
        evaluate: (m) => segPartMetrics(m as CctModel, data, 'dev'),
        bestMetric: 'miou',
        ...(bn ? { swaBnData: () => [bn] } : {}),
        report: (m) => segDataReport(m as CctModel, data, ctx.runDir),
        notes: [...(semi ? [`${model.auxDecoders.length} auxiliary decoders`] : []), ...(config.init.encoder ? [`encoder initialised from ${config.init.encoder} (autoregressive-seg, no labels)`] : [])],
        models: [model],
        dispose: () => bn?.dispose(),
      };
    },
    async evaluate(config, runDir) {
      // The run's own split and label map (data/split.json), re-opened from the same sources.
      const data = await segmentationRunData(runDataSection(config.data), { runDir });
      const model = await buildSegNet(config.model, config.init, cctMethodConfig(config), config.seed, { numClasses: data.classNames.length, inChannels: data.input.channels });
      try {
        await loadBest(runDir, model);
        model.eval();
        return await segDataReport(model, data, runDir);
      } finally {
        model.dispose();
      }
    },
    async predict(config, request) {
      const { classNames, input } = runLabelMap(request.runDir);
      const model = await buildSegNet(config.model, config.init, cctMethodConfig(config), config.seed, { numClasses: classNames.length, inChannels: input?.channels ?? 3 });
      try {
        await loadBest(request.runDir, model);
        model.eval();
        return await predictMasks(model, model.config.upscale, request, classNames, input?.channels ?? 3);
      } finally {
        model.dispose();
      }
    },
  };
}

export const cctRecipe = makeCctRecipe('cct', 'semi');
export const cctSupervisedRecipe = makeCctRecipe('cct-supervised', 'supervised');
