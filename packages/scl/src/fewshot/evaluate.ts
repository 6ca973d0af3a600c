import * as tf from '@tensorflow/tfjs-core';
import { EpisodeSampler, Rng, readAll, readValues, validateConfig, type Episode, type HwcImage } from '@lel/core';
import type { ResNet12Output } from '@lel/models';
import type { ImageClassificationArrays } from '../data';
import { imageAt, plainView, sclViewA, stackImages } from '../augment';
import { FewShotEvalConfigSchema } from '../config';
import type { FewShotEvalConfig, FewShotEvalConfigInput } from '../config';
import { episodeAccuracyCI, type EpisodeAccuracyCI } from './ci';
import { argmaxRows, fitLogisticRegression } from './logreg';
import { normalizeRow } from './matrix';
import { protoNetLogits } from './protonet';

/** Anything with a ResNet-12-like forward (an `SclModel`, a bare `ResNet12`). */
export interface FeatureExtractor {
  forward(x: tf.Tensor): ResNet12Output;
  eval(): unknown;
  train(): unknown;
  readonly training: boolean;
}

/** Features of a set of images: pooled [n, D] and 2×2 max-pooled maps [n, 4C], row-major. */
export interface ImageFeatures {
  n: number;
  global: Float32Array;
  globalDim: number;
  spatial: Float32Array;
  spatialDim: number;
}

/** PyTorch `AdaptiveMaxPool2d(out)` bins: [floor(i·h/out), ceil((i+1)·h/out)). */
function adaptiveBins(h: number, out: number): [number, number][] {
  return Array.from({ length: out }, (_, i) => [Math.floor((i * h) / out), Math.ceil(((i + 1) * h) / out)] as [number, number]);
}

/**
 * Test-time features (eval_fewshot.py, model in eval mode): the pooled feature and `AdaptiveMaxPool2d(2)` of the
 * last map, flattened. Images are NHWC tensors; the model's train/eval mode is restored afterwards. Features are
 * read back asynchronously (every backend).
 */
export async function extractFeatures(model: FeatureExtractor, images: tf.Tensor4D, batchSize = 64): Promise<ImageFeatures> {
  const wasTraining = model.training;
  model.eval();
  try {
    const n = images.shape[0];
    let global: Float32Array | null = null;
    let spatial: Float32Array | null = null;
    let gd = 0;
    let sd = 0;
    for (let at = 0; at < n; at += batchSize) {
      const b = Math.min(batchSize, n - at);
      const [fT, mT] = tf.tidy(() => {
        const out = model.forward(tf.slice(images, [at, 0, 0, 0], [b, -1, -1, -1]));
        return [out.features, out.featureMap];
      });
      const [, h, w, c] = mT!.shape as [number, number, number, number];
      const [g, map] = (await readAll([fT!, mT!], { dispose: true })) as [Float32Array, Float32Array];
      gd = g.length / b;
      sd = 4 * c;
      global ??= new Float32Array(n * gd);
      spatial ??= new Float32Array(n * sd);
      global.set(g, at * gd);
      const rows = adaptiveBins(h, 2);
      const cols = adaptiveBins(w, 2);
      for (let i = 0; i < b; i++) {
        const base = i * h * w * c;
        const outBase = (at + i) * sd;
        for (let by = 0; by < 2; by++) {
          for (let bx = 0; bx < 2; bx++) {
            for (let k = 0; k < c; k++) {
              let m = -Infinity;
              for (let y = rows[by]![0]; y < rows[by]![1]; y++) for (let x = cols[bx]![0]; x < cols[bx]![1]; x++) m = Math.max(m, map[base + (y * w + x) * c + k]!);
              // PyTorch flattens (C, 2, 2): channel-major.
              spatial[outBase + k * 4 + by * 2 + bx] = m;
            }
          }
        }
      }
    }
    return { n, global: global!, globalDim: gd, spatial: spatial!, spatialDim: sd };
  } finally {
    if (wasTraining) model.train();
  }
}

