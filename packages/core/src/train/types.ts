import type * as tf from '@tensorflow/tfjs-core';
import type { Module } from '../module/module';
import type { Optimizer } from '../optim/optimizer';
import type { Rng } from '../random/rng';

/**
 * The losses a step returns: `total` is differentiated; the other named parts (e.g. `ce`, `kl`) are
 * logged. All are scalars computed inside the gradient scope; the loop disposes them.
 */
export type LossParts = { total: tf.Scalar } & Record<string, tf.Scalar>;

/** A learning-rate schedule (structurally the `LrSchedule` of `@lel/core`'s optim): lr as a function of the step. */
export interface LrScheduleLike {
  lrAt(step: number): number;
}

/**
 * A stream of batches, re-invoked at the start of every epoch (labelled) or cycle (unlabelled) with that
 * epoch's own generator, so each epoch reshuffles independently and deterministically. Batches may be any
 * value; tensors inside them are disposed by the loop after the step (see `FitOptions.disposeBatches`).
 */
export type DataSource<B> = (epoch: number, rng: Rng) => Iterable<B> | AsyncIterable<B>;

/** The data of a run: labelled batches drive the epochs; unlabelled batches cycle independently beside them. */
export interface TrainData<L, U = never> {
  labeled: DataSource<L>;
  unlabeled?: DataSource<U>;
}

/** Numbers logged for one step: `loss`, each loss part, `lr`, or whatever a custom `trainStep` returns. */
export type StepMetrics = Record<string, number>;

/** Where the loop stands; passed to step functions, callbacks and `evaluate`. */
export interface TrainContext<U = unknown> {
  /** Steps completed so far (the step running now has index `step`, 0-based). */
  step: number;
  /** Current epoch, 0-based. */
  epoch: number;
  /** Index of the current labelled batch within the epoch, 0-based. */
  batchIndex: number;
  /** Learning rate of the (first) optimiser for the running step. */
  lr: number;
  /** The unlabelled batch paired with the current labelled batch (when `data.unlabeled` is given). */
  unlabeled: U | undefined;
  /** The run's generator for method noise; its state is saved in checkpoints. */
  rng: Rng;
  /** The model (`options.model`), or the first of `options.modules`. */
  model: Module;
  /** Every trained module by name (`{ model }` when a single model is given). */
  modules: Record<string, Module>;
  optimizers: Optimizer[];
  /** Run folder, when one is used. */
  runDir: string | undefined;
  /** Planned total steps when known (from `maxSteps`, or `epochs` × steps per epoch). */
  totalSteps: number | undefined;
  /** Checkpoint this run resumed from, if any. */
  resumedFrom: string | undefined;
  /** Metrics of the last completed step (loss parts, lr, …). */
  lastMetrics: StepMetrics;
  /** Metrics of the last evaluation. */
  lastEval: Record<string, number> | undefined;
  /** Ask the loop to stop after the current step (early stopping, time budget). */
  requestStop(reason: string): void;
  /** Print a message without breaking the progress bar. */
  print(message: string): void;
}

/**
 * Hooks into the loop (Lightning / Keras style). All are optional and may be async. Callbacks with
 * persistent state implement `state()/loadState()` (JSON) and/or `tensors()/loadTensors()`; they are saved
 * in every checkpoint under the callback's `name` and restored on resume **before** `onTrainStart`
 * (check `ctx.resumedFrom` there before re-initialising).
 */
export interface Callback<U = unknown> {
  /** Stable name; required when the callback has state (it keys the state in checkpoints). */
  readonly name?: string;
  onTrainStart?(ctx: TrainContext<U>): void | Promise<void>;
  onEpochStart?(ctx: TrainContext<U>): void | Promise<void>;
  onStepStart?(ctx: TrainContext<U>): void | Promise<void>;
  /**
   * After gradients are computed (and clipped), before the optimiser update; default `step` mode only.
   * The gradients are owned by the loop: read them, do not dispose them.
   */
  onAfterBackward?(grads: Map<string, tf.Tensor>, ctx: TrainContext<U>): void | Promise<void>;
  /** After the update; `metrics` has the loss parts and lr of the step. */
  onStepEnd?(ctx: TrainContext<U>, metrics: StepMetrics): void | Promise<void>;
  onEvaluate?(metrics: Record<string, number>, ctx: TrainContext<U>): void | Promise<void>;
  onEpochEnd?(ctx: TrainContext<U>): void | Promise<void>;
  onTrainEnd?(ctx: TrainContext<U>): void | Promise<void>;
  /** JSON-serialisable state saved in checkpoints. */
  state?(): unknown;
  loadState?(state: unknown): void;
  /** Tensors saved in checkpoints (e.g. SWA's averaged weights), by name. Live tensors: the loop copies nothing. */
  tensors?(): Map<string, tf.Tensor>;
  /**
   * Restore tensors saved by {@link tensors}; the map's tensors are disposed by the caller afterwards (after the
   * returned promise settles, so a callback may read them asynchronously).
   */
  loadTensors?(tensors: Map<string, tf.Tensor>): void | Promise<void>;
}
