import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import { SGD, polyLr, runMethod, toTensorMap, type Callback, type Rng } from '@lel/core';
import { readSafetensorsFile } from '@lel/core/node';
import { cct, epochBatches, labelledBatches, setSize, type CctModel, type ImageBatch, type LabelledSource, type SegmentationBatch, type StreamingSet, type UnlabelledSource } from '@lel/cct';
import { AnnealingKdConfig, ContinuationKdConfig, KdConfig, NoneConfig, UNLABELLED, distillation, frozenTeacher } from '@lel/distill';
import { readResolvedConfig } from '../config/load';
import { DataConfigError } from '../data/detect';
import type { ImageData } from '../data/image-data';
import { readDataManifest, runLabelMap } from '../data/manifest';
import { SegmentationData } from '../data/sections';
import { streamingPart } from '../data/tensors';
import { bestWeightsFile, loadBest, saveBest } from '../weights';
import { runDataSection, SCENE_DATA_MOVED } from './cct';
import { commonShape } from './common';
import { bnImages, segDataReport, segPartMetrics, segmentationRunData } from './seg-data';
import { DIGIT_SCENE_NAMES, SegInit, SegModel, buildSegNet, buildSegmenter, predictMasks } from './segmentation';
import type { Recipe, RecipeContext } from './types';

/** The teacher: a finished segmentation run (`teacher.run`) on the same classes, or one trained inside this run on the labelled part. */
const Teacher = z
  .object({
    /** A finished cct / cct-supervised / kd / ckd run folder whose best/ weights teach. Absent: train one here. */
    run: z.string().min(1).optional(),
    model: SegModel,
    /** Supervised steps of the in-run teacher on the labelled part (`@lel/cct`'s supervised baseline, batches of `train.batchSize`). */
    steps: z.number().int().min(1).default(40),
    /** Its SGD learning rate (poly decay over `steps`, encoder at the same rate). */
    lr: z.number().positive().default(0.05),
  })
  .strict()
  .prefault({});

/** The student's SGD (poly decay over the planned steps). */
const Optim = z
  .object({
    lr: z.number().positive().default(0.05),
    momentum: z.number().min(0).lt(1).default(0.9),
    weightDecay: z.number().min(0).default(1e-4),
  })
  .strict()
  .prefault({});

/** The training-length keys in the recipe's one `train` section. */
const KdLength = {
  /** Distillation epochs (passes over the transfer set, or the labelled part without one; the temperature / ψ schedules are laid out over them). */
  epochs: z.number().int().min(1).default(20),
  batchSize: z.number().int().min(1).default(4),
  /**
   * Unlabelled images per step (the transfer set, `data.unlabelled` and the labelled source's unlabelled rest): an
   * epoch is a pass over them, each batch joined by `batchSize` labelled images; their rows are UNLABELLED, so only the teacher terms use them. 0: the labelled
   * images only.
   */
  transferBatchSize: z.number().int().min(0).default(8),
};

/**
 * The student's network: SegModel plus its decoder's final ReLU, off by default as in the cct recipes and the
 * teacher — with it, a class whose last pre-activations die never recovers (measured 2026-12-05 on the effect
 * tables' digit scenes: digit 1 at IoU 0 for the no-KD student at 1/8 and at all labels, KD and Continuation-KD, seed 0).
 */
const StudentModel = SegModel.unwrap()
  .extend({ decoderFinalRelu: z.boolean().default(false).describe("the official final ReLU on the student's decoder (default off: dead classes never recover)") })
  .strict()
  .prefault({});

/** The distillation recipes: KD, Continuation-KD, Annealing-KD, and the student without a teacher (their baseline). */
type KdName = 'kd' | 'ckd' | 'akd' | 'student';

/** The `@lel/distill` method of each recipe. */
const METHOD = { kd: 'kd', ckd: 'continuation-kd', akd: 'annealing-kd', student: 'none' } as const;

function distillSection(name: KdName) {
  if (name === 'kd') return KdConfig.prefault({ method: 'kd' });
  if (name === 'ckd') return ContinuationKdConfig.prefault({ method: 'continuation-kd' });
  if (name === 'akd') return AnnealingKdConfig.prefault({ method: 'annealing-kd' });
  return NoneConfig.prefault({ method: 'none' });
}

