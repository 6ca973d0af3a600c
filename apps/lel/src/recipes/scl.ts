import * as fs from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import { Rng } from '@lel/core';
import { type ImageClassificationData } from '@lel/datasets';
import { glyphClassSplits, makeGlyphFewShot, readImage } from '@lel/datasets/node';
import { FewShotEvalConfigSchema, SclConfigSchema, SclModel, evaluateFewShot, scl, stackImages, imageAt } from '@lel/scl';
import { commonShape } from './common';
import type { EvalResult, Recipe } from './types';
import { loadBest } from '../weights';

/** Omniglot-like glyphs (`@lel/datasets` `makeGlyphFewShot`): disjoint base (training) and novel (evaluation) characters. */
const FewShotData = z
  .object({
    baseClasses: z.number().int().min(2).default(16),
    novelClasses: z.number().int().min(2).default(10),
    /** Drawings per class. */
    perClass: z.number().int().min(2).default(12),
    /** Rendered side in pixels (the network input is `scl.imageSize`). */
    size: z.number().int().min(8).default(28),
    seed: z.number().int().min(0).default(0),
  })
  .strict()
  .prefault({});
type FewShotData = z.output<typeof FewShotData>;

/**
 * `@lel/scl`'s SclConfigSchema minus the seed (the run's), `episode` (the app trains on shuffled batches) and the
 * length keys `epochs` and `batchSize` (in `train`).
 */
const SclSection = SclConfigSchema.omit({ seed: true, episode: true, epochs: true, batchSize: true }).strict();

/** The training-length keys in the recipe's one `train` section, with @lel/scl's defaults. */
const SCL_DEFAULTS = SclConfigSchema.parse({});
const SclLength = {
  epochs: z.number().int().min(1).default(SCL_DEFAULTS.epochs),
  batchSize: z.number().int().min(1).default(SCL_DEFAULTS.batchSize),
};

function schemaFor(name: string) {
  return z
    .object({
      ...commonShape(name, SclLength),
      data: FewShotData,
      scl: SclSection.prefault({}),
      fewshot: FewShotEvalConfigSchema.omit({ seed: true }).strict().prefault({}),
    })
    .strict();
}
type Config = z.output<ReturnType<typeof schemaFor>>;

interface Sets {
  base: ImageClassificationData;
  novel: ImageClassificationData;
}

function glyphSets(d: FewShotData): Sets {
  const splits = glyphClassSplits(d.seed, { base: d.baseClasses, val: 0, novel: d.novelClasses });
  return {
    base: makeGlyphFewShot({ classes: splits.base, perClass: d.perClass, size: d.size, seed: d.seed }),
    novel: makeGlyphFewShot({ classes: splits.novel, perClass: d.perClass, size: d.size, seed: `${d.seed}/novel` }),
  };
}

function buildModel(config: Config, numClasses: number): SclModel {
  const s = config.scl;
  return new SclModel({
    numClasses,
    inChannels: 1,
    channels: s.channels,
    dropRate: s.dropRate,
    dropBlockSize: s.dropBlockSize,
    featDim: s.featDim,
    projection: s.globalContLoss,
    attention: s.spatialContLoss,
    aggregation: s.aggregation,
    rng: new Rng(`scl-init/${config.seed}`),
  });
}

function fewShot(model: SclModel, config: Config, novel: ImageClassificationData): EvalResult {
  const r = evaluateFewShot(model, novel, { ...config.fewshot, seed: config.seed }, { imageSize: config.scl.imageSize, cropPadding: config.scl.cropPadding });
  return {
    metrics: { fewshot_accuracy: r.mean, fewshot_ci95: r.halfWidth },
    fewShot: { ways: config.fewshot.nWay, shots: config.fewshot.kShot, episodes: r.accuracies.length, mean: r.mean, halfWidth: r.halfWidth },
  };
}

