import * as tf from '@tensorflow/tfjs-core';
import { batches, crossEntropy, defineMethod, EpisodeSampler, requireNodeHost, Rng, runMethod, SGD, toTensorMap } from '@lel/core';
import type { FitResult, LossParts, LrScheduleLike, MethodRunOptions } from '@lel/core';
import type { ImageClassificationArrays } from './data';
import { imageAt, sclViewA, stackImages, twoViewBatch } from './augment';
import { SclConfigSchema, SclDistillConfigSchema } from './config';
import type { SclConfig, SclConfigInput, SclDistillConfig, SclDistillConfigInput } from './config';
import { featureDistance, klDistillation } from './distill-loss';
import { sclLoss } from './loss';
import { SclModel } from './model';

/**
 * SCL's step decay (train_contrastive.py `adjust_learning_rate`, called at the start of each 1-based epoch e):
 * lr = baseLr · rate^{#milestones < e}, i.e. ×rate once the epoch passes each milestone.
 */
export function multiStepEpochLr(options: { baseLr: number; milestones: readonly number[]; rate: number; stepsPerEpoch: number }): LrScheduleLike {
  const { baseLr, milestones, rate, stepsPerEpoch } = options;
  if (!(baseLr >= 0)) throw new Error(`multiStepEpochLr: baseLr must be >= 0, got ${baseLr}`);
  if (!Number.isInteger(stepsPerEpoch) || stepsPerEpoch < 1) throw new Error(`multiStepEpochLr: stepsPerEpoch must be a positive integer, got ${stepsPerEpoch}`);
  return {
    lrAt(step: number) {
      const epoch1 = Math.floor(step / stepsPerEpoch) + 1;
      return baseLr * rate ** milestones.filter((m) => epoch1 > m).length;
    },
  };
}

/**
 * Options of the training recipes besides the config: the run options of `@lel/core`'s `runMethod` (run folder,
 * `progress` (default `'none'`), `maxSteps` (a time budget; the schedule still follows `epochs`), `logEvery`,
 * `resume`, `callbacks`, `evaluate` / `evalEvery`, `checkpoint`, and `config` — the config saved and hashed, when an
 * app embeds SCL's in a larger one). Resume restores weights, BatchNorm statistics, momentum buffers, step, data
 * position, the run's generators and the ResNet-12's dropout / DropBlock generator and batch counter, so the run
 * continues bit-exactly on the same backend (any `dropRate`).
 */
export type SclTrainOptions = MethodRunOptions;

/** A trained model with its fit result and resolved config. */
export interface SclTrainResult<C> {
  model: SclModel;
  result: FitResult;
  config: C;
}

function checkData(fn: string, data: ImageClassificationArrays): void {
  if (data.labels.length !== data.n) throw new Error(`${fn}: data has ${data.labels.length} labels for ${data.n} images`);
  if (data.n < 2) throw new Error(`${fn}: data needs at least 2 images, got ${data.n}`);
}

/** Index batches of one epoch: shuffled full batches, or episodes (class-major) when `episode` is set. */
function epochBatches(data: ImageClassificationArrays, config: Pick<SclConfig, 'batchSize' | 'episode'>, epoch: number, rng: Rng): number[][] {
  if (config.episode) {
    const ep = config.episode;
    const per = ep.nWay * (ep.kShot + ep.nQuery);
    const sampler = new EpisodeSampler({ labels: data.labels, nWay: ep.nWay, kShot: ep.kShot, nQuery: ep.nQuery, episodes: Math.max(1, Math.floor(data.n / per)), seed: `${rng.int(2 ** 31)}/${epoch}` });
    return [...sampler].map((e) => {
      const out: number[] = [];
      for (let j = 0; j < ep.nWay; j++) out.push(...e.support.slice(j * ep.kShot, (j + 1) * ep.kShot), ...e.query.slice(j * ep.nQuery, (j + 1) * ep.nQuery));
      return out;
    });
  }
  const bs = Math.min(config.batchSize, data.n);
  return [...batches(Array.from({ length: data.n }, (_, i) => i), bs, rng, { dropLast: true })];
}

function newModel(config: Pick<SclConfig, 'channels' | 'dropRate' | 'dropBlockSize'>, numClasses: number, inChannels: number, extra: Partial<ConstructorParameters<typeof SclModel>[0]>, seed: string): SclModel {
  return new SclModel({ numClasses, inChannels, channels: config.channels, dropRate: config.dropRate, dropBlockSize: config.dropBlockSize, ...extra, rng: new Rng(seed) });
}

