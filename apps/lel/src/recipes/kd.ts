import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import { SGD, fit, polyLr, readSafetensorsFile, toTensorMap, type Callback, type Module } from '@lel/core';
import { epochBatches, randomHorizontalFlip, type CctModel, type SegmentationBatch } from '@lel/cct';
import { ContinuationKdConfig, KdConfig, distill, frozenTeacher } from '@lel/distill';
import { readResolvedConfig } from '../config/load';
import { bestWeightsFile, loadBest, saveBest } from '../weights';
import { keepWeights } from './cct';
import { commonShape, interruptedRun, loopOptions } from './common';
import { DIGIT_SCENE_CLASSES, SegData, SegInit, SegModel, buildSegNet, buildSegmenter, disposeSegSets, evaluateSegmenter, predictMasks, segEvalResult, segmentationSets, type SegSets } from './segmentation';
import { swaCallback } from './swa';
import type { Recipe } from './types';

/** The teacher: a finished segmentation run (`teacher.run`), or one trained inside this run on the labelled scenes. */
const Teacher = z
  .object({
    /** A finished cct / cct-supervised / kd / ckd run folder whose best/ weights teach. Absent: train one here. */
    run: z.string().min(1).optional(),
    model: SegModel,
    /** Supervised steps of the in-run teacher. */
    steps: z.number().int().min(1).default(40),
    lr: z.number().positive().default(0.05),
  })
  .strict()
  .prefault({});

const Optim = z
  .object({
    lr: z.number().positive().default(0.05),
    momentum: z.number().min(0).lt(1).default(0.9),
    weightDecay: z.number().min(0).default(1e-4),
    batchSize: z.number().int().min(1).default(4),
    /** Distillation epochs over the labelled scenes (the temperature / ψ schedules are laid out over them). */
    epochs: z.number().int().min(1).default(20),
  })
  .strict()
  .prefault({});

