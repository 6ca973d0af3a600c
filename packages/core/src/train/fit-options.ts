import type { z } from 'zod';
import type { Module } from '../module/module';
import type { Optimizer } from '../optim/optimizer';
import type { BestCheckpointPolicy } from './checkpoint-manager';
import type { EarlyStoppingOptions } from './early-stopping';
import type { MetricsRecord } from './jsonl-logger';
import type { ProgressMode, ProgressStream } from './progress';
import type { Callback, LossParts, LrScheduleLike, StepMetrics, TrainContext, TrainData } from './types';

/** A period in steps (a number, or `{ steps }`) or in epochs (`{ epochs }`). */
export type Every = number | { steps?: number; epochs?: number };

/** Checkpointing of `fit` (needs `runDir`). */
export interface FitCheckpointOptions {
  /** When to save besides the end of training. Default `{ epochs: 1 }`. */
  every?: Every;
  /** How many recent checkpoints to keep (plus the best). Default 3. */
  keepLast?: number;
  /** Keep a `best` pointer to the checkpoint with the best evaluation metric (saved right after that evaluation). */
  best?: BestCheckpointPolicy;
}

/** Options of {@link fit}. `L`: labelled batch type; `U`: unlabelled batch type. */
export interface FitOptions<L, U = never> {
  /** The model to train (its tensors are saved under their own names). Give this or `modules`. */
  model?: Module;
  /** Several modules (e.g. `{ student, teacher }`): every module's weights are saved, as `<name>.<tensor>`. */
  modules?: Record<string, Module>;
  /** Optimiser(s). The default `step` differentiates every trainable parameter they manage. Saved in checkpoints. */
  optimizer?: Optimizer | Optimizer[];
  /** Learning rate per step (`lrAt(step)`, step 0-based), set on every optimiser (or one schedule per optimiser). */
  schedule?: LrScheduleLike | LrScheduleLike[];
  /**
   * The method's loss: called inside the gradient scope with the labelled batch (`ctx.unlabeled` holds the
   * paired unlabelled batch); returns `{ total, ...parts }`. The loop computes gradients of `total` over the
   * optimisers' trainable parameters, clips them (`gradClipNorm`), calls `onAfterBackward`, then steps.
   */
  step?: (batch: L, ctx: TrainContext<U>) => LossParts;
  /**
   * Instead of `step`: a full custom update (several optimisers, VAT…) returning the numbers to log.
   * Every returned value is NaN-checked. The optimisers it uses must be listed in `optimizer` to be saved.
   */
  trainStep?: (batch: L, ctx: TrainContext<U>) => StepMetrics | Promise<StepMetrics>;
  data: TrainData<L, U>;
  /** Stop after this many optimiser steps (in total, counting resumed ones). */
  maxSteps?: number;
  /** Stop after this many epochs over `data.labeled`. */
  epochs?: number;
  /** Seed of every generator of the run (data order per epoch, `ctx.rng`). Default 0. */
  seed?: number | string;
  callbacks?: Callback<U>[];
  /** Evaluation, in eval mode (`module.eval()`), every `evalEvery`; returns metrics by name. */
  evaluate?: (ctx: TrainContext<U>) => Promise<Record<string, number>> | Record<string, number>;
  /** Default `{ epochs: 1 }`. */
  evalEvery?: Every;
  earlyStopping?: EarlyStoppingOptions;
  /** Run folder: `metrics.jsonl`, `config.json`, `checkpoints/`. Without it nothing is written. */
  runDir?: string;
  /** Write a `train` record (means over the window) every `logEvery` steps. Default 10. */
  logEvery?: number;
  /** Checkpointing (on by default when `runDir` is set; `false` turns it off). */
  checkpoint?: FitCheckpointOptions | false;
  /** Continue from `last` (the run folder's latest checkpoint), `best`, or a checkpoint/run folder path. */
  resume?: 'last' | 'best' | (string & {});
  /** Load a checkpoint that does not match the model, loading only what matches. */
  partialResume?: boolean;
  /** The resolved config: validated by `configSchema`, saved as `config.json`, hashed into checkpoints. */
  config?: unknown;
  /** Schema the config must satisfy; checked before any work, naming each bad key. */
  configSchema?: z.ZodType;
  /** Resume even when the config hash differs from the checkpoint's. */
  allowConfigChange?: boolean;
  /** Start a fresh run in a `runDir` that already has checkpoints, deleting them. */
  overwrite?: boolean;
  /** Default `auto`: a bar on a TTY, periodic lines otherwise. */
  progress?: ProgressMode;
  /** Where progress goes. Default `process.stderr`. */
  progressStream?: ProgressStream;
  /** Clip the global gradient norm (default `step` mode). */
  gradClipNorm?: number;
  /** Stop on a non-finite loss (default on); `{ grads: true }` also checks every gradient. */
  nanGuard?: boolean | { grads?: boolean };
  /** Dispose the tensors inside each batch after its step (default true). */
  disposeBatches?: boolean;
  /** Examples in a labelled batch, for the examples/s shown by progress. */
  batchSize?: (batch: L) => number;
  /** Steps per epoch when known in advance (for the progress total and ETA before the first epoch ends). */
  stepsPerEpoch?: number;
}

/** Result of {@link fit}. */
export interface FitResult {
  /** Steps completed (in total). */
  steps: number;
  /** Epochs completed. */
  epochs: number;
  /** Loss of the last step. */
  lastLoss: number | undefined;
  /** Best evaluation (by `checkpoint.best`, else by `earlyStopping`), with its checkpoint folder when saved. */
  best?: { metric: string; value: number; step: number; checkpoint?: string };
  /** Records logged by this call (`train` and `eval`), as written to metrics.jsonl. */
  history: MetricsRecord[];
  runDir: string | undefined;
  /** Why training ended: `maxSteps`, `epochs`, or the reason given to `ctx.requestStop`. */
  stopReason: string;
  /** Folder of the last checkpoint written, if any. */
  lastCheckpoint?: string;
  resumedFrom?: string;
  /**
   * Warnings of the resume (e.g. a checkpoint written before module generator / counter state was saved:
   * the continuation is then not bit-exact). Also printed (to the progress stream, or `console.warn` with
   * `progress: 'none'`). Empty when nothing was worth a warning.
   */
  warnings: string[];
}
