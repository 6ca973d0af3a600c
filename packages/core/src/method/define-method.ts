// The method contract. Browser-agnostic on purpose: no node: import here (the run folder lives in `fit`).
import type { z } from 'zod';
import type { Module } from '../module/module';
import type { Optimizer } from '../optim/optimizer';
import { validateConfig } from '../train/config';
import type { EarlyStoppingOptions } from '../train/early-stopping';
import type { Every } from '../train/fit-options';
import type { Callback, LossParts, LrScheduleLike, StepMetrics, TrainContext, TrainData } from '../train/types';

/** Evaluation metrics by name (`miou`, `accuracy`, …). */
export type Metrics = Record<string, number>;

/**
 * What a method's `build` returns: one training run's modules, optimisers, data streams and step — everything
 * `fit` needs that is not about the run (folder, resume, logging, callbacks: those are {@link MethodRunOptions}).
 *
 * Type parameters: `L` labelled batch, `U` unlabelled batch (`undefined` without an unlabelled stream), `M` the
 * trained model, `I` what the method wants to report besides the fit result ({@link info}), `P` its prediction
 * function ({@link predict}).
 */
export interface MethodParts<L, U = undefined, M extends Module = Module, I = undefined, P = undefined> {
  /**
   * The trained model: its parameters are what the optimisers update, its tensors are checkpointed under their
   * own names, and it is what {@link runMethod} hands back. Give this or {@link modules}.
   */
  model?: M;
  /**
   * Several trained modules by name (a student and a learned projection, a generator and a discriminator…),
   * checkpointed as `<name>.<tensor>`; the first is the main one. A frozen teacher is NOT listed here: it is
   * neither trained, switched to train mode nor checkpointed — the method keeps it in eval mode itself.
   */
  modules?: Record<string, Module>;
  /** The optimiser(s); {@link runMethod} disposes them when the run ends. Several for several parameter sets. */
  optimizers: Optimizer | Optimizer[];
  /** Learning rate per step, one schedule for every optimiser or one per optimiser. */
  schedule?: LrScheduleLike | LrScheduleLike[];
  /**
   * Labelled batches (they drive the epochs) and, for semi-supervised methods, unlabelled batches cycling beside
   * them (`ctx.unlabeled` in the step). Sources are re-invoked every epoch with that epoch's generator and must be
   * deterministic functions of it (bit-exact resume). An unsupervised method yields its unlabelled images as
   * `labeled` batches: "labelled" means "drives the epochs". Leave the sources' `(epoch, rng)` parameters
   * unannotated (or give `data` a `TrainData<L, U>` type): TypeScript then infers the batch types of `loss`,
   * `ctx.unlabeled` and `batchSize` from them.
   */
  data: TrainData<L, U>;
  /**
   * The method's loss on a batch, by named part: `{ total, sup, unsup, … }`. `total` is differentiated over the
   * optimisers' parameters; every part is logged. Give this or {@link trainStep}.
   */
  loss?: (batch: L, ctx: TrainContext<U>) => LossParts;
  /**
   * A custom update instead of {@link loss} (several optimisers stepped in turn, adversarial steps…), returning
   * the numbers to log. The optimisers it uses must be listed in {@link optimizers} to be checkpointed.
   */
  trainStep?: (batch: L, ctx: TrainContext<U>) => StepMetrics | Promise<StepMetrics>;
  /** Length of the run in epochs over `data.labeled` … */
  epochs?: number;
  /** … and/or in optimiser steps (the run's `maxSteps` can only shorten it). */
  maxSteps?: number;
  /** Steps per epoch when known in advance (progress, schedules, SWA's plan before the first epoch ends). */
  stepsPerEpoch?: number;
  /** Seed of the run's generators (data order, `ctx.rng`). Usually the config's `seed`. */
  seed?: number | string;
  /** Clip the global gradient norm (with {@link loss}). */
  gradClipNorm?: number;
  /** Examples in a labelled batch (progress shows examples/s). */
  batchSize?: (batch: L) => number;
  /** The method's own evaluation (e.g. mIoU on a validation set given in the data), in eval mode. The run may replace it. */
  evaluate?: (ctx: TrainContext<U>) => Metrics | Promise<Metrics>;
  /** How often {@link evaluate} runs. Default (and the run's override): `fit`'s, once per epoch. */
  evalEvery?: Every;
  /** The method's early-stopping rule (e.g. CCT's patience on `miou`); the run may replace or turn it off. */
  earlyStopping?: EarlyStoppingOptions;
  /** Callbacks that are part of the method (e.g. Annealing-KD's stage switch); run after the run's own callbacks. */
  callbacks?: Callback<U>[];
  /** Inference with the trained model (e.g. class probabilities of a batch), handed back by {@link runMethod}. */
  predict?: P;
  /** What the method derived and its caller may want (iterations per epoch, the resolved schedule…). */
  info?: I;
  /**
   * Called once when the run ends, after the optimisers are disposed: free what `build` allocated for training
   * (cached tensors, callback state). With `failed`, also free the modules `build` created — the caller never gets
   * them — but not those it was given in the data.
   */
  cleanup?: (outcome: { failed: boolean }) => void | Promise<void>;
}

