import * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import {
  defineMethod,
  runMethod,
  type Callback,
  type FitOptions,
  type FitResult,
  type LossParts as CoreLossParts,
  type LrScheduleLike,
  type Module,
  type Optimizer,
  type TrainContext,
  type TrainData,
} from '@lel/core';
import { AnnealingKdConfig, ConfidencePenaltyConfig, ContinuationKdConfig, DistillMethodConfig, KdConfig, LabelSmoothingConfig, NoneConfig, type DistillMethodInput } from './config';
import { kdLoss } from './kd-loss';
import { continuationSchedule, type ContinuationSchedule } from './continuation-schedule';
import { continuationKdLoss } from './continuation-loss';
import { annealingKdLoss, annealingKdSchedule, type AnnealingEpoch } from './annealing';
import { labelSmoothingCrossEntropy } from './label-smoothing';
import { annealedBeta, confidencePenaltyLoss } from './confidence-penalty';
import { meanCrossEntropy } from './cross-entropy';
import { checkLabels, checkLogits } from './validate';
import type { Teacher } from './teacher';

/** How the recipe reads a batch. */
export interface DistillBatchAccess<B> {
  /** Student logits `[B, C]` for a batch (image classifier, BERT classifier head, …). */
  studentLogits: (student: Module, batch: B, ctx: TrainContext) => tf.Tensor;
  /** Integer labels `[B]` of a batch (owned by the batch). */
  labels: (batch: B) => tf.Tensor;
}

/** Options of {@link distillationStep}. */
export interface DistillStepOptions<B> extends DistillBatchAccess<B> {
  student: Module;
  method: DistillMethodInput;
  /** Training epochs: the temperature / ψ / stage schedules are laid out over them. */
  epochs: number;
  /** The teacher (frozen model or cached logits); required by `kd`, `annealing-kd`, `continuation-kd`. */
  teacher?: Teacher<B>;
}

/** A `fit` step function plus what it derived from the config. */
export interface DistillStep<B> {
  step: (batch: B, ctx: TrainContext) => CoreLossParts;
  method: DistillMethodConfig;
  /** Per-epoch Continuation-KD schedule (for `continuation-kd`). */
  continuation?: ContinuationSchedule;
  /** Per-epoch Annealing-KD plan (for `annealing-kd`). */
  annealing?: AnnealingEpoch[];
}

const NEEDS_TEACHER = new Set(['kd', 'annealing-kd', 'continuation-kd']);

/**
 * The `fit` step of a distillation method: student forward, teacher logits, the method's loss with the
 * epoch's schedule values (epoch i = `ctx.epoch + 1`), returning `{ total, hard, soft }` for the logs.
 */