/**
 * SCL pre-training (train_contrastive.py) as a method: a ResNet-12 with a base-class classifier on the merged base
 * classes, two views per image, λ_cls·CE + λ_sp·SC + λ_gl·GC (+ the optional ProtoNet episodic term), SGD with
 * momentum, weight decay and SCL's step decay. The data holds the base classes (labels 0..numClasses−1).
 */
export const scl = defineMethod({
  name: 'scl',
  description: 'spatial contrastive learning for few-shot classification: CE + spatial and global contrastive terms on two views',
  configSchema: SclConfigSchema,
  build(config, data: ImageClassificationArrays) {
    checkData('scl', data);
    const stepsPerEpoch = epochBatches(data, config, 0, new Rng(0)).length;
    if (stepsPerEpoch === 0) throw new Error(`scl: ${data.n} images make no full batch of ${config.batchSize}`);
    const model = newModel(config, data.classNames.length, data.channels, { featDim: config.featDim, projection: config.globalContLoss, attention: config.spatialContLoss, aggregation: config.aggregation }, `scl-init/${config.seed}`);
    const view = { size: config.imageSize, padding: config.cropPadding };
    return {
      model,
      optimizers: new SGD(model.trainableParameters(), { lr: config.lr, momentum: config.momentum, weightDecay: config.weightDecay }),
      schedule: multiStepEpochLr({ baseLr: config.lr, milestones: config.lrMilestones, rate: config.lrDecayRate, stepsPerEpoch }),
      epochs: config.epochs,
      stepsPerEpoch,
      seed: config.seed,
      ...(config.gradClipNorm ? { gradClipNorm: config.gradClipNorm } : {}),
      // Augmentation draws come from a per-epoch generator, so an epoch is a pure function of (seed, epoch) and a
      // resumed run replays it exactly.
      data: {
        labeled: function* (epoch: number, rng: Rng) {
          const augRng = new Rng(`scl-aug/${config.seed}/${epoch}`);
          for (const idx of epochBatches(data, config, epoch, rng)) yield twoViewBatch(data, idx, augRng, view);
        },
      },
      batchSize: (b: { y: tf.Tensor }) => b.y.shape[0]!,
      loss: (batch: { x: tf.Tensor; y: tf.Tensor }) => sclLoss(model, batch.x, batch.y, config) as LossParts,
      cleanup: ({ failed }: { failed: boolean }) => {
        // The caller never gets the model of a failed run.
        if (failed) model.dispose();
      },
    };
  },
});

/** SCL pre-training: `runMethod(scl, config, data, options)` (progress off by default). */
export async function trainScl(data: ImageClassificationArrays, rawConfig: SclConfigInput = {}, options: SclTrainOptions = {}): Promise<SclTrainResult<SclConfig>> {
  const r = await runMethod(scl, rawConfig, data, { progress: 'none', ...options });
  return { model: r.model, result: r.result, config: r.config };
}

/** The SCL distillation objective by named part. */
export type SclDistillLossParts = { total: tf.Scalar; ce?: tf.Scalar; kd?: tf.Scalar; global?: tf.Scalar; spatial?: tf.Scalar };

/**
 * SCL's distillation objective (train_distillation.py): λ_cls·CE + λ_KD·KL_T(teacher ‖ student) + λ_g·D(pooled
 * features) + λ_s·D(layer-4 maps, per location), with the teacher in eval mode and treated as a constant.
 */
export function sclDistillLoss(
  student: SclModel,
  teacher: SclModel,
  x: tf.Tensor,
  labels: tf.Tensor,
  options: Pick<SclDistillConfig, 'lambdaCls' | 'lambdaKD' | 'lambdaGlobal' | 'lambdaSpatial' | 'temperature'>,
): SclDistillLossParts {
  if (teacher.training) throw new Error('sclDistillLoss: the teacher must be in eval mode (call teacher.eval())');
  return tf.tidy('sclDistillLoss', () => {
    const s = student.forward(x);
    const t = teacher.forward(x);
    const parts: Omit<SclDistillLossParts, 'total'> = {};
    let total: tf.Tensor = tf.scalar(0);
    const add = (name: 'ce' | 'kd' | 'global' | 'spatial', weight: number, f: () => tf.Scalar) => {
      if (weight <= 0) return;
      parts[name] = f();
      total = tf.add(total, tf.mul(parts[name]!, weight));
    };
    add('ce', options.lambdaCls, () => crossEntropy(s.logits, labels) as tf.Scalar);
    add('kd', options.lambdaKD, () => klDistillation(s.logits, t.logits, options.temperature));
    add('global', options.lambdaGlobal, () => featureDistance(s.features, t.features));
    add('spatial', options.lambdaSpatial, () => featureDistance(s.featureMap, t.featureMap));
    return { total: total as tf.Scalar, ...parts };
  }) as SclDistillLossParts;
}