function schemaFor(name: KdName) {
  return z
    .object({
      ...commonShape(name, KdLength),
      data: SegmentationData,
      /** The (smaller) student. */
      model: StudentModel,
      teacher: Teacher,
      distill: distillSection(name),
      optim: Optim,
    })
    .strict();
}
type Config = z.output<ReturnType<typeof schemaFor>>;

/** A run's label map and input, when it recorded one (`data/`); runs from before data sections have none. */
function recordedLabelMap(runDir: string): ReturnType<typeof runLabelMap> | undefined {
  return readDataManifest(runDir) ? runLabelMap(runDir) : undefined;
}

/**
 * Load the segmenter of a finished segmentation run for inference: its encoder and main decoder (auxiliary
 * decoders are training-only and skipped), with the classes and input channels the run recorded in `data/`. Works
 * for cct, cct-supervised, kd and ckd runs (their `model` section).
 */
export async function loadSegmenterFromRun(runDir: string): Promise<CctModel> {
  const tree = readResolvedConfig(runDir);
  const { decoderFinalRelu: studentRelu, ...modelTree } = (tree.model ?? {}) as Record<string, unknown>;
  const model = SegModel.parse(modelTree);
  const labels = recordedLabelMap(runDir);
  // The decoder as the run trained it: cct / cct-supervised runs train without the official final ReLU
  // (`cct.decoderFinalRelu: false`); rebuilt with it, the teacher's negative logits were clipped to 0. kd-family runs
  // say it in `model.decoderFinalRelu` (runs from before that key were built with the ReLU, the default).
  const finalRelu = (tree.cct as { decoderFinalRelu?: unknown } | undefined)?.decoderFinalRelu ?? studentRelu;
  const net = await buildSegNet(model, SegInit.parse(tree.init ?? {}), { mode: 'supervised', ...(typeof finalRelu === 'boolean' ? { decoderFinalRelu: finalRelu } : {}) }, 0, {
    ...(labels ? { numClasses: labels.classNames.length } : {}),
    ...(labels?.input ? { inChannels: labels.input.channels } : {}),
  });
  const file = bestWeightsFile(runDir);
  if (!fs.existsSync(file)) {
    net.dispose();
    throw new Error(`teacher.run: ${runDir} has no best/model.safetensors (is it a finished segmentation run?)`);
  }
  const all = toTensorMap(await readSafetensorsFile(file));
  try {
    net.loadStateDict(new Map([...all].filter(([k]) => !k.startsWith('auxDecoders.'))));
  } finally {
    tf.dispose([...all.values()]);
  }
  net.eval();
  return net;
}

/**
 * The teacher of `teacher.run`, checked against the student's data: the same label map (the teacher's soft targets
 * are per class) and the same input channels. Errors name the run folder and the difference.
 */
async function teacherFromRun(runDir: string, data: ImageData): Promise<CctModel> {
  const labels = recordedLabelMap(runDir);
  const classes = labels?.classNames ?? DIGIT_SCENE_NAMES;
  const same = classes.length === data.classNames.length && classes.every((c, i) => c === data.classNames[i]);
  if (!same) {
    throw new DataConfigError('teacher.run', `${runDir} was trained on classes [${classes.join(', ')}], the student's data has [${data.classNames.join(', ')}]: distillation needs the same label map (give data.classes, or train the teacher on this data)`);
  }
  const channels = labels?.input?.channels ?? 3;
  if (channels !== data.input.channels) throw new DataConfigError('teacher.run', `${runDir} reads ${channels}-channel images, this run's data.channels is ${data.input.channels}`);
  return loadSegmenterFromRun(runDir);
}

/**
 * Train a supervised teacher on the labelled part in its own run folder `<run>/teacher` (resumable): `@lel/cct`'s
 * supervised baseline through `runMethod`, `teacher.steps` steps of SGD at `teacher.lr` with poly decay, decoder
 * without the final ReLU, batches streamed from the run's data. Returned in eval mode (its BatchNorm statistics are
 * the training ones); undefined when Ctrl-C stopped it.
 */