export function distillationStep<B>(options: DistillStepOptions<B>): DistillStep<B> {
  const method = DistillMethodConfig.parse(options.method);
  const { epochs, teacher, student } = options;
  if (!(Number.isInteger(epochs) && epochs >= 1)) throw new Error(`distill: epochs must be a positive integer, got ${epochs}`);
  if (NEEDS_TEACHER.has(method.method) && !teacher) throw new Error(`distill: method "${method.method}" needs a teacher`);
  const out: DistillStep<B> = { method, step: () => null as never };
  if (method.method === 'continuation-kd') out.continuation = continuationSchedule({ epochs, tMax: method.tMax, psi: method.psi });
  if (method.method === 'annealing-kd') {
    const n1 = Math.min(epochs, Math.max(1, Math.round(method.stage1Fraction * epochs)));
    out.annealing = annealingKdSchedule({ stage1Epochs: n1, stage2Epochs: epochs - n1, tMax: method.tMax });
  }
  // With fewer (stage-1) epochs than T_max the temperature cannot reach 1 (one decrement per epoch at most),
  // so the student never matches the unscaled teacher logits: say so rather than silently train that way.
  const finalT = out.continuation ? out.continuation.T.at(-1)! : out.annealing ? out.annealing.filter((e) => e.stage === 1).at(-1)!.T : 1;
  if (finalT > 1) {
    console.warn(`[distill] ${method.method}: T only anneals down to ${finalT} (T_max ${(method as { tMax: number }).tMax} > ${method.method === 'annealing-kd' ? 'stage-1 ' : ''}epochs); lower tMax or train longer`);
  }
  const at = <T>(list: T[], ctx: TrainContext): T => list[Math.min(list.length - 1, ctx.epoch)]!;

  out.step = (batch: B, ctx: TrainContext): CoreLossParts => {
    const z = options.studentLogits(student, batch, ctx);
    const labels = options.labels(batch);
    checkLogits('student logits', z);
    const teacherLogits = () => {
      const t = teacher!.logits(batch);
      if (teacher!.numClasses !== undefined && teacher!.numClasses !== z.shape[1]) {
        throw new Error(`teacher/student class-count mismatch: the student predicts ${z.shape[1]} classes but the teacher ${teacher!.numClasses}`);
      }
      return t;
    };
    switch (method.method) {
      case 'none': {
        checkLabels(labels, z.shape[0], z.shape[1]);
        const hard = meanCrossEntropy(z, labels as tf.Tensor1D);
        // Distinct tensors: the loop keeps the parts and differentiates `total` separately.
        return { total: hard, hard: tf.clone(hard) };
      }
      case 'kd': {
        const r = kdLoss({ studentLogits: z, teacherLogits: teacherLogits(), labels }, { alpha: method.alpha, temperature: method.temperature });
        return { total: r.total, hard: r.hard, soft: r.soft };
      }
      case 'annealing-kd': {
        const e = at(out.annealing!, ctx);
        const r = annealingKdLoss({ studentLogits: z, teacherLogits: teacherLogits(), labels }, { stage: e.stage, phi: e.phi });
        return { total: r.total, hard: r.hard, soft: r.soft };
      }
      case 'continuation-kd': {
        const s = out.continuation!;
        const i = Math.min(s.T.length - 1, ctx.epoch);
        const r = continuationKdLoss({ studentLogits: z, teacherLogits: teacherLogits(), labels }, { psi: s.psi[i]!, phi: s.phi[i]!, margin: method.margin });
        return { total: r.total, hard: r.hard, soft: r.soft };
      }
      case 'label-smoothing': {
        const r = labelSmoothingCrossEntropy(z, labels, { epsilon: method.epsilon });
        return { total: r.total, hard: r.hard, soft: r.soft };
      }
      case 'confidence-penalty': {
        const beta = method.annealSteps === undefined ? method.beta : annealedBeta(ctx.step, { from: 0, to: method.beta, steps: method.annealSteps });
        const r = confidencePenaltyLoss(z, labels, { beta, threshold: method.threshold });
        return { total: r.total, hard: r.hard, soft: r.soft };
      }
    }
  };
  return out;
}

/**
 * Annealing-KD's stage switch: stage 2 starts "from the best stage-1 checkpoint". Tracks the best
 * evaluation during stage 1 (weights kept in memory, and in checkpoints) and loads those weights into the
 * student when the first stage-2 epoch starts. Without evaluations it continues from the last stage-1
 * weights.
 */
export class AnnealingStageCallback implements Callback {
  readonly name = 'annealing-kd-stage';
  private best: { value: number; epoch: number } | null = null;
  private weights: Map<string, tf.Tensor> | null = null;
  private switched = false;

  constructor(
    private readonly student: Module,
    private readonly stage1Epochs: number,
    private readonly select: { metric: string; mode?: 'max' | 'min' },
  ) {}

  onEvaluate(metrics: Record<string, number>, ctx: TrainContext): void {
    // An evaluation at the end of epoch e (0-based) sees ctx.epoch = e; stage 1 is epochs 0..n1-1.
    if (ctx.epoch >= this.stage1Epochs || this.switched) return;
    const v = metrics[this.select.metric];
    if (v === undefined) throw new Error(`AnnealingStageCallback: evaluate() returned no "${this.select.metric}" (got ${Object.keys(metrics).join(', ')})`);
    const better = this.best === null || ((this.select.mode ?? 'max') === 'max' ? v > this.best.value : v < this.best.value);
    if (!better) return;
    this.best = { value: v, epoch: ctx.epoch };
    if (this.weights) tf.dispose([...this.weights.values()]);
    this.weights = new Map([...this.student.stateDict()].map(([k, t]) => [k, t.clone()]));
  }