function rowsOf(flat: Float32Array, dim: number, idx: readonly number[]): { data: Float64Array; shape: [number, number] } {
  const data = new Float64Array(idx.length * dim);
  idx.forEach((i, r) => {
    for (let j = 0; j < dim; j++) data[r * dim + j] = flat[i * dim + j]!;
  });
  return { data, shape: [idx.length, dim] };
}

/** One episode's support/query features and labels, for {@link classifyEpisode}. */
export interface EpisodeFeatures {
  /** Support features by kind: rows of `supportLabels`. */
  support: { global: Float32Array; spatial: Float32Array };
  supportLabels: number[];
  query: { global: Float32Array; spatial: Float32Array };
  globalDim: number;
  spatialDim: number;
}

/** Probabilities [Q, K] of one feature kind: logistic regression, or the softmax of ProtoNet logits on L2-normalised rows. */
async function probabilities(kind: 'global' | 'spatial', ep: EpisodeFeatures, config: FewShotEvalConfig): Promise<{ p: Float64Array; classes: number[] }> {
  const dim = kind === 'global' ? ep.globalDim : ep.spatialDim;
  const ns = ep.supportLabels.length;
  const s = rowsOf(ep.support[kind], dim, Array.from({ length: ns }, (_, i) => i));
  const nq = ep.query[kind].length / dim;
  const q = rowsOf(ep.query[kind], dim, Array.from({ length: nq }, (_, i) => i));
  if (config.classifier === 'logreg') {
    const model = fitLogisticRegression(s, ep.supportLabels, { C: config.C, maxIter: config.maxIter });
    return { p: model.predictProba(q), classes: model.classes };
  }
  const norm = (m: { data: Float64Array; shape: [number, number] }) => {
    const out = new Float32Array(m.data.length);
    for (let i = 0; i < m.shape[0]; i++) out.set(normalizeRow(m.data.subarray(i * dim, (i + 1) * dim)), i * dim);
    return out;
  };
  const sT = tf.tensor2d(norm(s), s.shape);
  const qT = tf.tensor2d(norm(q), q.shape);
  const { logits, classes } = protoNetLogits(sT, ep.supportLabels, qT);
  const pT = tf.softmax(logits);
  tf.dispose([sT, qT, logits]);
  const p = Float64Array.from(await readValues(pT, { dispose: true }));
  return { p, classes };
}

/**
 * Classifies one episode's queries (eval/meta_eval.py `meta_test`): a classifier per feature kind, probabilities
 * combined by sum (or max) when both kinds are used, argmax. Returns predicted labels (values of `supportLabels`).
 */
export async function classifyEpisode(ep: EpisodeFeatures, rawConfig: FewShotEvalConfigInput = {}): Promise<Int32Array> {
  const config = validateConfig(FewShotEvalConfigSchema, rawConfig);
  const kinds: ('global' | 'spatial')[] = config.features === 'both' ? ['global', 'spatial'] : [config.features];
  let acc: Float64Array | null = null;
  let classes: number[] = [];
  for (const kind of kinds) {
    const r = await probabilities(kind, ep, config);
    classes = r.classes;
    if (!acc) acc = r.p;
    else for (let i = 0; i < acc.length; i++) acc[i] = config.combine === 'sum' ? acc[i]! + r.p[i]! : Math.max(acc[i]!, r.p[i]!);
  }
  return argmaxRows(acc!, classes.length, classes);
}

/** Result of {@link evaluateFewShot}. */
export interface FewShotResult extends EpisodeAccuracyCI {
  /** Accuracy of each episode, in [0, 1]. */
  accuracies: number[];
  config: FewShotEvalConfig;
}

