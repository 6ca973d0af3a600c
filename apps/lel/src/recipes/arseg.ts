import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import { Rng, type Module } from '@lel/core';
import { writeFileAtomicSync } from '@lel/core/node';
import { ArSegArchitectureSchema, ArSegModel, ArSegTrainingSchema, arSeg, architectureOf, remapClusters, saveArEncoder, scoreClusters, type StreamingImageSet } from '@lel/autoregressive-seg';
import { encodePalettePng, readImage } from '@lel/datasets/node';
import { DataConfigError } from '../data/detect';
import { resolveImageData, type ImageData } from '../data/image-data';
import { runLabelMap } from '../data/manifest';
import { ClusteringData } from '../data/sections';
import { forEachBatch, streamingPart } from '../data/tensors';
import { commonShape } from './common';
import { writeStrips } from './segmentation';
import type { EvalResult, Prediction, Recipe } from './types';
import { bestDir, loadBest } from '../weights';

/**
 * The `data:` section: unlabelled training images (an image folder, or any image source whose masks are then unused;
 * default the embedded digit scenes) and an optional dev part with masks that only scores the clusters (Hungarian
 * matching, as IIC), plus what the clusters are scored against.
 */
const ArData = ClusteringData;
type ArData = z.output<typeof ArData>;

/** Where the keys of the former embedded-scenes `data` section live now. */
const AR_DATA_MOVED: Record<string, string> = {
  'data.scenes': 'moved to data.unlabelled.n (data.unlabelled: { source: digit-scenes, n, heldOut, variant })',
  'data.valScenes': 'moved to data.unlabelled.heldOut (held-out scenes of the embedded digit scenes: the dev part that scores the clusters)',
  'data.variant': 'moved to data.unlabelled.variant (embedded digit scenes)',
};

/**
 * Architecture and training keys of `@lel/autoregressive-seg` the app exposes (clusters, channels, mode and seed follow
 * from the recipe; its length keys `steps` and `batchSize` are in `train`).
 */
const ArSection = ArSegArchitectureSchema.omit({ inChannels: true, numClusters: true })
  .extend(ArSegTrainingSchema.omit({ mode: true, seed: true, steps: true, batchSize: true }).shape)
  .strict();

/** The training-length keys in the recipe's one `train` section, with @lel/autoregressive-seg's defaults. */
const AR_DEFAULTS = ArSegTrainingSchema.parse({});
const ArLength = {
  /** Optimiser steps. */
  steps: z.number().int().min(1).default(AR_DEFAULTS.steps),
  batchSize: z.number().int().min(1).default(AR_DEFAULTS.batchSize),
};

function schemaFor(name: string) {
  return z.object({ ...commonShape(name, ArLength), data: ArData, arseg: ArSection.prefault({}) }).strict();
}
type Config = z.output<ReturnType<typeof schemaFor>>;

/** Whether the run's training images are the embedded digit scenes. */
function isDigitScenes(data: ArData): boolean {
  const u = data.unlabelled;
  return u === 'digit-scenes' || (typeof u === 'object' && u !== null && 'source' in u && u.source === 'digit-scenes');
}

/** What a run scores against: the data's classes, or foreground vs background. */
function targetOf(data: ArData): 'classes' | 'foreground' {
  return data.target === 'auto' ? (isDigitScenes(data) ? 'foreground' : 'classes') : data.target;
}

/** The scored classes of a run: the label map of its dev masks, or background / foreground. */
function scoredClasses(data: ArData, labelMap: readonly string[]): string[] {
  return targetOf(data) === 'foreground' ? ['background', 'foreground'] : [...labelMap];
}

/** Clusters of a run: `data.clusters`, else the scored classes (one-to-one matching). */
function numClustersOf(data: ArData, labelMap: readonly string[]): number {
  if (data.clusters !== undefined) return data.clusters;
  const k = scoredClasses(data, labelMap).length;
  if (k < 2) throw new DataConfigError('data.clusters', 'no masks to take the number of clusters from (no dev part with masks): give data.clusters, or data.dev (images with masks)');
  return k;
}

/** A dev mask value as a scored class (foreground: every class but 0). */
const scoreMask = (target: 'classes' | 'foreground') => (v: number) => (v === 255 ? 255 : target === 'foreground' ? (v > 0 ? 1 : 0) : v);

/** The `@lel/autoregressive-seg` config of a run: the `arseg` section, the `train` length keys, the recipe's mode, the run seed, the data's channels and clusters. */
function fullConfig(config: Config, mode: 'ac' | 'iic', input: { channels: 1 | 3 }, clusters: number) {
  return { ...config.arseg, steps: config.train.steps, batchSize: config.train.batchSize, mode, seed: config.seed, inChannels: input.channels, numClusters: clusters };
}