  onEpochStart(ctx: TrainContext): void {
    if (ctx.epoch !== this.stage1Epochs || this.switched) return;
    this.switched = true;
    if (this.weights) {
      this.student.loadStateDict(this.weights);
      ctx.print(`[annealing-kd] stage 2 starts from the best stage-1 weights (epoch ${this.best!.epoch + 1}, ${this.select.metric} = ${this.best!.value.toFixed(4)})`);
    }
  }

  state(): unknown {
    return { best: this.best, switched: this.switched };
  }

  loadState(state: unknown): void {
    const s = state as { best: { value: number; epoch: number } | null; switched: boolean };
    this.best = s.best;
    this.switched = s.switched;
  }

  tensors(): Map<string, tf.Tensor> {
    return this.weights ?? new Map();
  }

  loadTensors(tensors: Map<string, tf.Tensor>): void {
    if (this.weights) tf.dispose([...this.weights.values()]);
    this.weights = tensors.size > 0 ? new Map([...tensors].map(([k, t]) => [k, t.clone()])) : null;
  }

  dispose(): void {
    if (this.weights) tf.dispose([...this.weights.values()]);
    this.weights = null;
  }
}

/** The run keys of {@link distillation}'s config, beside the method's own. */
const runKeys = {
  /** Training epochs: the temperature / ψ / stage schedules are laid out over them. */
  epochs: z.number().int().min(1),
  /** Seed of the data order and `ctx.rng`. Default 0. */
  seed: z.union([z.number(), z.string()]).default(0),
  /** For `annealing-kd`: the evaluation metric that picks the best stage-1 weights. Default `{ metric: 'accuracy', mode: 'max' }`. */
  stage1Selection: z.object({ metric: z.string().min(1), mode: z.enum(['max', 'min']).optional() }).strict().optional(),
};

/** Config of the {@link distillation} method: one distillation method's options (flat, by `method`) plus `epochs` and `seed`. */
export const DistillConfigSchema = z.discriminatedUnion('method', [
  NoneConfig.extend(runKeys),
  KdConfig.extend(runKeys),
  AnnealingKdConfig.extend(runKeys),
  ContinuationKdConfig.extend(runKeys),
  LabelSmoothingConfig.extend(runKeys),
  ConfidencePenaltyConfig.extend(runKeys),
]);
export type DistillConfig = z.output<typeof DistillConfigSchema>;
export type DistillConfigInput = z.input<typeof DistillConfigSchema>;

/**
 * What a student is distilled from and on: the student (any architecture; trained, checkpointed, returned), the
 * teacher (a frozen model or cached logits; neither trained nor checkpointed), how to read a batch, the batch
 * streams, and the student's optimiser(s) and schedule — the student is yours, so is its optimiser (`runMethod`
 * disposes it when the run ends).
 */
export interface DistillData<B> extends DistillBatchAccess<B> {
  student: Module;
  teacher?: Teacher<B>;
  data: TrainData<B>;
  optimizer: Optimizer | Optimizer[];
  schedule?: LrScheduleLike | LrScheduleLike[];
  /** Steps per epoch when known (progress, SWA's plan). */
  stepsPerEpoch?: number;
  /** Examples in a batch (progress). */
  batchSize?: (batch: B) => number;
  gradClipNorm?: number;
}

/**
 * Knowledge distillation and its label-only baselines as one method (`kd`, `annealing-kd`, `continuation-kd`,
 * `label-smoothing`, `confidence-penalty`, `none`): the student's loss with the epoch's schedule values, logged as
 * `{ hard, soft }`; Annealing-KD's switch to stage 2 from the best stage-1 weights is part of the method (a
 * callback). The teacher only supplies logits, so teacher and student may differ in size and architecture as long
 * as they share the label set.
 */