/**
 * N-way K-shot evaluation on novel classes (eval_fewshot.py): `config.episodes` episodes of `nWay` classes with
 * `kShot` support and `nQuery` query images each; queries use the plain test transform, support images are tiled
 * `nAugSupport` times with augmentation A (when > 1); features are L2-normalised and classified by
 * {@link classifyEpisode}. Returns the mean accuracy ± the 95% Student-t interval.
 *
 * @throws when an episode cannot be drawn (kShot + nQuery larger than the images of enough classes).
 */
export async function evaluateFewShot(model: FeatureExtractor, data: ImageClassificationArrays, rawConfig: FewShotEvalConfigInput = {}, options: { imageSize?: number; cropPadding?: number; features?: ImageFeatures } = {}): Promise<FewShotResult> {
  const config = validateConfig(FewShotEvalConfigSchema, rawConfig);
  const counts = new Map<number, number>();
  for (const y of data.labels) counts.set(y, (counts.get(y) ?? 0) + 1);
  const need = config.kShot + config.nQuery;
  const enough = [...counts.values()].filter((c) => c >= need).length;
  if (enough < config.nWay) {
    const most = Math.max(0, ...counts.values());
    throw new Error(
      `evaluateFewShot: a ${config.nWay}-way ${config.kShot}-shot episode with ${config.nQuery} queries needs ${config.nWay} classes with at least ${need} images each; ` +
        `only ${enough} of ${counts.size} classes have that many (largest class: ${most} images). Lower kShot or nQuery.`,
    );
  }
  const size = options.imageSize ?? data.height;
  const feats = options.features ?? await extractFromImages(model, Array.from({ length: data.n }, (_, i) => plainView(imageAt(data, i), size)));
  const sampler = new EpisodeSampler({ labels: data.labels, nWay: config.nWay, kShot: config.kShot, nQuery: config.nQuery, episodes: config.episodes, seed: config.seed });
  const augRng = new Rng(`scl-eval-aug/${config.seed}`);
  const accuracies: number[] = [];
  for (let e = 0; e < config.episodes; e++) {
    const ep: Episode = sampler.episode(e);
    let support: { global: Float32Array; spatial: Float32Array };
    let supportLabels: number[];
    if (config.nAugSupport > 1) {
      const imgs: HwcImage[] = [];
      supportLabels = [];
      for (let r = 0; r < config.nAugSupport; r++) {
        ep.support.forEach((i, j) => {
          imgs.push(sclViewA(imageAt(data, i), augRng, { size, padding: options.cropPadding ?? 4 }));
          supportLabels.push(ep.supportLabels[j]!);
        });
      }
      const f = await extractFromImages(model, imgs);
      support = { global: f.global, spatial: f.spatial };
    } else {
      support = { global: gatherRows(feats.global, feats.globalDim, ep.support), spatial: gatherRows(feats.spatial, feats.spatialDim, ep.support) };
      supportLabels = ep.supportLabels;
    }
    const query = { global: gatherRows(feats.global, feats.globalDim, ep.query), spatial: gatherRows(feats.spatial, feats.spatialDim, ep.query) };
    const pred = await classifyEpisode({ support, supportLabels, query, globalDim: feats.globalDim, spatialDim: feats.spatialDim }, config);
    let correct = 0;
    pred.forEach((p, i) => (correct += p === ep.queryLabels[i] ? 1 : 0));
    accuracies.push(correct / pred.length);
  }
  return { ...episodeAccuracyCI(accuracies), accuracies, config };
}

async function extractFromImages(model: FeatureExtractor, images: HwcImage[]): Promise<ImageFeatures> {
  const x = stackImages(images);
  try {
    return await extractFeatures(model, x);
  } finally {
    x.dispose();
  }
}

function gatherRows(flat: Float32Array, dim: number, idx: readonly number[]): Float32Array {
  const out = new Float32Array(idx.length * dim);
  idx.forEach((i, r) => out.set(flat.subarray(i * dim, (i + 1) * dim), r * dim));
  return out;
}