/** The definition {@link defineMethod} takes. `S`: the config schema; `D`: the data (and objects) the method is given. */
export interface MethodDefinition<S extends z.ZodType, D, L, U = undefined, M extends Module = Module, I = undefined, P = undefined> {
  /** Short name (`cct`, `entropy-min`): error messages and logs use it. */
  name: string;
  /** One line on what the method does (shown by tools listing methods). */
  description?: string;
  /**
   * The method's config: every option with its default (from the official code or the paper). Validated before any
   * work; a bad key is named in the error. Keep run options (folder, logging, checkpoints) out of it.
   */
  configSchema: S;
  /**
   * Build one training run from a validated config and the data: create (or take from the data) the modules,
   * the optimisers and the schedule, turn the data into batch streams, and define the loss. Must be
   * deterministic in the config's seed (draw every random number from seeded generators) so runs are
   * reproducible and resumable bit-exactly.
   */
  build(config: z.output<S>, data: D): MethodParts<L, U, M, I, P> | Promise<MethodParts<L, U, M, I, P>>;
}

/** A method defined with {@link defineMethod}: its name and config schema, a config parser, and its `build`. */
export interface Method<S extends z.ZodType = z.ZodType, D = unknown, L = unknown, U = undefined, M extends Module = Module, I = undefined, P = undefined>
  extends MethodDefinition<S, D, L, U, M, I, P> {
  /** Validate a config and fill in its defaults; throws a `ConfigValidationError` naming every bad key. */
  parseConfig(input: z.input<S>): z.output<S>;
}

/** The config a method's users write (defaults optional). */
export type MethodConfigInput<T> = T extends Method<infer S, any, any, any, any, any, any> ? z.input<S> : never; // eslint-disable-line @typescript-eslint/no-explicit-any
/** A method's validated, defaulted config. */
export type MethodConfig<T> = T extends Method<infer S, any, any, any, any, any, any> ? z.output<S> : never; // eslint-disable-line @typescript-eslint/no-explicit-any
/** What a method's `build` takes besides the config. */
export type MethodData<T> = T extends Method<any, infer D, any, any, any, any, any> ? D : never; // eslint-disable-line @typescript-eslint/no-explicit-any
/** A method of any types (registries, generic runners). */
export type AnyMethod = Method<any, any, any, any, any, any, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/**
 * Define a label-efficient learning method once, for every runner: {@link runMethod} trains it on `fit` (checkpoints,
 * bit-exact resume, JSONL logs, NaN guard, progress, callbacks), the package's `train*` function is a thin wrapper
 * over that, and apps compose it with their own data, evaluation and prediction.
 *
 * A method is a config schema plus a `build(config, data)` that returns its modules, optimisers, batch streams and
 * loss with named parts — in the spirit of a LightningModule (`configure_optimizers`, `training_step`) with a
 * typed config:
 *
 * @example
 * export const entropyMin = defineMethod({
 *   name: 'entropy-min',
 *   configSchema: EntropyMinConfigSchema,
 *   build(config, data: EntropyMinData) {
 *     const model = new EntropyMinClassifier(data.features, config.hidden, data.numClasses, new Rng(config.seed));
 *     return {
 *       model,
 *       optimizers: new Adam(model.trainableParameters(), { lr: config.lr }),
 *       data: { labeled: (_e, rng) => batches(data.labeled, rng), unlabeled: (_e, rng) => batches(data.unlabeled, rng) },
 *       loss: (batch, ctx) => entropyMinLoss(model.forward(batch.x), batch.y, model.forward(ctx.unlabeled!.x), config.unsupWeight),
 *       maxSteps: config.steps,
 *       seed: config.seed,
 *     };
 *   },
 * });
 */
export function defineMethod<S extends z.ZodType, D, L, U = undefined, M extends Module = Module, I = undefined, P = undefined>(
  definition: MethodDefinition<S, D, L, U, M, I, P>,
): Method<S, D, L, U, M, I, P> {
  const { name, configSchema } = definition;
  if (typeof name !== 'string' || name.length === 0) throw new Error('defineMethod: name must be a non-empty string');
  if (!configSchema || typeof (configSchema as { safeParse?: unknown }).safeParse !== 'function') {
    throw new Error(`defineMethod(${name}): configSchema must be a zod schema`);
  }
  if (typeof definition.build !== 'function') throw new Error(`defineMethod(${name}): build must be a function (config, data) => parts`);
  return Object.freeze({
    ...definition,
    parseConfig: (input: z.input<S>) => validateConfig(configSchema, input, { source: `${name} config` }),
  });
}