function schemaFor(name: 'kd' | 'ckd') {
  return z
    .object({
      ...commonShape(name),
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

/** Train a supervised teacher on the labelled scenes (its own run folder `<run>/teacher`, resumable). */
async function trainTeacher(config: Config, sets: SegSets, runDir: string, resume: string | undefined, callbacks: Callback<never>[], progress: import('@lel/core').ProgressMode, log: (l: string) => void): Promise<CctModel> {
  const teacher = buildSegmenter(config.teacher.model, { mode: 'supervised' }, config.seed + 1);
  const dir = path.join(runDir, 'teacher');
  if (fs.existsSync(bestWeightsFile(dir))) {
    await loadBest(dir, teacher);
    log(`[kd] reusing the teacher trained in ${dir}`);
    return teacher;
  }
  log(`[kd] training a supervised teacher (widths ${config.teacher.model.widths.join('/')}) for ${config.teacher.steps} steps on the labelled scenes`);
  const optimizer = new SGD(teacher.parameterGroups(), { lr: config.teacher.lr, momentum: 0.9, weightDecay: 1e-4 });
  try {
    const hasCk = fs.existsSync(path.join(dir, 'checkpoints', 'last'));
    const r = await fit<SegmentationBatch>({
      model: teacher,
      optimizer,
      schedule: polyLr({ baseLr: config.teacher.lr, maxIter: config.teacher.steps, power: 0.9 }),
      step: (b) => ({ total: tf.tidy(() => tf.losses.softmaxCrossEntropy(tf.oneHot(tf.reshape(b.labels, [-1]), DIGIT_SCENE_CLASSES), tf.reshape(teacher.forward(b.images), [-1, DIGIT_SCENE_CLASSES]))) as tf.Scalar }),
      data: { labeled: (_e, rng) => epochBatches(sets.labelled, config.optim.batchSize, rng, randomHorizontalFlip) },
      maxSteps: config.teacher.steps,
      seed: config.seed + 1,
      runDir: dir,
      ...(resume !== undefined && hasCk ? { resume: 'last' } : {}),
      checkpoint: { every: { steps: config.train.checkpointEvery }, keepLast: 1 },
      evaluate: () => evaluateSegmenter(teacher, sets.val, DIGIT_SCENE_CLASSES).metrics,
      evalEvery: { steps: config.teacher.steps },
      callbacks: callbacks as Callback<SegmentationBatch>[],
      progress,
    });
    if (r.stopReason === 'interrupted') throw new TeacherInterrupted(r.steps);
    await saveBest(dir, teacher, { recipe: 'kd-teacher', steps: r.steps });
  } finally {
    optimizer.dispose();
  }
  return teacher;
}

class TeacherInterrupted extends Error {
  constructor(readonly steps: number) {
    super('teacher training interrupted');
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
    async run(config, ctx) {
      const sets = segmentationSets(config.data);
      ctx.log(`[data] ${sets.describe}`);
      let teacherNet: CctModel | undefined;
      const student = buildSegmenter(config.model, { mode: 'supervised' }, config.seed);
      const optimizer = new SGD(student.parameterGroups(), { lr: config.optim.lr, momentum: config.optim.momentum, weightDecay: config.optim.weightDecay });
      try {
        try {
          teacherNet = config.teacher.run ? await loadSegmenterFromRun(config.teacher.run) : await trainTeacher(config, sets, ctx.runDir, ctx.resume, ctx.callbacks, ctx.progress, ctx.log);
        } catch (e) {
          if (e instanceof TeacherInterrupted) return interruptedRun(e);
          throw e;
        }
        const t = teacherNet;
        const teacherMiou = evaluateSegmenter(t, sets.val, DIGIT_SCENE_CLASSES).metrics.miou!;
        ctx.log(`[kd] teacher mIoU ${teacherMiou.toFixed(4)} (${t.countParameters().all.toLocaleString('en-US')} parameters) → student ${student.countParameters().all.toLocaleString('en-US')} parameters`);
        const teacher = frozenTeacher<CctModel, SegmentationBatch>(t, (m, b) => pixelRows(m.forward(b.images)), { numClasses: DIGIT_SCENE_CLASSES });
        const stepsPerEpoch = Math.ceil(sets.labelled.images.shape[0] / config.optim.batchSize);
        const evaluate = () => evaluateSegmenter(student, sets.val, DIGIT_SCENE_CLASSES).metrics;
        const swa = swaCallback<tf.Tensor4D>(config.swa, { evaluate: (m) => evaluateSegmenter(m as CctModel, sets.val, DIGIT_SCENE_CLASSES).metrics, bnData: () => [sets.unlabelled.images] });
        try {
          const result = await distill<SegmentationBatch>({
            student,
            method: config.distill,
            teacher,
            studentLogits: (s, b) => pixelRows((s as CctModel).forward(b.images)),
            labels: (b) => tf.reshape(b.labels, [-1]),
            epochs: config.optim.epochs,
            optimizer,
            schedule: polyLr({ baseLr: config.optim.lr, maxIter: stepsPerEpoch * config.optim.epochs, power: 0.9 }),
            data: { labeled: (_e, rng) => epochBatches(sets.labelled, config.optim.batchSize, rng, randomHorizontalFlip) },
            stepsPerEpoch,
            seed: config.seed,
            evaluate,
            ...loopOptions(config.train, 'miou'),
            runDir: ctx.runDir,
            resume: ctx.resume,
            config,
            callbacks: [...(ctx.callbacks as Callback<SegmentationBatch>[]), ...(swa ? [swa as Callback<SegmentationBatch>] : [])] as Callback[],
            progress: ctx.progress,
            batchSize: (b) => b.images.shape[0],
          });
          if (result.stopReason === 'interrupted') return interruptedRun(result);
          const bestFrom = keepWeights(student as Module, result, config.swa.enabled);
          student.eval();
          const ev = segEvalResult(student, sets, ctx.runDir);
          await saveBest(ctx.runDir, student, { recipe: name, bestFrom, teacher: config.teacher.run ?? path.join(ctx.runDir, 'teacher') });
          const c = student.countParameters();
          return {
            ...ev,
            metrics: { ...ev.metrics, teacher_miou: teacherMiou },
            params: { total: c.all, trainable: c.trainable },
            steps: result.steps,
            stopReason: result.stopReason,
            bestFrom,
            notes: [`teacher ${t.countParameters().all.toLocaleString('en-US')} parameters, student ${c.all.toLocaleString('en-US')}`, `method ${result.method.method}`],
          };
        } finally {
          swa?.dispose();
        }
      } finally {
        optimizer.dispose();
        student.dispose();
        teacherNet?.dispose();
        disposeSegSets(sets);
      }
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