/** The data of {@link sclDistill}: the base classes and the frozen teacher (not trained, not checkpointed). */
export interface SclDistillData {
  data: ImageClassificationArrays;
  teacher: SclModel;
}

/**
 * SCL distillation (train_distillation.py) as a method: a student of the same architecture, trained from scratch on
 * the base classes (single view, augmentation A) from the frozen teacher, which is put in eval mode.
 */
export const sclDistill = defineMethod({
  name: 'scl-distill',
  description: "SCL's self-distillation: a student trained from a frozen teacher (CE + KD + feature distances)",
  configSchema: SclDistillConfigSchema,
  build(config, { data, teacher }: SclDistillData) {
    checkData('scl-distill', data);
    const numClasses = data.classNames.length;
    if (teacher.options.numClasses !== numClasses) throw new Error(`scl-distill: the teacher has ${teacher.options.numClasses} classes, data has ${numClasses}`);
    teacher.eval();
    const student = newModel(config, numClasses, data.channels, { projection: false, attention: false }, `scl-student-init/${config.seed}`);
    const view = { size: config.imageSize, padding: config.cropPadding };
    const bs = Math.min(config.batchSize, data.n);
    const stepsPerEpoch = Math.floor(data.n / bs);
    return {
      model: student,
      optimizers: new SGD(student.trainableParameters(), { lr: config.lr, momentum: config.momentum, weightDecay: config.weightDecay }),
      schedule: multiStepEpochLr({ baseLr: config.lr, milestones: config.lrMilestones, rate: config.lrDecayRate, stepsPerEpoch }),
      epochs: config.epochs,
      stepsPerEpoch,
      seed: config.seed,
      data: {
        labeled: function* (epoch: number, rng: Rng) {
          const augRng = new Rng(`scl-distill-aug/${config.seed}/${epoch}`);
          for (const idx of batches(Array.from({ length: data.n }, (_, i) => i), bs, rng, { dropLast: true })) {
            const x = stackImages(idx.map((i) => sclViewA(imageAt(data, i), augRng, view)));
            yield { x, y: tf.tensor1d(Int32Array.from(idx, (i) => data.labels[i]!), 'int32') };
          }
        },
      },
      batchSize: (b: { y: tf.Tensor }) => b.y.shape[0]!,
      loss: (batch: { x: tf.Tensor; y: tf.Tensor }) => sclDistillLoss(student, teacher, batch.x, batch.y, config) as LossParts,
      cleanup: ({ failed }: { failed: boolean }) => {
        if (failed) student.dispose();
      },
    };
  },
});

/** SCL distillation: `runMethod(sclDistill, config, { data, teacher }, options)` (progress off by default). */
export async function trainSclDistill(
  data: ImageClassificationArrays,
  teacher: SclModel,
  rawConfig: SclDistillConfigInput = {},
  options: SclTrainOptions = {},
): Promise<SclTrainResult<SclDistillConfig>> {
  const r = await runMethod(sclDistill, rawConfig, { data, teacher }, { progress: 'none', ...options });
  return { model: r.model, result: r.result, config: r.config };
}

/**
 * Saves a model's weights (and BN statistics) as safetensors, with the options needed to rebuild it in the
 * metadata. The official repository lost its trained weights (issue #3); these files are what it lacked.
 */
export async function saveSclWeights(model: SclModel, path: string, metadata: Record<string, string> = {}): Promise<void> {
  const { rng: _rng, ...opts } = model.options;
  await requireNodeHost('saveSclWeights').writeSafetensorsFile(path, model.stateDict(), { format: 'lel-scl', options: JSON.stringify(opts), ...metadata });
}

/** Rebuilds a model saved by {@link saveSclWeights} (strict: every tensor must match). */
export async function loadSclWeights(path: string): Promise<SclModel> {
  const parsed = await requireNodeHost('loadSclWeights').readSafetensorsFile(path);
  const raw = parsed.metadata?.options;
  if (!raw) throw new Error(`loadSclWeights: ${path} has no "options" metadata (not written by saveSclWeights)`);
  const model = new SclModel(JSON.parse(raw));
  const tensors = toTensorMap(parsed);
  try {
    model.loadStateDict(tensors);
  } catch (e) {
    model.dispose();
    throw e;
  } finally {
    tf.dispose([...tensors.values()]);
  }
  return model;
}