/** The run's unlabelled part as a stream of image batches, decoded from disk a few batches ahead. */
function streamedImages(data: ImageData): StreamingImageSet {
  const part = streamingPart(data, 'unlabelled', { withLabels: false });
  return {
    n: part.size,
    height: data.input.height,
    width: data.input.width,
    channels: data.input.channels,
    async *batches(indexBatches, rng) {
      for await (const b of part.batches(indexBatches, rng)) {
        if (b.labels) b.labels.dispose();
        yield b.images;
      }
    },
  };
}

/** Clusters of the dev part, batch by batch, with their masks (in the scored classes) and the first images for strips. */
async function clusterDev(model: ArSegModel, data: ImageData, target: 'classes' | 'foreground', strips = 4) {
  const part = data.parts.dev!;
  const hw = data.input.height * data.input.width;
  const pred = new Int32Array(part.indices.length * hw);
  const masks = new Int32Array(part.indices.length * hw);
  const head: Float32Array[] = [];
  const toScored = scoreMask(target);
  const wasTraining = model.training;
  model.eval();
  let offset = 0;
  try {
    await forEachBatch(data, 'dev', 16, async (b, arrays) => {
      const p = tf.tidy(() => tf.argMax(model.forward(b.images, 0).probs, 3));
      pred.set((await p.data()) as Int32Array, offset);
      p.dispose();
      masks.set(Array.from(arrays.masks!, toScored), offset);
      if (head.length < strips) head.push(arrays.images.slice(0, Math.min(strips - head.length, arrays.n) * hw * data.input.channels));
      offset += arrays.n * hw;
    });
  } finally {
    model.train(wasTraining);
  }
  return { pred, masks, head: concatFloat(head) };
}