async function trainTeacher(config: Config, data: ImageData, ctx: RecipeContext): Promise<CctModel | undefined> {
  const nl = data.parts.labelled!.indices.length;
  const bs = config.train.batchSize;
  const epochs = Math.ceil(config.teacher.steps / Math.ceil(nl / bs));
  const teacher = buildSegmenter(
    config.teacher.model,
    // No final ReLU on the decoder (as the cct recipes): the official one clips every negative logit to 0, so the
    // teacher's soft targets would lose their ranking of the unlikely classes.
    { mode: 'supervised', decoderFinalRelu: false, optim: { lr: config.teacher.lr, encoderLrScale: 1 }, train: { epochs, labelledBatchSize: bs, valEvery: 1, earlyStop: 0, seed: config.seed + 1, weakLabels: false } },
    config.seed + 1,
    classesOf(data),
  );
  const dir = path.join(ctx.runDir, 'teacher');
  if (fs.existsSync(bestWeightsFile(dir))) {
    await loadBest(dir, teacher);
    teacher.eval();
    ctx.log(`[kd] reusing the teacher trained in ${dir}`);
    return teacher;
  }
  ctx.log(`[kd] training a supervised teacher (widths ${config.teacher.model.widths.join('/')}) for ${config.teacher.steps} steps on the labelled part`);
  try {
    const hasCk = fs.existsSync(path.join(dir, 'checkpoints', 'last'));
    // No flips (as the student): mirrored digits are other shapes (or no digit at all).
    const r = await runMethod(cct, teacher.config, { model: teacher, labelled: labelledStream(data), augment: null }, {
      runDir: dir,
      ...(ctx.resume !== undefined && hasCk ? { resume: 'last' as const } : {}),
      maxSteps: config.teacher.steps,
      checkpoint: { every: { steps: config.train.checkpointEvery }, keepLast: 1 },
      evaluate: () => segPartMetrics(teacher, data, 'dev'),
      evalEvery: { steps: config.teacher.steps },
      callbacks: ctx.callbacks as Callback<SegmentationBatch>[],
      progress: ctx.progress,
    });
    if (r.result.stopReason === 'interrupted') {
      teacher.dispose();
      return undefined;
    }
    await saveBest(dir, teacher, { recipe: 'kd-teacher', steps: r.result.steps });
    // Training leaves the network in training mode, where BatchNorm would overwrite its running statistics with the
    // batches of the teacher's own evaluation: scored and distilled from in eval mode only.
    teacher.eval();
    return teacher;
  } catch (e) {
    teacher.dispose();
    throw e;
  }
}

/**
 * One distillation epoch over the transfer set: a pass over the unlabelled part in random order, each batch of
 * `transferBatchSize` joined by `batchSize` labelled images (drawn from consecutive passes over them). The unlabelled
 * rows are labelled UNLABELLED: the teacher's soft targets are the student's only signal there. No flips (digits).
 * Either part may be in memory or stream from disk.
 */
export async function* transferBatches(parts: { labelled: LabelledSource; unlabelled: UnlabelledSource }, batchSize: number, transferBatchSize: number, rng: Rng): AsyncGenerator<SegmentationBatch> {
  const count = Math.ceil(setSize(parts.unlabelled) / transferBatchSize);
  const labelled = labelledBatches(parts.labelled, batchSize, count, rng.fork('labelled'), null);
  for await (const u of epochBatches(parts.unlabelled, transferBatchSize, rng.fork('transfer'), null) as AsyncIterable<ImageBatch> | Iterable<ImageBatch>) {
    const l = (await labelled.next()).value as SegmentationBatch;
    const [n, h, w] = u.images.shape;
    const batch = tf.tidy(() => ({
      images: tf.concat([l.images, u.images]) as tf.Tensor4D,
      labels: tf.concat([l.labels, tf.fill([n, h, w], UNLABELLED, 'int32')]) as tf.Tensor3D,
    }));
    tf.dispose([l.images, l.labels, u.images, ...('labels' in u && u.labels instanceof tf.Tensor ? [u.labels] : [])]);
    yield batch;
  }
}

/** Flatten segmentation logits [B, H, W, C] to per-pixel rows [B·H·W, C] (distillation works on class rows). */
const pixelRows = (logits: tf.Tensor4D) => tf.reshape(logits, [-1, logits.shape[3]]);

/** The labelled part as a stream of image + mask batches (a segmentation part always carries masks). */
const labelledStream = (data: ImageData) => streamingPart(data, 'labelled') as StreamingSet<SegmentationBatch>;

