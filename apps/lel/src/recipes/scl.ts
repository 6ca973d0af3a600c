import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import { Rng, type HwcImage } from '@lel/core';
import { readImage } from '@lel/datasets/node';
import { FewShotEvalConfigSchema, SclConfigSchema, SclModel, classifyEpisode, evaluateFewShot, extractFeatures, imageAt, plainView, scl, stackImages } from '@lel/scl';
import { DataConfigError } from '../data/detect';
import { resolveImageData, type ImageData } from '../data/image-data';
import { runLabelMap } from '../data/manifest';
import { ClassImageData } from '../data/sections';
import { classPartArrays, type ClassPartArrays } from '../data/tensors';
import { commonShape } from './common';
import type { EvalResult, Prediction, Recipe } from './types';
import { loadBest } from '../weights';

/** Where the keys of the former embedded-glyphs `data` section live now. */
const GLYPH_DATA_MOVED: Record<string, string> = {
  'data.baseClasses': 'moved to data.labelled.classes (data.labelled: { source: glyphs, classes, heldOutClasses, drawings })',
  'data.novelClasses': 'moved to data.labelled.heldOutClasses (the novel classes of the few-shot evaluation: the dev part)',
  'data.perClass': 'moved to data.labelled.drawings (drawings per character; data.labelled.perClass keeps that many of them labelled per class)',
};

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
      data: ClassImageData,
      scl: SclSection.prefault({}),
      fewshot: FewShotEvalConfigSchema.omit({ seed: true })
        .extend({
          /**
           * Ours: also score these shot counts on the same network (`fewshot_accuracy_<k>shot`, reported only), e.g. [5]
           * beside 1-shot: the more-labels row of an effect table without training again.
           */
          extraShots: z.array(z.number().int().positive()).default([]),
        })
        .strict()
        .prefault({}),
    })
    .strict();
}
type Config = z.output<ReturnType<typeof schemaFor>>;

/** The run's training (base) classes and the novel classes of its few-shot evaluation, in memory. */
interface Sets {
  base: ClassPartArrays;
  /** The dev part: novel classes, episodes scored during training. */
  novel: ClassPartArrays;
  /** The test part when the data has one (other novel classes, reported); else the dev part is reported. */
  test?: ClassPartArrays;
}

/**
 * The run's data: base classes from `data.labelled` (one folder per class, or the embedded glyphs), novel classes
 * from `data.dev` (other class folders, or the glyphs' held-out characters), recorded in `<run>/data/`.
 */
async function runData(config: Config, runDir: string, log?: (line: string) => void): Promise<ImageData> {
  const data = await resolveImageData(config.data, 'few-shot', { runDir, ...(log ? { log } : {}) });
  if (!data.parts.labelled || data.parts.labelled.indices.length < 2) throw new DataConfigError('data.labelled', 'few-shot pre-training needs at least 2 labelled images');
  if (!data.parts.dev) throw new DataConfigError('data.dev', 'few-shot evaluation needs novel classes: give data.dev (one folder per class, classes not in data.labelled)');
  const overlap = (data.devClassNames ?? []).filter((c) => data.classNames.includes(c));
  if (overlap.length > 0) log?.(`[data] warning: data.dev shares classes with data.labelled (${overlap.slice(0, 5).join(', ')}${overlap.length > 5 ? ', …' : ''}): few-shot accuracy on seen classes is optimistic`);
  return data;
}

/**
 * The parts in memory at the input size: @lel/scl draws two augmented views of each image per step from memory
 * (its method reads pixels by index), so the few-shot sets are decoded once here rather than streamed.
 */
async function loadSets(data: ImageData, log?: (line: string) => void): Promise<Sets> {
  const base = await classPartArrays(data, 'labelled');
  const novel = await classPartArrays(data, 'dev');
  const test = data.parts.test ? await classPartArrays(data, 'test') : undefined;
  const mib = ((base.images.length + novel.images.length + (test?.images.length ?? 0)) * 4) / 2 ** 20;
  log?.(`[data] ${base.n} base images (${base.classNames.length} classes), ${novel.n} novel images (${novel.classNames.length} classes)${test ? `, ${test.n} test images` : ''}: ${mib.toFixed(1)} MiB in memory`);
  return { base, novel, ...(test ? { test } : {}) };
}