function concatFloat(parts: Float32Array[]): Float32Array {
  const out = new Float32Array(parts.reduce((a, p) => a + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/** Hungarian-matched scores of the clusters on the dev part: pixel accuracy (clustering accuracy) and mIoU. */
async function devScores(model: ArSegModel, data: ImageData, config: Config) {
  const classes = scoredClasses(config.data, data.classNames);
  const { pred, masks, head } = await clusterDev(model, data, targetOf(config.data));
  const r = scoreClusters(pred, masks, { numClusters: model.options.numClusters, numClasses: classes.length, ignoreIndex: 255 });
  return { r, pred, masks, head, classes };
}

/** Scores, per-class IoU, confusion (true class × matched cluster) and sample strips of the clusters on the dev part. */
async function arEval(model: ArSegModel, data: ImageData, config: Config, runDir: string): Promise<EvalResult> {
  if (!data.parts.dev) return { metrics: {} };
  const { r, pred, masks, head, classes } = await devScores(model, data, config);
  const K = classes.length;
  const confusion = Array.from({ length: K }, () => new Array<number>(K).fill(0));
  r.counts.forEach((row, cluster) =>
    row.forEach((v, gt) => {
      const m = r.mapping[cluster]!;
      if (m >= 0 && m < K && gt < K) confusion[gt]![m]! += v;
    }),
  );
  const { height: h, width: w, channels } = data.input;
  const n = head.length / (h * w * channels);
  const samples = writeStrips(runDir, head, masks, remapClusters(pred.subarray(0, n * h * w), r.mapping, K), n, h, w, channels);
  // The trivial answer (one cluster everywhere, matched like the model's) on the same masks: the floor a clustering must beat.
  const trivial = scoreClusters(new Int32Array(pred.length), masks, { numClusters: model.options.numClusters, numClasses: K, ignoreIndex: 255 });
  return {
    metrics: { clustering_accuracy: r.accuracy, miou: r.miou, trivial_miou: trivial.miou, trivial_clustering_accuracy: trivial.accuracy },
    classNames: classes,
    perClassIoU: r.perClassIoU.slice(0, K),
    confusion,
    samples,
  };
}

/** The run's data (the unlabelled images, the dev part with masks if any), recorded in `<run>/data/`. */
async function arRunData(config: Config, runDir: string, log?: (line: string) => void): Promise<ImageData> {
  const data = await resolveImageData(config.data, 'clustering', { runDir, ...(log ? { log } : {}) });
  if (!data.parts.unlabelled || data.parts.unlabelled.indices.length === 0) throw new DataConfigError('data.unlabelled', 'no training image');
  return data;
}

function makeArRecipe(name: 'arseg' | 'iic', mode: 'ac' | 'iic'): Recipe<Config> {
  const schema = schemaFor(name);
  return {
    name,
    description:
      mode === 'ac'
        ? 'Autoregressive unsupervised segmentation: MI between two masked-convolution orderings, no labels (@lel/autoregressive-seg)'
        : 'Baseline: IIC on the same network, MI between two augmented views, no labels (@lel/autoregressive-seg, mode iic)',
    package: '@lel/autoregressive-seg',
    task: 'clustering',
    schema,
    // Tiny network and displacement for 32×32 scenes on a CPU. stemStride 1 (the re-implementation's default) gives
    // output stride 2: with stemStride 2 (stride 4) an encoder exported to cct/cct-supervised/kd left every one of
    // them predicting background only (mIoU 8.45% in the demo, 2026-11-25): digit strokes are 2–3 px wide (@lel/cct
    // bench/oracle.ts: 40% reachable at stride 4 vs 62% at 2) and a stride-4 CCT decoder has a ReLU'd C → 4C block
    // whose 4-channel class groups died (26 of 44 channels), silencing those classes.
    // The embedded digit scenes (64 unlabelled, 16 held-out scenes scoring the clusters); `data.unlabelled=./my/raw`
    // (+ `data.dev=./my/labelled` with images/ and masks/) for user images.
    defaults: { data: { unlabelled: { source: 'digit-scenes' } }, train: { batchSize: 8, steps: 40 }, arseg: { stemChannels: 8, numBlocks: 2, stemStride: 1, halfT: 2, lr: 1e-3 } },
    moved: { 'arseg.steps': 'moved to train.steps', 'arseg.batchSize': 'moved to train.batchSize', ...AR_DATA_MOVED },
    async prepare(config, ctx) {
      const data = await arRunData(config, ctx.runDir, ctx.log);
      for (const line of data.describe) ctx.log(`[data] ${line}`);
      const cfg = fullConfig(config, mode, data.input, numClustersOf(config.data, data.classNames));
      ctx.log(
        data.parts.dev
          ? `[data] ${cfg.numClusters} clusters, scored on the dev part against ${targetOf(config.data) === 'foreground' ? 'foreground / background' : `its ${data.classNames.length} classes`}`
          : `[data] ${cfg.numClusters} clusters; no dev part with masks: the clusters are not scored (data.dev: images with masks)`,
      );
      return {
        method: arSeg,
        config: cfg,
        // The unlabelled images stream from disk in batches (decoded a few batches ahead), in the in-memory order.
        data: { images: streamedImages(data) },
        evaluate: async (m): Promise<Record<string, number>> => {
          if (!data.parts.dev) return {};
          const { r } = await devScores(m as ArSegModel, data, config);
          return { pixelAccuracy: r.accuracy, miou: r.miou };
        },
        bestMetric: data.parts.dev ? 'miou' : null,
        // Unsupervised: the masks only score the clusters, so they never pick the weights (no label leakage).
        keep: 'last',
        report: (m) => arEval(m as ArSegModel, data, config, ctx.runDir),
        finish: async (m) => {
          // The encoder alone, for `lel train cct --set init.encoder=<this run>` (finish runs before best/ is written).
          fs.mkdirSync(bestDir(ctx.runDir), { recursive: true });
          await saveArEncoder(m as ArSegModel, path.join(bestDir(ctx.runDir), 'encoder.safetensors'));
          return { notes: [`${cfg.numClusters} clusters, mode ${mode}`, 'encoder exported to best/encoder.safetensors'] };
        },
        dispose: () => {},
      };
    },
    async evaluate(config, runDir) {
      // The run's own split and label map (data/split.json), re-opened from the same sources.
      const data = await arRunData(config, runDir);
      if (!data.parts.dev) throw new DataConfigError('data.dev', `${runDir} was trained without a dev part with masks: there is nothing to score the clusters against`);
      const model = new ArSegModel(architectureOf(fullConfig(config, mode, data.input, numClustersOf(config.data, data.classNames))), new Rng(config.seed));
      try {
        await loadBest(runDir, model as Module);
        model.eval();
        return await arEval(model, data, config, runDir);
      } finally {
        model.dispose();
      }
    },
    async predict(config, request) {
      const { classNames, input } = runLabelMap(request.runDir);
      const channels = input?.channels ?? 3;
      const model = new ArSegModel(architectureOf(fullConfig(config, mode, { channels }, numClustersOf(config.data, classNames))), new Rng(config.seed));
      try {
        await loadBest(request.runDir, model as Module);
        model.eval();
        fs.mkdirSync(request.outDir, { recursive: true });
        const out: Prediction[] = [];
        for (const input of request.inputs) {
          // Read as the run's data was (grey or RGB).
          const img = readImage(input, { channels });
          const p = tf.tidy(() => tf.argMax(model.forward(tf.tensor4d(img.data, [1, img.height, img.width, channels]), 0).probs, 3));
          const clusters = await p.data();
          p.dispose();
          const file = path.join(request.outDir, `${path.basename(input).replace(/\.[^.]+$/, '')}.clusters.png`);
          writeFileAtomicSync(file, encodePalettePng(clusters, img.height, img.width));
          const counts: Record<string, number> = {};
          for (const c of clusters) counts[`cluster ${c}`] = (counts[`cluster ${c}`] ?? 0) + 1 / clusters.length;
          out.push({ input, output: file, probabilities: counts });
        }
        return out;
      } finally {
        model.dispose();
      }
    },
  };
}

export const arsegRecipe = makeArRecipe('arseg', 'ac');
export const iicRecipe = makeArRecipe('iic', 'iic');