export const distillation = defineMethod({
  name: 'distill',
  description: 'knowledge distillation (KD, Annealing-KD, Continuation-KD) and label-only regularisers into a student',
  configSchema: DistillConfigSchema,
  build(config, d: DistillData<unknown>) {
    const { epochs, seed, stage1Selection, ...method } = config;
    const built = distillationStep({ student: d.student, teacher: d.teacher, studentLogits: d.studentLogits, labels: d.labels, method, epochs });
    let stage: AnnealingStageCallback | undefined;
    if (built.annealing) {
      const n1 = built.annealing.filter((e) => e.stage === 1).length;
      if (n1 < epochs) stage = new AnnealingStageCallback(d.student, n1, stage1Selection ?? { metric: 'accuracy', mode: 'max' });
    }
    return {
      model: d.student,
      optimizers: d.optimizer,
      ...(d.schedule ? { schedule: d.schedule } : {}),
      data: d.data,
      loss: built.step as (batch: unknown, ctx: TrainContext<unknown>) => CoreLossParts,
      epochs,
      seed,
      ...(d.stepsPerEpoch !== undefined ? { stepsPerEpoch: d.stepsPerEpoch } : {}),
      ...(d.batchSize ? { batchSize: d.batchSize } : {}),
      ...(d.gradClipNorm !== undefined ? { gradClipNorm: d.gradClipNorm } : {}),
      ...(stage ? { callbacks: [stage as Callback<unknown>] } : {}),
      info: { method: built.method },
      cleanup: () => stage?.dispose(),
    };
  },
});

/** Options of {@link distill}: `fit`'s options minus the step, plus the method, student and teacher. */
export interface DistillOptions<B> extends DistillStepOptions<B>, Omit<FitOptions<B>, 'step' | 'trainStep' | 'model' | 'modules' | 'epochs'> {
  /** For `annealing-kd`: the evaluation metric that picks the best stage-1 weights. Default `{ metric: 'accuracy', mode: 'max' }`. */
  stage1Selection?: { metric: string; mode?: 'max' | 'min' };
}

/**
 * Distil a student on `@lel/core`'s training runtime: `runMethod(distillation, …)` with the method, `epochs` and
 * `seed` as config, the student, teacher, batch access, streams and optimiser as data, and the rest of the options
 * (run folder, resume, callbacks, evaluation, checkpoints…) as the run.
 */
export async function distill<B>(options: DistillOptions<B>): Promise<FitResult & { method: DistillMethodConfig }> {
  const { student, method, teacher, studentLogits, labels, stage1Selection, epochs, seed, data, optimizer, schedule, stepsPerEpoch, batchSize, gradClipNorm, step: _s, trainStep: _t, model: _m, modules: _ms, configSchema: _cs, ...run } =
    options as DistillOptions<B> & Partial<Pick<FitOptions<B>, 'step' | 'trainStep' | 'model' | 'modules'>>;
  if (optimizer === undefined) throw new Error('distill: give an optimizer for the student');
  if (!(Number.isInteger(epochs) && epochs >= 1)) throw new Error(`distill: epochs must be a positive integer, got ${epochs}`);
  const config = { ...DistillMethodConfig.parse(method), epochs, seed: seed ?? 0, ...(stage1Selection ? { stage1Selection } : {}) } as DistillConfigInput;
  const r = await runMethod(
    distillation,
    config,
    {
      student,
      teacher: teacher as Teacher<unknown> | undefined,
      studentLogits: studentLogits as DistillBatchAccess<unknown>['studentLogits'],
      labels: labels as DistillBatchAccess<unknown>['labels'],
      data: data as TrainData<unknown>,
      optimizer,
      ...(schedule ? { schedule } : {}),
      ...(stepsPerEpoch !== undefined ? { stepsPerEpoch } : {}),
      ...(batchSize ? { batchSize: batchSize as (b: unknown) => number } : {}),
      ...(gradClipNorm !== undefined ? { gradClipNorm } : {}),
    },
    run as never,
  );
  return { ...r.result, method: r.info.method };
}