function buildModel(config: Config, numClasses: number, inChannels: number): SclModel {
  const s = config.scl;
  return new SclModel({
    numClasses,
    inChannels,
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

async function fewShot(model: SclModel, config: Config, novel: ClassPartArrays, extraShots: readonly number[] = []): Promise<EvalResult> {
  const { extraShots: _extra, ...fewshot } = config.fewshot;
  const view = { imageSize: config.scl.imageSize, cropPadding: config.scl.cropPadding };
  const r = await evaluateFewShot(model, novel, { ...fewshot, seed: config.seed }, view);
  const metrics: Record<string, number> = { fewshot_accuracy: r.mean, fewshot_ci95: r.halfWidth };
  for (const k of extraShots) {
    const e = await evaluateFewShot(model, novel, { ...fewshot, kShot: k, seed: config.seed }, view);
    metrics[`fewshot_accuracy_${k}shot`] = e.mean;
    metrics[`fewshot_ci95_${k}shot`] = e.halfWidth;
  }
  return { metrics, fewShot: { ways: fewshot.nWay, shots: fewshot.kShot, episodes: r.accuracies.length, mean: r.mean, halfWidth: r.halfWidth } };
}

const IMAGE_EXT = /\.(png|jpe?g)$/i;

/** An image file as the run's data saw it: read grey or RGB (the run's channels), resized to its input, then SCL's plain view. */
async function viewOf(file: string, input: { height: number; width: number; channels: 1 | 3 }, imageSize: number): Promise<HwcImage> {
  const img = readImage(file, { channels: input.channels });
  const t = tf.tidy(() => tf.image.resizeBilinear(tf.tensor4d(img.data, [1, img.height, img.width, input.channels]), [input.height, input.width]));
  const data = (await t.data()) as Float32Array;
  t.dispose();
  return plainView({ data, height: input.height, width: input.width, channels: input.channels }, imageSize);
}

/** A support folder (one sub-folder per class) as labelled images; undefined when `dir` is not one. */
function supportFolder(dir: string): { files: string[]; labels: number[]; classNames: string[] } | undefined {
  if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory()) return undefined;
  const classNames = fs.readdirSync(dir).filter((d) => fs.statSync(path.join(dir, d)).isDirectory()).sort();
  const files: string[] = [];
  const labels: number[] = [];
  classNames.forEach((c, k) => {
    for (const f of fs.readdirSync(path.join(dir, c)).filter((f) => IMAGE_EXT.test(f)).sort()) {
      files.push(path.join(dir, c, f));
      labels.push(k);
    }
  });
  if (classNames.length < 2 || files.length === 0) throw new Error(`predict: the support folder ${dir} needs one sub-folder per class (at least 2) with PNG or JPEG images (${dir}/<class>/*.png)`);
  return { files, labels, classNames };
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
      // The embedded glyphs: 16 base characters for training, 10 held-out characters for the episodes (the dev part).
      // `data.labelled=./my/base --set data.dev=./my/novel` (one folder per class each) for user images.
      data: { labelled: { source: 'glyphs' } },
      train: { epochs: 4, batchSize: 16 },
      scl: { channels: [8, 16, 24, 32], featDim: 16, imageSize: 32, cropPadding: 4, lrMilestones: [3], lr: 0.05, spatialContLoss: spatial },
      fewshot: { nWay: 5, kShot: 1, nQuery: 5, episodes: 20, nAugSupport: 1, maxIter: 100 },
    },
    moved: { 'scl.epochs': 'moved to train.epochs', 'scl.batchSize': 'moved to train.batchSize', ...GLYPH_DATA_MOVED },
    async prepare(config, ctx) {
      const s = config.scl;
      const data = await runData(config, ctx.runDir, ctx.log);
      for (const line of data.describe) ctx.log(`[data] ${line}`);
      const sets = await loadSets(data, ctx.log);
      ctx.log(`[data] ${config.fewshot.nWay}-way ${config.fewshot.kShot}-shot episodes (${config.fewshot.nQuery} queries per class) on the novel classes`);
      // BatchNorm statistics of the averaged ResNet-12 come from plain views of the base images.
      const bnBatch = config.swa.enabled
        ? tf.tidy(() => tf.image.resizeBilinear(stackImages(Array.from({ length: Math.min(64, sets.base.n) }, (_, i) => imageAt(sets.base, i))), [s.imageSize, s.imageSize]))
        : undefined;
      return {
        // `@lel/scl`'s method on shuffled batches (no episodes): the same network as `buildModel`.
        method: scl,
        config: { ...s, epochs: config.train.epochs, batchSize: config.train.batchSize, seed: config.seed },
        data: sets.base,
        evaluate: async (m) => (await fewShot(m as SclModel, config, sets.novel)).metrics,
        bestMetric: 'fewshot_accuracy',
        swaBnData: () => (bnBatch ? [bnBatch] : []),
        report: (m) => fewShot(m as SclModel, config, sets.test ?? sets.novel, config.fewshot.extraShots),
        notes: [spatial ? 'CE + spatial contrastive loss' : 'CE only', ...(sets.test ? ['reported on the test part\'s classes (the dev classes picked the checkpoint)'] : [])],
        dispose: () => bnBatch?.dispose(),
      };
    },
    async evaluate(config, runDir) {
      // The run's own split and label map (data/split.json), re-opened from the same sources.
      const data = await runData(config, runDir);
      const sets = await loadSets(data);
      const model = buildModel(config, data.classNames.length, data.input.channels);
      try {
        await loadBest(runDir, model);
        return fewShot(model, config, sets.test ?? sets.novel, config.fewshot.extraShots);
      } finally {
        model.dispose();
      }
    },
    async predict(config, request) {
      // With a support folder first (one sub-folder per class, a few images each), the queries are classified among
      // its classes as in the few-shot evaluation (features of the trained network, fewshot.classifier); without one,
      // the base-class probabilities of the classifier head.
      const { classNames, input } = runLabelMap(request.runDir);
      const inputShape = input ?? { height: config.data.size as number, width: config.data.size as number, channels: config.data.channels };
      const model = buildModel(config, classNames.length, inputShape.channels);
      try {
        await loadBest(request.runDir, model);
        model.eval();
        fs.mkdirSync(request.outDir, { recursive: true });
        const [first, ...rest] = request.inputs;
        const support = first !== undefined ? supportFolder(first) : undefined;
        const queries = support ? rest : request.inputs;
        if (queries.length === 0) throw new Error('predict: give query images after the support folder');
        const views = await Promise.all(queries.map((q) => viewOf(q, inputShape, config.scl.imageSize)));
        if (support) {
          const supportViews = await Promise.all(support.files.map((f) => viewOf(f, inputShape, config.scl.imageSize)));
          const feats = async (imgs: HwcImage[]) => {
            const x = stackImages(imgs);
            try {
              return await extractFeatures(model, x);
            } finally {
              x.dispose();
            }
          };
          const sf = await feats(supportViews);
          const qf = await feats(views);
          const pred = await classifyEpisode({ support: { global: sf.global, spatial: sf.spatial }, supportLabels: support.labels, query: { global: qf.global, spatial: qf.spatial }, globalDim: sf.globalDim, spatialDim: sf.spatialDim }, { ...config.fewshot, seed: config.seed });
          return queries.map((q, i) => ({ input: q, label: support.classNames[pred[i]!]! }));
        }
        const out: Prediction[] = [];
        for (const [i, q] of queries.entries()) {
          const t = tf.tidy(() => tf.softmax(model.forward(stackImages([views[i]!])).logits));
          const p = Array.from(await t.data());
          t.dispose();
          const best = p.indexOf(Math.max(...p));
          out.push({ input: q, probabilities: Object.fromEntries(p.map((v, k) => [classNames[k] ?? `base ${k}`, v])), label: classNames[best] ?? `base ${best}` });
        }
        return out;
      } finally {
        model.dispose();
      }
    },
  };
}

export const sclRecipe = makeSclRecipe('scl', true);
