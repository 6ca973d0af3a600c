import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import { Rng, type Module } from '@lel/core';
import { ArSegArchitectureSchema, ArSegModel, ArSegTrainingSchema, arSeg, architectureOf, evaluateArSeg, remapClusters, saveArEncoder, type LabelledImageSet } from '@lel/autoregressive-seg';
import { makeDigitScenes, readImage, encodePalettePng } from '@lel/datasets/node';
import { commonShape } from './common';
import { writeStrips } from './segmentation';
import type { EvalResult, Recipe } from './types';
import { bestDir, loadBest } from '../weights';

/** Unlabelled digit scenes; masks are used only to score the clusters (Hungarian matching, as IIC). */
const ArData = z
  .object({
    scenes: z.number().int().min(2).default(64),
    valScenes: z.number().int().min(1).default(16),
    size: z.number().int().min(16).default(32),
    variant: z.enum(['easy', 'hard']).default('easy'),
    /** What the clusters are scored against: `foreground` (digit vs background, 2 clusters) or `digits` (11 classes). */
    target: z.enum(['foreground', 'digits']).default('foreground'),
    seed: z.number().int().min(0).default(0),
  })
  .strict()
  .prefault({});
type ArData = z.output<typeof ArData>;

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

function numClusters(data: ArData): number {
  return data.target === 'foreground' ? 2 : 11;
}

function classNames(data: ArData): string[] {
  return data.target === 'foreground' ? ['background', 'digit'] : ['background', ...Array.from({ length: 10 }, (_, i) => String(i))];
}

function scenes(data: ArData, n: number, split: 'train' | 'test'): LabelledImageSet {
  const s = makeDigitScenes({ n, size: data.size, seed: data.seed, variant: data.variant, channels: 3, split });
  const masks = data.target === 'foreground' ? s.masks.map((v) => (v === 255 ? 255 : v > 0 ? 1 : 0)) : s.masks;
  return { images: s.images, n: s.n, height: s.height, width: s.width, channels: 3, masks, numClasses: numClusters(data) };
}

/** The `@lel/autoregressive-seg` config of a run: the `arseg` section, the `train` length keys, the recipe's mode and the run seed. */
function fullConfig(config: Config, mode: 'ac' | 'iic') {
  return { ...config.arseg, steps: config.train.steps, batchSize: config.train.batchSize, mode, seed: config.seed, inChannels: 3, numClusters: numClusters(config.data) };
}

/** Scores, per-class IoU, confusion (true class × matched cluster) and sample strips of the clusters on the validation scenes. */
function arEval(model: ArSegModel, val: LabelledImageSet, data: ArData, runDir: string): EvalResult {
  const r = evaluateArSeg(model, val);
  const K = numClusters(data);
  const confusion = Array.from({ length: K }, () => new Array<number>(K).fill(0));
  r.counts.forEach((row, cluster) => row.forEach((v, gt) => {
    const m = r.mapping[cluster]!;
    if (m >= 0 && gt < K) confusion[gt]![m]! += v;
  }));
  const n = Math.min(4, val.n);
  const hw = val.height * val.width;
  const preds = tf.tidy(() => {
    const x = tf.tensor4d(val.images.subarray(0, n * hw * 3), [n, val.height, val.width, 3]);
    return tf.argMax(model.forward(x, 0).probs, 3).dataSync();
  });
  const samples = writeStrips(runDir, val.images, val.masks, remapClusters(preds, r.mapping, K), n, val.height, val.width);
  return { metrics: { clustering_accuracy: r.accuracy, miou: r.miou }, classNames: classNames(data), perClassIoU: r.perClassIoU.slice(0, K), confusion, samples };
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
    defaults: { train: { batchSize: 8, steps: 40 }, arseg: { stemChannels: 8, numBlocks: 2, stemStride: 1, halfT: 2, lr: 1e-3 } },
    moved: { 'arseg.steps': 'moved to train.steps', 'arseg.batchSize': 'moved to train.batchSize' },
    async prepare(config, ctx) {
      const train = scenes(config.data, config.data.scenes, 'train');
      const val = scenes(config.data, config.data.valScenes, 'test');
      ctx.log(`[data] embedded digit scenes (${config.data.variant}, ${config.data.size}×${config.data.size}): ${train.n} unlabelled training scenes; clusters scored on ${val.n} validation scenes against ${config.data.target}`);
      const cfg = fullConfig(config, mode);
      return {
        method: arSeg,
        config: cfg,
        data: { images: { images: train.images, n: train.n, height: train.height, width: train.width, channels: 3 } },
        evaluate: (m) => {
          const r = evaluateArSeg(m as ArSegModel, val);
          return { pixelAccuracy: r.accuracy, miou: r.miou };
        },
        bestMetric: 'miou',
        // Unsupervised: the masks only score the clusters, so they never pick the weights (no label leakage).
        keep: 'last',
        report: (m) => arEval(m as ArSegModel, val, config.data, ctx.runDir),
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
      const model = new ArSegModel(architectureOf(fullConfig(config, mode)), new Rng(config.seed));
      try {
        await loadBest(runDir, model as Module);
        model.eval();
        return await arEval(model, scenes(config.data, config.data.valScenes, 'test'), config.data, runDir);
      } finally {
        model.dispose();
      }
    },
    async predict(config, request) {
      const model = new ArSegModel(architectureOf(fullConfig(config, mode)), new Rng(config.seed));
      try {
        await loadBest(request.runDir, model as Module);
        model.eval();
        fs.mkdirSync(request.outDir, { recursive: true });
        return request.inputs.map((input) => {
          const img = readImage(input, { channels: 3 });
          const clusters = tf.tidy(() => tf.argMax(model.forward(tf.tensor4d(img.data, [1, img.height, img.width, 3]), 0).probs, 3).dataSync());
          const file = path.join(request.outDir, `${path.basename(input).replace(/\.[^.]+$/, '')}.clusters.png`);
          fs.writeFileSync(file, encodePalettePng(clusters, img.height, img.width));
          const counts: Record<string, number> = {};
          for (const c of clusters) counts[`cluster ${c}`] = (counts[`cluster ${c}`] ?? 0) + 1 / clusters.length;
          return { input, output: file, probabilities: counts };
        });
      } finally {
        model.dispose();
      }
    },
  };
}

export const arsegRecipe = makeArRecipe('arseg', 'ac');
export const iicRecipe = makeArRecipe('iic', 'iic');
