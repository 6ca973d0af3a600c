import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import { SGD, polyLr, runMethod, toTensorMap, type Callback, type Rng } from '@lel/core';
import { readSafetensorsFile } from '@lel/core/node';
import { cct, epochBatches, labelledBatches, type CctModel, type SegmentationBatch } from '@lel/cct';
import { ContinuationKdConfig, KdConfig, UNLABELLED, distillation, frozenTeacher } from '@lel/distill';
import { readResolvedConfig } from '../config/load';
import { bestWeightsFile, loadBest, saveBest } from '../weights';
import { commonShape } from './common';
import { DIGIT_SCENE_CLASSES, SegData, SegInit, SegModel, buildSegNet, buildSegmenter, disposeSegSets, evaluateSegmenter, predictMasks, segEvalResult, segmentationSets, type SegSets } from './segmentation';
import type { Recipe, RecipeContext } from './types';

/** The teacher: a finished segmentation run (`teacher.run`), or one trained inside this run on the labelled scenes. */
const Teacher = z
  .object({
    /** A finished cct / cct-supervised / kd / ckd run folder whose best/ weights teach. Absent: train one here. */
    run: z.string().min(1).optional(),
    model: SegModel,
    /** Supervised steps of the in-run teacher (`@lel/cct`'s supervised baseline, batches of `train.batchSize`). */
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
  /** Distillation epochs over the labelled scenes (the temperature / ψ schedules are laid out over them). */
  epochs: z.number().int().min(1).default(20),
  batchSize: z.number().int().min(1).default(4),
  /**
   * Unlabelled scenes per step (the transfer set): an epoch is a pass over them, each batch joined by `batchSize`
   * labelled scenes; their rows are UNLABELLED, so only the teacher terms use them. 0: the labelled scenes only.
   */
  transferBatchSize: z.number().int().min(0).default(8),
};

function schemaFor(name: 'kd' | 'ckd') {
  return z
    .object({
      ...commonShape(name, KdLength),
      data: SegData,
      /** The (smaller) student. */
      model: SegModel,
      teacher: Teacher,
      distill: name === 'kd' ? KdConfig.prefault({ method: 'kd' }) : ContinuationKdConfig.prefault({ method: 'continuation-kd' }),
      optim: Optim,
    })
    .strict();
}
type Config = z.output<ReturnType<typeof schemaFor>>;

/**
 * Load the segmenter of a finished segmentation run for inference: its encoder and main decoder (auxiliary
 * decoders are training-only and skipped). Works for cct, cct-supervised, kd and ckd runs (their `model` section).
 */
export async function loadSegmenterFromRun(runDir: string): Promise<CctModel> {
  const tree = readResolvedConfig(runDir);
  const model = SegModel.parse(tree.model ?? {});
  // The decoder as the run trained it: cct / cct-supervised runs train without the official final ReLU
  // (`cct.decoderFinalRelu: false`); rebuilt with it, the teacher's negative logits were clipped to 0. kd / ckd runs
  // have no `cct` section and keep the default (their students are built with it).
  const finalRelu = (tree.cct as { decoderFinalRelu?: unknown } | undefined)?.decoderFinalRelu;
  const net = await buildSegNet(model, SegInit.parse(tree.init ?? {}), { mode: 'supervised', ...(typeof finalRelu === 'boolean' ? { decoderFinalRelu: finalRelu } : {}) }, 0);
  const file = bestWeightsFile(runDir);
  if (!fs.existsSync(file)) throw new Error(`teacher.run: ${runDir} has no best/model.safetensors (is it a finished segmentation run?)`);
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
 * Train a supervised teacher on the labelled scenes in its own run folder `<run>/teacher` (resumable): `@lel/cct`'s
 * supervised baseline through `runMethod`, `teacher.steps` steps of SGD at `teacher.lr` with poly decay, decoder
 * without the final ReLU. Returned in eval mode (its BatchNorm statistics are the training ones); undefined when
 * Ctrl-C stopped it.
 */
async function trainTeacher(config: Config, sets: SegSets, ctx: RecipeContext): Promise<CctModel | undefined> {
  const nl = sets.labelled.images.shape[0];
  const bs = config.train.batchSize;
  const epochs = Math.ceil(config.teacher.steps / Math.ceil(nl / bs));
  const teacher = buildSegmenter(
    config.teacher.model,
    // No final ReLU on the decoder (as the cct recipes): the official one clips every negative logit to 0, so the
    // teacher's soft targets would lose their ranking of the unlikely classes.
    { mode: 'supervised', decoderFinalRelu: false, optim: { lr: config.teacher.lr, encoderLrScale: 1 }, train: { epochs, labelledBatchSize: bs, valEvery: 1, earlyStop: 0, seed: config.seed + 1, weakLabels: false } },
    config.seed + 1,
  );
  const dir = path.join(ctx.runDir, 'teacher');
  if (fs.existsSync(bestWeightsFile(dir))) {
    await loadBest(dir, teacher);
    teacher.eval();
    ctx.log(`[kd] reusing the teacher trained in ${dir}`);
    return teacher;
  }
  ctx.log(`[kd] training a supervised teacher (widths ${config.teacher.model.widths.join('/')}) for ${config.teacher.steps} steps on the labelled scenes`);
  try {
    const hasCk = fs.existsSync(path.join(dir, 'checkpoints', 'last'));
    // No flips: mirrored digits are other shapes (or no digit at all).
    const r = await runMethod(cct, teacher.config, { model: teacher, labelled: sets.labelled, augment: null }, {
      runDir: dir,
      ...(ctx.resume !== undefined && hasCk ? { resume: 'last' as const } : {}),
      maxSteps: config.teacher.steps,
      checkpoint: { every: { steps: config.train.checkpointEvery }, keepLast: 1 },
      evaluate: () => evaluateSegmenter(teacher, sets.val, DIGIT_SCENE_CLASSES).metrics,
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
 * One distillation epoch over the transfer set: a pass over the unlabelled scenes in random order, each batch of
 * `transferBatchSize` joined by `batchSize` labelled scenes (drawn from consecutive passes over them). The unlabelled
 * rows are labelled UNLABELLED: the teacher's soft targets are the student's only signal there. No flips (digits).
 */
export function* transferBatches(sets: Pick<SegSets, 'labelled' | 'unlabelled'>, batchSize: number, transferBatchSize: number, rng: Rng): Generator<SegmentationBatch> {
  const count = Math.ceil(sets.unlabelled.images.shape[0] / transferBatchSize);
  const labelled = labelledBatches(sets.labelled, batchSize, count, rng.fork('labelled'), null) as Generator<SegmentationBatch>;
  for (const u of epochBatches(sets.unlabelled, transferBatchSize, rng.fork('transfer'), null)) {
    const l = labelled.next().value!;
    const batch = tf.tidy(() => ({
      images: tf.concat([l.images, u.images]) as tf.Tensor4D,
      labels: tf.concat([l.labels, tf.fill(u.labels.shape, UNLABELLED, 'int32')]) as tf.Tensor3D,
    }));
    tf.dispose([l.images, l.labels, u.images, u.labels]);
    yield batch;
  }
}

/** Flatten segmentation logits [B, H, W, C] to per-pixel rows [B·H·W, C] (distillation works on class rows). */
const pixelRows = (logits: tf.Tensor4D) => tf.reshape(logits, [-1, logits.shape[3]]);

function makeKdRecipe(name: 'kd' | 'ckd'): Recipe<Config> {
  const schema = schemaFor(name);
  return {
    name,
    description:
      name === 'kd'
        ? 'Knowledge distillation (Hinton KD) of a segmentation teacher into a smaller student, per pixel (@lel/distill)'
        : 'Continuation-KD: teacher matching with a growing temperature/ψ schedule and a margin, per pixel (@lel/distill)',
    package: '@lel/distill',
    task: 'segmentation',
    schema,
    defaults: { model: { widths: [8, 16] }, teacher: { model: { widths: [16, 32] } }, distill: { method: name === 'kd' ? 'kd' : 'continuation-kd' } },
    moved: { 'optim.epochs': 'moved to train.epochs', 'optim.batchSize': 'moved to train.batchSize' },
    async prepare(config, ctx) {
      const sets = segmentationSets(config.data);
      ctx.log(`[data] ${sets.describe}`);
      const student = buildSegmenter(config.model, { mode: 'supervised' }, config.seed);
      const optimizer = new SGD(student.parameterGroups(), { lr: config.optim.lr, momentum: config.optim.momentum, weightDecay: config.optim.weightDecay });
      let t: CctModel | undefined;
      try {
        t = config.teacher.run ? await loadSegmenterFromRun(config.teacher.run) : await trainTeacher(config, sets, ctx);
      } catch (e) {
        optimizer.dispose();
        student.dispose();
        disposeSegSets(sets);
        throw e;
      }
      if (!t) {
        optimizer.dispose();
        student.dispose();
        disposeSegSets(sets);
        return { interrupted: 0 };
      }
      const teacherNet = t;
      const teacherMiou = evaluateSegmenter(teacherNet, sets.val, DIGIT_SCENE_CLASSES).metrics.miou!;
      ctx.log(`[kd] teacher mIoU ${teacherMiou.toFixed(4)} (${teacherNet.countParameters().all.toLocaleString('en-US')} parameters) → student ${student.countParameters().all.toLocaleString('en-US')} parameters`);
      const { batchSize, transferBatchSize } = config.train;
      const stepsPerEpoch = transferBatchSize > 0 ? Math.ceil(sets.unlabelled.images.shape[0] / transferBatchSize) : Math.ceil(sets.labelled.images.shape[0] / batchSize);
      return {
        method: distillation,
        config: { ...config.distill, epochs: config.train.epochs, seed: config.seed },
        data: {
          student,
          // The teacher only gives logits: it is neither trained nor checkpointed.
          teacher: frozenTeacher<CctModel, SegmentationBatch>(teacherNet, (m, b) => pixelRows(m.forward(b.images)), { numClasses: DIGIT_SCENE_CLASSES }),
          studentLogits: (s: unknown, b: SegmentationBatch) => pixelRows((s as CctModel).forward(b.images)),
          labels: (b: SegmentationBatch) => tf.reshape(b.labels, [-1]),
          // The unlabelled scenes are the transfer set; no flips (mirrored digits are other shapes).
          data: { labeled: (_e: number, rng: Rng) => (transferBatchSize > 0 ? transferBatches(sets, batchSize, transferBatchSize, rng) : epochBatches(sets.labelled, batchSize, rng, null)) },
          optimizer,
          schedule: polyLr({ baseLr: config.optim.lr, maxIter: stepsPerEpoch * config.train.epochs, power: 0.9 }),
          stepsPerEpoch,
          batchSize: (b: SegmentationBatch) => b.images.shape[0],
        },
        evaluate: (m) => evaluateSegmenter(m as CctModel, sets.val, DIGIT_SCENE_CLASSES).metrics,
        bestMetric: 'miou',
        swaBnData: () => [sets.unlabelled.images],
        report: (m) => segEvalResult(m as CctModel, sets, ctx.runDir),
        finish: () => ({
          metrics: { teacher_miou: teacherMiou },
          info: { teacher: config.teacher.run ?? path.join(ctx.runDir, 'teacher') },
          notes: [
            `teacher ${teacherNet.countParameters().all.toLocaleString('en-US')} parameters, student ${student.countParameters().all.toLocaleString('en-US')}`,
            `method ${config.distill.method}`,
            transferBatchSize > 0 ? `transfer set: ${sets.unlabelled.images.shape[0]} unlabelled scenes` : 'no transfer set (labelled scenes only)',
          ],
        }),
        models: [student, teacherNet],
        dispose: () => disposeSegSets(sets),
      };
    },
    async evaluate(config, runDir) {
      const sets = segmentationSets(config.data);
      const model = buildSegmenter(config.model, { mode: 'supervised' }, config.seed);
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
      const model = buildSegmenter(config.model, { mode: 'supervised' }, config.seed);
      try {
        await loadBest(request.runDir, model);
        model.eval();
        return predictMasks(model, config.data.size, 2 ** config.model.widths.length, request, ['background', ...Array.from({ length: 10 }, (_, i) => String(i))]);
      } finally {
        model.dispose();
      }
    },
  };
}

export const kdRecipe = makeKdRecipe('kd');
export const ckdRecipe = makeKdRecipe('ckd');

