import * as tf from '@tensorflow/tfjs-core';
import { clipGradNorm, computeGradients, hasNonFinite } from '../optim';
import type { NamedParameter, Optimizer } from '../optim/optimizer';
import type { CallbackList } from './callbacks';
import { nonFiniteKeys, nonFiniteTensors, NonFiniteLossError } from './nan-guard';
import type { LossParts, StepMetrics, TrainContext } from './types';

/** What one update of the default step mode needs. */
export interface LossStepArgs<L, U> {
  /** The method's loss (`FitOptions.step`). */
  loss: (batch: L, ctx: TrainContext<U>) => LossParts;
  batch: L;
  ctx: TrainContext<U>;
  /** Parameters differentiated (the optimisers' union). */
  params: NamedParameter[];
  optimizers: readonly Optimizer[];
  callbacks: CallbackList<U>;
  /** Global gradient-norm clip, if any. */
  gradClipNorm: number | undefined;
  /** Refuse non-finite losses (and, with `grads`, gradients) before the update. */
  nanGuard: { enabled: boolean; grads: boolean };
  /** Named in the non-finite error, so the user knows where to resume from. */
  lastCheckpoint: string | undefined;
}

/** What one custom update needs. */
export interface CustomStepArgs<L, U> {
  /** The method's own update (`FitOptions.trainStep`). */
  trainStep: (batch: L, ctx: TrainContext<U>) => StepMetrics | Promise<StepMetrics>;
  batch: L;
  ctx: TrainContext<U>;
  nanGuard: { enabled: boolean };
  lastCheckpoint: string | undefined;
}

/**
 * One update of the default step mode: gradients of `total` over `params` → NaN guard → clipping →
 * `onAfterBackward` → every optimiser's update. Returns the loss parts (as `loss` and by name) and the
 * gradient norm when clipping. Nothing is updated when a guard fires.
 */
export async function lossStep<L, U>(a: LossStepArgs<L, U>): Promise<StepMetrics> {
  const { ctx } = a;
  const { loss, parts, grads } = await computeGradients(() => a.loss(a.batch, ctx), a.params);
  let g = grads;
  try {
    const values: Record<string, number> = { loss, ...parts };
    if (a.nanGuard.enabled) {
      const bad = nonFiniteKeys(values);
      if (bad.length > 0) {
        const parts = bad.map((k) => (k === 'loss' ? 'total' : k));
        throw new NonFiniteLossError({ step: ctx.step + 1, epoch: ctx.epoch, parts, values, lastCheckpoint: a.lastCheckpoint, note: 'The update of this step was not applied.' });
      }
    }
    const metrics: StepMetrics = { ...values };
    if (a.gradClipNorm !== undefined) {
      const r = await clipGradNorm(g, a.gradClipNorm);
      tf.dispose([...g.values()]);
      g = r.grads;
      metrics.grad_norm = r.totalNorm;
    }
    if (a.nanGuard.enabled && a.nanGuard.grads && (await hasNonFinite(g))) {
      const bad = await nonFiniteTensors(g);
      throw new NonFiniteLossError({
        kind: 'gradients',
        step: ctx.step + 1,
        epoch: ctx.epoch,
        parts: bad.map((n) => `grad:${n}`),
        values: metrics,
        lastCheckpoint: a.lastCheckpoint,
        note: 'The update of this step was not applied.',
      });
    }
    await a.callbacks.afterBackward(g, ctx);
    for (const o of a.optimizers) o.step(g);
    return metrics;
  } finally {
    tf.dispose([...g.values()]);
  }
}

/** One custom update: runs `trainStep`, then checks that it returned finite numbers. */
export async function customStep<L, U>(a: CustomStepArgs<L, U>): Promise<StepMetrics> {
  const { ctx } = a;
  const metrics = await a.trainStep(a.batch, ctx);
  if (metrics === null || typeof metrics !== 'object') throw new Error('fit: trainStep must return an object of numbers to log');
  for (const [k, v] of Object.entries(metrics)) {
    if (typeof v !== 'number') throw new Error(`fit: trainStep returned a non-number for "${k}" (${typeof v})`);
  }
  if (a.nanGuard.enabled) {
    const bad = nonFiniteKeys(metrics);
    if (bad.length > 0) {
      throw new NonFiniteLossError({
        step: ctx.step + 1,
        epoch: ctx.epoch,
        parts: bad,
        values: metrics,
        lastCheckpoint: a.lastCheckpoint,
        note: 'trainStep had already updated the weights; they were not saved.',
      });
    }
  }
  return metrics;
}