/** Classes and input channels of the run's networks, from its data. */
function classesOf(data: ImageData) {
  return { numClasses: data.classNames.length, inChannels: data.input.channels };
}

/** The student network of a run (its `model` section, the run's classes and channels). */
function buildStudent(config: Config, classes: { numClasses: number; inChannels: number }): CctModel {
  const { decoderFinalRelu, ...model } = config.model;
  return buildSegmenter(model, { mode: 'supervised', decoderFinalRelu }, config.seed, classes);
}

/**
 * The run's data: the labelled part (the teacher's training data and the student's labelled rows), the unlabelled
 * part (the transfer set, needed when `train.transferBatchSize` > 0), dev (selection) and test (report).
 */
async function kdRunData(config: Config, runDir: string, log?: (line: string) => void): Promise<ImageData> {
  const data = await segmentationRunData(runDataSection(config.data), { runDir, ...(log ? { log } : {}) });
  if (config.train.transferBatchSize > 0 && !data.parts.unlabelled) {
    throw new DataConfigError(
      'data.unlabelled',
      'the transfer set (train.transferBatchSize > 0) needs unlabelled images: give data.unlabelled (a folder of images, no masks needed), keep only part of data.labelled labelled (fraction / count / perClass), or set train.transferBatchSize=0 to distil on the labelled images only',
    );
  }
  return data;
}

const DESCRIPTIONS: Record<KdName, string> = {
  kd: 'Knowledge distillation (Hinton KD) of a segmentation teacher into a smaller student, per pixel (@lel/distill)',
  ckd: 'Continuation-KD: teacher matching with a growing temperature/ψ schedule and a margin, per pixel (@lel/distill)',
  akd: 'Annealing-KD: stage 1 matches annealed teacher logits, stage 2 trains on the labels from the best stage-1 weights, per pixel (@lel/distill)',
  student: 'Baseline of the KD recipes: the student on the same batches without a teacher (@lel/distill method none: labelled pixels only)',
};