function makeSclRecipe(name: 'scl' | 'scl-ce', spatial: boolean): Recipe<Config> {
  const schema = schemaFor(name);
  return {
    name,
    description: spatial
      ? 'Spatial Contrastive Learning: CE + spatial contrastive pre-training of a ResNet-12, few-shot accuracy on novel glyphs (@lel/scl)'
      : 'Baseline: the same ResNet-12 pre-trained with cross-entropy only (@lel/scl, spatialContLoss false)',
    package: '@lel/scl',
    task: 'few-shot',
    schema,
    // A tiny ResNet-12 on 32×32 glyph crops (2×2 final maps for the spatial loss); 5-way 1-shot over 20 episodes.
    defaults: {
      train: { epochs: 4, batchSize: 16 },
      scl: { channels: [8, 16, 24, 32], featDim: 16, imageSize: 32, cropPadding: 4, lrMilestones: [3], lr: 0.05, spatialContLoss: spatial },
      fewshot: { nWay: 5, kShot: 1, nQuery: 5, episodes: 20, nAugSupport: 1, maxIter: 100 },
    },
    moved: { 'scl.epochs': 'moved to train.epochs', 'scl.batchSize': 'moved to train.batchSize' },
    async prepare(config, ctx) {
      const s = config.scl;
      const sets = glyphSets(config.data);
      ctx.log(`[data] embedded glyphs: ${config.data.baseClasses} base classes × ${config.data.perClass} drawings for training, ${config.data.novelClasses} novel classes for ${config.fewshot.nWay}-way ${config.fewshot.kShot}-shot evaluation`);
      // BatchNorm statistics of the averaged ResNet-12 come from plain views of the base images.
      const bnBatch = config.swa.enabled
        ? tf.tidy(() => tf.image.resizeBilinear(stackImages(Array.from({ length: Math.min(64, sets.base.n) }, (_, i) => imageAt(sets.base, i))), [s.imageSize, s.imageSize]))
        : undefined;
      return {
        // `@lel/scl`'s method on shuffled batches (no episodes): the same network as `buildModel`.
        method: scl,
        config: { ...s, epochs: config.train.epochs, batchSize: config.train.batchSize, seed: config.seed },
        data: sets.base,
        evaluate: (m) => fewShot(m as SclModel, config, sets.novel).metrics,
        bestMetric: 'fewshot_accuracy',
        swaBnData: () => (bnBatch ? [bnBatch] : []),
        report: (m) => fewShot(m as SclModel, config, sets.novel),
        notes: [spatial ? 'CE + spatial contrastive loss' : 'CE only'],
        dispose: () => bnBatch?.dispose(),
      };
    },
    async evaluate(config, runDir) {
      const sets = glyphSets(config.data);
      const model = buildModel(config, config.data.baseClasses);
      try {
        await loadBest(runDir, model);
        return await fewShot(model, config, sets.novel);
      } finally {
        model.dispose();
      }
    },
    async predict(config, request) {
      // Few-shot models have no fixed label set: report the base-class probabilities of the classifier head.
      const model = buildModel(config, config.data.baseClasses);
      try {
        await loadBest(request.runDir, model);
        model.eval();
        fs.mkdirSync(request.outDir, { recursive: true });
        return request.inputs.map((input) => {
          const img = readImage(input, { channels: 1 });
          const p = tf.tidy(() => {
            const x = tf.image.resizeBilinear(tf.tensor4d(img.data, [1, img.height, img.width, 1]), [config.scl.imageSize, config.scl.imageSize]);
            return tf.softmax(model.forward(x).logits).dataSync();
          });
          const probabilities = Object.fromEntries(Array.from(p, (v, i) => [`base ${i}`, v]));
          const best = Array.from(p).indexOf(Math.max(...p));
          return { input, probabilities, label: `base ${best}` };
        });
      } finally {
        model.dispose();
      }
    },
  };
}

export const sclRecipe = makeSclRecipe('scl', true);