function makeKdRecipe(name: KdName): Recipe<Config> {
  const schema = schemaFor(name);
  return {
    name,
    description: DESCRIPTIONS[name],
    package: '@lel/distill',
    task: 'segmentation',
    schema,
    defaults: {
      // As the cct recipes: the embedded digit scenes with 1/8 of the masks kept, the rest the transfer set; 16 of the
      // 80 scenes carved off as the test part. `data.labelled=./my/folder` (+ `data.unlabelled=./my/raw`) for user data.
      data: { labelled: { source: 'digit-scenes', n: 80, fraction: 0.125 } },
      model: { widths: [8, 16] },
      teacher: { model: { widths: [16, 32] } },
      distill: { method: METHOD[name] },
    },
    moved: { 'optim.epochs': 'moved to train.epochs', 'optim.batchSize': 'moved to train.batchSize', ...SCENE_DATA_MOVED },
    async prepare(config, ctx) {
      const data = await kdRunData(config, ctx.runDir, ctx.log);
      for (const line of data.describe) ctx.log(`[data] ${line}`);
      const student = buildStudent(config, classesOf(data));
      const optimizer = new SGD(student.parameterGroups(), { lr: config.optim.lr, momentum: config.optim.momentum, weightDecay: config.optim.weightDecay });
      // The student recipe (method none) has no teacher: the same student on the same batches, labelled pixels only.
      const needsTeacher = config.distill.method !== 'none';
      let t: CctModel | undefined;
      try {
        if (needsTeacher) t = config.teacher.run ? await teacherFromRun(config.teacher.run, data) : await trainTeacher(config, data, ctx);
      } catch (e) {
        optimizer.dispose();
        student.dispose();
        throw e;
      }
      if (needsTeacher && !t) {
        optimizer.dispose();
        student.dispose();
        return { interrupted: 0 };
      }
      const teacherNet = t;
      const teacherMiou = teacherNet ? (await segPartMetrics(teacherNet, data, 'dev')).miou! : undefined;
      if (teacherNet) ctx.log(`[kd] teacher mIoU ${teacherMiou!.toFixed(4)} (${teacherNet.countParameters().all.toLocaleString('en-US')} parameters) → student ${student.countParameters().all.toLocaleString('en-US')} parameters`);
      const { batchSize, transferBatchSize } = config.train;
      // The labelled and unlabelled parts stream from disk in batches (decoded a few batches ahead).
      const parts = { labelled: labelledStream(data), ...(transferBatchSize > 0 ? { unlabelled: streamingPart(data, 'unlabelled', { withLabels: false }) } : {}) };
      const stepsPerEpoch = parts.unlabelled ? Math.ceil(parts.unlabelled.size / transferBatchSize) : Math.ceil(parts.labelled.size / batchSize);
      const bn = config.swa.enabled ? await bnImages(data) : undefined;
      return {
        method: distillation,
        // Annealing-KD's stage 2 starts from the best stage-1 weights by the recipe's metric.
        config: { ...config.distill, epochs: config.train.epochs, seed: config.seed, ...(config.distill.method === 'annealing-kd' ? { stage1Selection: { metric: 'miou', mode: 'max' as const } } : {}) },
        data: {
          student,
          // The teacher only gives logits: it is neither trained nor checkpointed.
          ...(teacherNet ? { teacher: frozenTeacher<CctModel, SegmentationBatch>(teacherNet, (m, b) => pixelRows(m.forward(b.images)), { numClasses: data.classNames.length }) } : {}),
          studentLogits: (s: unknown, b: SegmentationBatch) => pixelRows((s as CctModel).forward(b.images)),
          // Ignored pixels (255: VOC's object borders) have no ground truth but a teacher: they count as UNLABELLED rows.
          labels: (b: SegmentationBatch) => tf.tidy(() => {
            const y = tf.reshape(b.labels, [-1]);
            return tf.where(tf.equal(y, 255), tf.fill(y.shape, UNLABELLED, 'int32'), y);
          }),
          // The unlabelled part is the transfer set; no flips (mirrored digits are other shapes).
          data: {
            labeled: (_e: number, rng: Rng) =>
              parts.unlabelled ? transferBatches({ labelled: parts.labelled, unlabelled: parts.unlabelled }, batchSize, transferBatchSize, rng) : epochBatches(parts.labelled, batchSize, rng, null),
          },
          optimizer,
          schedule: polyLr({ baseLr: config.optim.lr, maxIter: stepsPerEpoch * config.train.epochs, power: 0.9 }),
          stepsPerEpoch,
          batchSize: (b: SegmentationBatch) => b.images.shape[0],
        },
        evaluate: (m) => segPartMetrics(m as CctModel, data, 'dev'),
        bestMetric: 'miou',
        ...(bn ? { swaBnData: () => [bn] } : {}),
        report: (m) => segDataReport(m as CctModel, data, ctx.runDir),
        finish: () => ({
          metrics: (teacherMiou !== undefined ? { teacher_miou: teacherMiou } : {}) as Record<string, number>,
          info: (teacherNet ? { teacher: config.teacher.run ?? path.join(ctx.runDir, 'teacher') } : {}) as Record<string, string>,
          notes: [
            teacherNet ? `teacher ${teacherNet.countParameters().all.toLocaleString('en-US')} parameters, student ${student.countParameters().all.toLocaleString('en-US')}` : `no teacher; student ${student.countParameters().all.toLocaleString('en-US')} parameters`,
            `method ${config.distill.method}`,
            parts.unlabelled ? `transfer set: ${parts.unlabelled.size} unlabelled images` : 'no transfer set (labelled images only)',
          ],
        }),
        models: teacherNet ? [student, teacherNet] : [student],
        dispose: () => bn?.dispose(),
      };
    },
    async evaluate(config, runDir) {
      // The run's own split and label map (data/split.json), re-opened from the same sources.
      const data = await kdRunData(config, runDir);
      const model = buildStudent(config, classesOf(data));
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
      const channels = input?.channels ?? 3;
      const model = buildStudent(config, { numClasses: classNames.length, inChannels: channels });
      try {
        await loadBest(request.runDir, model);
        model.eval();
        return await predictMasks(model, model.config.upscale, request, classNames, channels);
      } finally {
        model.dispose();
      }
    },
  };
}

export const kdRecipe = makeKdRecipe('kd');
export const ckdRecipe = makeKdRecipe('ckd');
export const akdRecipe = makeKdRecipe('akd');
export const studentRecipe = makeKdRecipe('student');
