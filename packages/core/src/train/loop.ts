import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import type { z } from 'zod';
import { Module } from '../module/module';
import type { Parameter } from '../module/parameter';
import { clipGradNorm, computeGradients, hasNonFinite } from '../optim';
import type { NamedParameter, Optimizer } from '../optim/optimizer';
import { globalRng, Rng } from '../random/rng';
import { CallbackList } from './callbacks';
import { checkpointsDir, loadCheckpoint, readManifest, readPointer, resolveCheckpoint, type CheckpointPointer, type TrainPosition } from './checkpoint';
import { CheckpointManager, type BestCheckpointPolicy } from './checkpoint-manager';
import { hashConfig, validateConfig } from './config';
import { BatchStream, CyclingStream, disposeBatch, streamRng } from './data-stream';
import { EarlyStopping, type EarlyStoppingOptions } from './early-stopping';
import { writeFileAtomicSync } from '../io';
import { JsonlLogger, type MetricsRecord } from './jsonl-logger';
import { nonFiniteTensors, nonFiniteKeys, NonFiniteLossError } from './nan-guard';
import { ProgressReporter, Throughput, type ProgressMode, type ProgressState, type ProgressStream } from './progress';
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

interface EveryParsed {
  steps?: number;
  epochs?: number;
}

function parseEvery(e: Every | undefined, key: string): EveryParsed {
  if (e === undefined) return {};
  const obj = typeof e === 'number' ? { steps: e } : e;
  for (const [k, v] of Object.entries(obj)) {
    if (v !== undefined && (!Number.isInteger(v) || v < 1)) throw new Error(`fit: ${key}.${k} must be an integer >= 1, got ${v}`);
  }
  return obj;
}

function checkCount(v: number | undefined, key: string, min: number): void {
  if (v !== undefined && (!Number.isInteger(v) || v < min)) throw new Error(`fit: ${key} must be an integer >= ${min}, got ${v}`);
}

const RESERVED = new Set(['type', 'step', 'epoch', 'time']);
function record(type: 'train' | 'eval', step: number, epoch: number, values: Record<string, number>): MetricsRecord {
  const r: MetricsRecord = { type, step, epoch, time: new Date().toISOString() };
  for (const [k, v] of Object.entries(values)) r[RESERVED.has(k) ? `${k}_` : k] = v;
  return r;
}

function fmtMetrics(m: Record<string, number>): string {
  return Object.entries(m)
    .map(([k, v]) => `${k}=${Number.isInteger(v) ? v : v.toFixed(4)}`)
    .join(', ');
}

/**
 * Train: the loop every LEL method runs through (Lightning / HF Trainer in spirit).
 *
 * Per step: lr from the schedule → `onStepStart` → the method's `step` inside the gradient scope (or its
 * own `trainStep`) → NaN guard → gradient clipping → `onAfterBackward` → optimiser update → disposal of
 * the batch, loss and gradients → `onStepEnd` → logging, progress, evaluation, checkpoints. Labelled data
 * drives the epochs; the unlabelled stream cycles beside it independently.
 *
 * Resume is bit-exact on the same backend and seed: checkpoints hold weights, optimiser slots, the step,
 * the epoch and the position in it, generator states (the run's, the process-wide one and those the modules
 * registered for their dropout masks, see `Module.registerGenerator`), module counters
 * (`Module.extraState`) and callback state; resuming re-creates the epoch's
 * iterator with the same epoch generator and skips the batches already consumed (so data sources must be
 * deterministic functions of `(epoch, rng)`).
 *
 * @throws ConfigValidationError before any work when `config` fails `configSchema`.
 * @throws NonFiniteLossError when a loss is NaN/Inf (the weights are left as before that step; the last
 *   checkpoint is kept).
 * @throws CheckpointMismatchError when resuming from a checkpoint of a different model.
 */
export async function fit<L, U = never>(options: FitOptions<L, U>): Promise<FitResult> {
  // ---- validation, before any work -------------------------------------------------------------------
  const config = options.configSchema ? validateConfig(options.configSchema, options.config, { source: 'config' }) : options.config;
  if (!options.model === !options.modules) throw new Error('fit: give exactly one of model or modules');
  if (options.model && !(options.model instanceof Module)) throw new Error('fit: model must be a Module');
  if (!options.step === !options.trainStep) throw new Error('fit: give exactly one of step (loss function) or trainStep (custom update)');
  if (!options.data || typeof options.data.labeled !== 'function') throw new Error('fit: data.labeled must be a function (epoch, rng) => Iterable of batches');
  if (options.data.unlabeled !== undefined && typeof options.data.unlabeled !== 'function') throw new Error('fit: data.unlabeled must be a function (cycle, rng) => Iterable of batches');
  if (options.maxSteps === undefined && options.epochs === undefined) throw new Error('fit: give maxSteps and/or epochs');
  checkCount(options.maxSteps, 'maxSteps', 0);
  checkCount(options.epochs, 'epochs', 0);
  checkCount(options.logEvery, 'logEvery', 1);
  checkCount(options.stepsPerEpoch, 'stepsPerEpoch', 1);
  if (options.gradClipNorm !== undefined && !(options.gradClipNorm > 0)) throw new Error(`fit: gradClipNorm must be > 0, got ${options.gradClipNorm}`);
  const optimizers: Optimizer[] = options.optimizer === undefined ? [] : Array.isArray(options.optimizer) ? options.optimizer : [options.optimizer];
  if (options.step && optimizers.length === 0) throw new Error('fit: the default step mode needs an optimizer');
  const schedules: (LrScheduleLike | undefined)[] = Array.isArray(options.schedule)
    ? options.schedule
    : optimizers.map(() => options.schedule as LrScheduleLike | undefined);
  if (Array.isArray(options.schedule) && options.schedule.length !== optimizers.length) {
    throw new Error(`fit: ${options.schedule.length} schedules for ${optimizers.length} optimisers`);
  }
  const evalEvery = parseEvery(options.evalEvery ?? { epochs: 1 }, 'evalEvery');
  const ckptOpts = options.checkpoint === false ? undefined : options.checkpoint ?? (options.runDir ? {} : undefined);
  if (ckptOpts && !options.runDir) throw new Error('fit: checkpoint needs a runDir');
  const ckptEvery = parseEvery(ckptOpts?.every ?? { epochs: 1 }, 'checkpoint.every');
  if (options.resume !== undefined && (options.resume === 'last' || options.resume === 'best') && !options.runDir) {
    throw new Error(`fit: resume "${options.resume}" needs a runDir`);
  }
  if (ckptOpts?.best && !options.evaluate) throw new Error('fit: checkpoint.best needs an evaluate function');
  if (options.earlyStopping && !options.evaluate) throw new Error('fit: earlyStopping needs an evaluate function');
  const earlyStopping = options.earlyStopping ? new EarlyStopping(options.earlyStopping) : undefined;
  const callbacks = new CallbackList<U>([...(options.callbacks ?? []), ...(earlyStopping ? [earlyStopping as Callback<U>] : [])]);

  const modules: Record<string, Module> = options.modules ?? { model: options.model! };
  for (const [k, m] of Object.entries(modules)) if (!(m instanceof Module)) throw new Error(`fit: modules.${k} must be a Module`);
  const model = options.model ?? Object.values(modules)[0];
  if (!model) throw new Error('fit: modules is empty');
  const params = collectParams(optimizers);
  const configHash = config === undefined ? null : hashConfig(config);
  const seed = String(options.seed ?? 0);
  const logEvery = options.logEvery ?? 10;
  const disposeBatches = options.disposeBatches ?? true;
  const nanGuard = options.nanGuard ?? true;
  const checkGrads = typeof nanGuard === 'object' && nanGuard.grads === true;
  const runDir = options.runDir;
  const target = options.model ? { model: options.model } : { modules };
  const rng = new Rng(`${seed}/train`);
  const grng = globalRng();
  // Generators the modules draw masks from (each once): their cached normals are dropped at step boundaries too.
  const moduleGenerators = [...new Set(Object.values(modules).flatMap((m) => m.namedGenerators().map(([, g]) => g)))];
  const warnings: string[] = [];

  // ---- resume check (before writing anything) ------------------------------------------------------
  let resumeDir: string | undefined;
  if (options.resume !== undefined) {
    resumeDir = resolveCheckpoint(options.resume, runDir);
    const m = readManifest(resumeDir);
    if (!options.allowConfigChange && m.configHash !== null && configHash !== null && m.configHash !== configHash) {
      throw new Error(
        `fit: cannot resume from ${resumeDir}: it was written with a different config (hash ${m.configHash.slice(0, 12)}…, this run ${configHash.slice(0, 12)}…). ` +
          'Pass allowConfigChange: true to resume anyway.',
      );
    }
  }

  // ---- a fresh run over an existing one? ------------------------------------------------------------
  let manager: CheckpointManager | undefined;
  if (runDir) {
    if (resumeDir === undefined && readPointer(runDir, 'last')) {
      if (!options.overwrite) {
        throw new Error(
          `fit: ${runDir} already has checkpoints (last: ${readPointer(runDir, 'last')!.name}). ` +
            'Pass resume: "last" to continue that run, overwrite: true to start over, or use another runDir.',
        );
      }
      fs.rmSync(checkpointsDir(runDir), { recursive: true, force: true });
    }
  }

  // ---- restore state ---------------------------------------------------------------------------------
  const pos: TrainPosition = { step: 0, epoch: 0, batchInEpoch: 0, unlabeled: options.data.unlabeled ? { cycle: 0, position: 0 } : null };
  let window: { count: number; sums: Record<string, number> } = { count: 0, sums: {} };
  let stepsPerEpoch = options.stepsPerEpoch;
  let lastEval: Record<string, number> | undefined;
  let logRecordsAtCheckpoint: number | undefined;
  let bestAtCheckpoint: CheckpointPointer | undefined;
  const lrsAsBuilt = optimizers.map((o) => o.lr);
  if (resumeDir !== undefined) {
    const loaded = await loadCheckpoint(
      resumeDir,
      { ...target, optimizers, callbacks: callbacks.items as Callback<never>[], rng, globalRng: grng },
      { partial: options.partialResume ?? false },
    );
    const m = loaded.manifest;
    pos.step = m.step;
    pos.epoch = m.epoch;
    pos.batchInEpoch = m.batchInEpoch;
    if (options.data.unlabeled) pos.unlabeled = m.unlabeled ?? { cycle: 0, position: 0 };
    const trainer = m.trainer as { window?: typeof window; stepsPerEpoch?: number; best?: CheckpointPointer | null; logRecords?: number };
    if (trainer.window) window = trainer.window;
    logRecordsAtCheckpoint = trainer.logRecords;
    if (options.allowConfigChange && m.configHash !== configHash) {
      // A deliberate config change: the optimisers keep the learning rates they were built with.
      optimizers.forEach((o, i) => (o.lr = lrsAsBuilt[i]!));
    }
    if (trainer.stepsPerEpoch !== undefined && stepsPerEpoch === undefined) stepsPerEpoch = trainer.stepsPerEpoch;
    bestAtCheckpoint = trainer.best ?? undefined;
    lastEval = m.metrics ?? undefined;
    warnings.push(...loaded.warnings);
  }

  // ---- run folder: written only once everything above succeeded ------------------------------------
  if (runDir) {
    fs.mkdirSync(runDir, { recursive: true });
    if (config !== undefined) writeFileAtomicSync(path.join(runDir, 'config.json'), JSON.stringify(config, null, 2) + '\n');
    if (ckptOpts) {
      manager = new CheckpointManager(runDir, { keepLast: ckptOpts.keepLast ?? 3, ...(ckptOpts.best ? { best: ckptOpts.best } : {}) });
      if (resumeDir !== undefined) manager.restoreBest(bestAtCheckpoint);
    }
  }

  // A fresh run starts a fresh log; a resumed one drops the records past its checkpoint.
  if (runDir && resumeDir === undefined) fs.writeFileSync(path.join(runDir, 'metrics.jsonl'), '');
  // Kept on resume: the records written before the checkpoint (their count is in it). Later ones belong to
  // the abandoned continuation, including a partial `train` record flushed at the end of the earlier run
  // (the restored log window covers those steps again).
  const keep = (r: MetricsRecord, i: number): boolean => (logRecordsAtCheckpoint !== undefined ? i < logRecordsAtCheckpoint : r.step <= pos.step);
  const logger = runDir ? new JsonlLogger(path.join(runDir, 'metrics.jsonl'), resumeDir !== undefined ? { keep } : {}) : undefined;
  const progress = new ProgressReporter({ mode: options.progress ?? 'auto', every: logEvery, ...(options.progressStream ? { stream: options.progressStream } : {}) });
  for (const w of warnings) {
    if (progress.mode === 'none') console.warn(`[lel] warning: ${w}`);
    else progress.print(`[lel] warning: ${w}`);
  }
  const throughput = new Throughput(pos.step);
  const history: MetricsRecord[] = [];
  let stopReason: string | undefined;
  let lastLoss: number | undefined;
  let lastSavedStep = resumeDir !== undefined ? pos.step : -1;
  let lastCheckpoint: string | undefined = resumeDir;
  let lastLoggedStep = pos.step;

  const totalSteps = (): number | undefined => {
    const byEpochs = options.epochs !== undefined && stepsPerEpoch !== undefined ? options.epochs * stepsPerEpoch : undefined;
    if (options.maxSteps !== undefined && byEpochs !== undefined) return Math.min(options.maxSteps, byEpochs);
    return options.maxSteps ?? byEpochs;
  };

  const ctx: TrainContext<U> = {
    step: pos.step,
    epoch: pos.epoch,
    batchIndex: pos.batchInEpoch,
    lr: optimizers[0]?.lr ?? 0,
    unlabeled: undefined,
    rng,
    model,
    modules,
    optimizers,
    runDir,
    totalSteps: totalSteps(),
    resumedFrom: resumeDir,
    lastMetrics: {},
    lastEval,
    requestStop(reason: string) {
      stopReason ??= reason;
    },
    print(message: string) {
      progress.print(message);
    },
  };

  const writeRecord = (r: MetricsRecord): void => {
    history.push(r);
    logger?.log(r);
  };

  const flushWindow = (): void => {
    if (window.count === 0) return;
    const means: Record<string, number> = {};
    for (const [k, v] of Object.entries(window.sums)) means[k] = v / window.count;
    const rate = throughput.measure(pos.step, totalSteps());
    writeRecord(record('train', pos.step, ctx.epoch, { ...means, lr: ctx.lr, ...(rate.stepsPerSec !== undefined ? { steps_per_sec: rate.stepsPerSec } : {}) }));
    window = { count: 0, sums: {} };
    lastLoggedStep = pos.step;
  };

  const saveNow = async (): Promise<void> => {
    if (!manager || lastSavedStep === pos.step) return;
    await assertFiniteWeights(modules, pos.step, ctx.epoch);
    lastCheckpoint = await manager.save(
      pos.step,
      { ...target, optimizers, callbacks: callbacks.items as Callback<never>[], rng, globalRng: grng },
      {
        position: { ...pos, unlabeled: unlabeledStream ? unlabeledStream.position : null },
        schedulePosition: pos.step,
        configHash,
        metrics: ctx.lastEval ?? null,
        trainer: { window, stepsPerEpoch, best: manager.best ?? null, ...(logger ? { logRecords: logger.count } : {}) },
      },
    );
    lastSavedStep = pos.step;
  };

  const runEvaluation = async (): Promise<void> => {
    if (!options.evaluate) return;
    const modes = Object.values(modules).map((m) => [m, m.training] as const);
    for (const [m] of modes) m.eval();
    let metrics: Record<string, number>;
    try {
      metrics = await options.evaluate(ctx);
    } finally {
      for (const [m, training] of modes) m.train(training);
    }
    for (const [k, v] of Object.entries(metrics ?? {})) {
      if (typeof v !== 'number') throw new Error(`fit: evaluate returned a non-number for "${k}" (${typeof v})`);
    }
    ctx.lastEval = metrics;
    writeRecord(record('eval', pos.step, ctx.epoch, metrics));
    progress.print(`[lel] eval @ step ${pos.step}: ${fmtMetrics(metrics)}`);
    await callbacks.evaluate(metrics, ctx);
    if (manager?.bestPolicy && manager.isBetter(metrics)) {
      await saveNow();
      manager.setBest(pos.step, metrics[manager.bestPolicy.metric]!);
    }
  };

  let unlabeledStream: CyclingStream<U> | undefined;
  if (options.data.unlabeled) {
    const u = pos.unlabeled ?? { cycle: 0, position: 0 };
    unlabeledStream = new CyclingStream(options.data.unlabeled, seed, disposeBatches, u.cycle, u.position);
  }

  const counts = Object.values(modules).reduce((a, m) => a + m.countParameters().trainable, 0);
  progress.print(
    `[lel] fit: ${counts.toLocaleString('en-US')} trainable parameters, backend ${tf.getBackend()}, seed ${seed}` +
      (runDir ? `, runDir ${runDir}` : '') +
      (resumeDir ? `, resumed from ${resumeDir} (step ${pos.step})` : ''),
  );

  let labeled: BatchStream<L> | undefined;
  try {
    await callbacks.call('onTrainStart', ctx);
    progress.start({ step: pos.step, totalSteps: totalSteps(), epoch: pos.epoch, totalEpochs: options.epochs });

    epochs: while (stopReason === undefined) {
      if (options.epochs !== undefined && pos.epoch >= options.epochs) {
        stopReason = 'epochs';
        break;
      }
      if (options.maxSteps !== undefined && pos.step >= options.maxSteps) {
        stopReason = 'maxSteps';
        break;
      }
      ctx.epoch = pos.epoch;
      labeled = new BatchStream(options.data.labeled, pos.epoch, streamRng(seed, 'labeled', pos.epoch), disposeBatches);
      const resumedMidEpoch = pos.batchInEpoch > 0;
      await labeled.skip(pos.batchInEpoch, 'epoch');
      const epochStartStep = pos.step - labeled.position;
      if (!resumedMidEpoch) await callbacks.call('onEpochStart', ctx);

      for (;;) {
        const batch = await labeled.next();
        if (batch === undefined) break; // the epoch ended: its end-of-epoch work runs even when maxSteps is reached
        if (options.maxSteps !== undefined && pos.step >= options.maxSteps) {
          // A look-ahead batch, not consumed: the checkpoint position excludes it and a resume regenerates it.
          if (disposeBatches) disposeBatch(batch);
          stopReason = 'maxSteps';
          break epochs;
        }
        const unlabeled = unlabeledStream ? await unlabeledStream.next() : undefined;
        ctx.step = pos.step;
        ctx.batchIndex = labeled.position - 1;
        ctx.unlabeled = unlabeled;
        optimizers.forEach((o, i) => {
          const s = schedules[i];
          if (s) o.lr = s.lrAt(pos.step);
        });
        ctx.lr = optimizers[0]?.lr ?? 0;
        let metrics: StepMetrics;
        try {
          await callbacks.call('onStepStart', ctx);
          metrics = options.step
            ? await defaultStep(options.step, batch, ctx, params, optimizers, callbacks, options.gradClipNorm, nanGuard !== false, checkGrads, lastCheckpoint)
            : await customStep(options.trainStep!, batch, ctx, nanGuard !== false, lastCheckpoint);
        } catch (e) {
          if (e instanceof NonFiniteLossError) {
            writeRecord({ ...record('train', pos.step + 1, ctx.epoch, {}), error: 'non-finite', parts: e.parts });
            progress.print(`[lel] ${e.message}`);
          }
          throw e;
        } finally {
          if (disposeBatches) {
            disposeBatch(batch);
            disposeBatch(unlabeled);
          }
          ctx.unlabeled = undefined;
        }
        if (options.batchSize) throughput.addSamples(options.batchSize(batch));
        pos.step++;
        pos.batchInEpoch = labeled.position;
        ctx.step = pos.step;
        // Drop cached normals at step boundaries so runs with and without checkpoints draw identically.
        rng.state();
        grng.state();
        for (const g of moduleGenerators) g.state();
        metrics = { ...metrics, lr: ctx.lr };
        ctx.lastMetrics = metrics;
        lastLoss = metrics.loss ?? metrics.total;
        window.count++;
        for (const [k, v] of Object.entries(metrics)) if (k !== 'lr') window.sums[k] = (window.sums[k] ?? 0) + v;

        await callbacks.stepEnd(ctx, metrics);
        if (pos.step % logEvery === 0) flushWindow();
        progress.update(progressState(pos, ctx, metrics, options.epochs, totalSteps(), throughput));
        if (evalEvery.steps && pos.step % evalEvery.steps === 0) await runEvaluation();
        if (ckptEvery.steps && pos.step % ckptEvery.steps === 0) await saveNow();
        if (stopReason !== undefined) break epochs;
      }

      // The epoch ran to its end.
      const epochSteps = pos.step - epochStartStep;
      if (labeled.position === 0) throw new Error(`fit: data.labeled yielded no batch in epoch ${pos.epoch}`);
      if (!resumedMidEpoch && stepsPerEpoch === undefined) {
        stepsPerEpoch = epochSteps;
        ctx.totalSteps = totalSteps();
      }
      labeled = undefined;
      await callbacks.call('onEpochEnd', ctx);
      pos.epoch++;
      pos.batchInEpoch = 0;
      if (evalEvery.epochs && pos.epoch % evalEvery.epochs === 0) await runEvaluation();
      if (ckptEvery.epochs && pos.epoch % ckptEvery.epochs === 0) await saveNow();
    }

    await saveNow(); // before the final flush: the saved log window still holds the steps since the last record
    if (lastLoggedStep !== pos.step) flushWindow();
    ctx.totalSteps = totalSteps();
    await callbacks.call('onTrainEnd', ctx);
    progress.stop(progressState(pos, ctx, ctx.lastMetrics, options.epochs, totalSteps(), throughput));
    progress.print(`[lel] done: ${pos.step} steps (${stopReason})${lastCheckpoint ? `, last checkpoint ${lastCheckpoint}` : ''}`);
  } finally {
    progress.stop();
    await labeled?.close();
    await unlabeledStream?.close();
    logger?.close();
    earlyStopping?.dispose();
  }

  const result: FitResult = {
    steps: pos.step,
    epochs: pos.epoch,
    lastLoss,
    history,
    runDir,
    stopReason: stopReason ?? 'done',
    warnings,
  };
  if (lastCheckpoint) result.lastCheckpoint = lastCheckpoint;
  if (resumeDir) result.resumedFrom = resumeDir;
  const best = manager?.best;
  if (best && best.metric !== undefined && best.value !== undefined) {
    result.best = { metric: best.metric, value: best.value, step: best.step, checkpoint: manager!.pathOf(best) };
  } else if (earlyStopping?.best !== undefined) {
    result.best = { metric: earlyStopping.options.metric, value: earlyStopping.best, step: earlyStopping.bestStep! };
  }
  return result;
}

function progressState(
  pos: TrainPosition,
  ctx: TrainContext<unknown>,
  metrics: StepMetrics,
  totalEpochs: number | undefined,
  totalSteps: number | undefined,
  throughput: Throughput,
): ProgressState {
  return { step: pos.step, totalSteps, epoch: ctx.epoch, totalEpochs, loss: metrics.loss ?? metrics.total, lr: ctx.lr, ...throughput.measure(pos.step, totalSteps) };
}

/** Union of the optimisers' parameters (a name managed by two optimisers must be the same parameter). */
function collectParams(optimizers: readonly Optimizer[]): NamedParameter[] {
  const byName = new Map<string, Parameter>();
  for (const o of optimizers) {
    for (const [n, p] of o.namedParameters()) {
      const prev = byName.get(n);
      if (prev && prev !== p) throw new Error(`fit: two optimisers manage different parameters under the same name "${n}"`);
      byName.set(n, p);
    }
  }
  return [...byName];
}

async function defaultStep<L, U>(
  step: (batch: L, ctx: TrainContext<U>) => LossParts,
  batch: L,
  ctx: TrainContext<U>,
  params: NamedParameter[],
  optimizers: readonly Optimizer[],
  callbacks: CallbackList<U>,
  clip: number | undefined,
  guard: boolean,
  checkGrads: boolean,
  lastCheckpoint: string | undefined,
): Promise<StepMetrics> {
  const { loss, parts, grads } = computeGradients(() => step(batch, ctx), params);
  let g = grads;
  try {
    const values: Record<string, number> = { loss, ...parts };
    if (guard) {
      const bad = nonFiniteKeys(values);
      if (bad.length > 0) {
        const parts = bad.map((k) => (k === 'loss' ? 'total' : k));
        throw new NonFiniteLossError({ step: ctx.step + 1, epoch: ctx.epoch, parts, values, lastCheckpoint, note: 'The update of this step was not applied.' });
      }
    }
    const metrics: StepMetrics = { ...values };
    if (clip !== undefined) {
      const r = clipGradNorm(g, clip);
      tf.dispose([...g.values()]);
      g = r.grads;
      metrics.grad_norm = r.totalNorm;
    }
    if (guard && checkGrads && hasNonFinite(g)) {
      const bad = await nonFiniteTensors(g);
      throw new NonFiniteLossError({
        kind: 'gradients',
        step: ctx.step + 1,
        epoch: ctx.epoch,
        parts: bad.map((n) => `grad:${n}`),
        values: metrics,
        lastCheckpoint,
        note: 'The update of this step was not applied.',
      });
    }
    await callbacks.afterBackward(g, ctx);
    for (const o of optimizers) o.step(g);
    return metrics;
  } finally {
    tf.dispose([...g.values()]);
  }
}

async function customStep<L, U>(
  trainStep: (batch: L, ctx: TrainContext<U>) => StepMetrics | Promise<StepMetrics>,
  batch: L,
  ctx: TrainContext<U>,
  guard: boolean,
  lastCheckpoint: string | undefined,
): Promise<StepMetrics> {
  const metrics = await trainStep(batch, ctx);
  if (metrics === null || typeof metrics !== 'object') throw new Error('fit: trainStep must return an object of numbers to log');
  for (const [k, v] of Object.entries(metrics)) {
    if (typeof v !== 'number') throw new Error(`fit: trainStep returned a non-number for "${k}" (${typeof v})`);
  }
  if (guard) {
    const bad = nonFiniteKeys(metrics);
    if (bad.length > 0) {
      throw new NonFiniteLossError({
        step: ctx.step + 1,
        epoch: ctx.epoch,
        parts: bad,
        values: metrics,
        lastCheckpoint,
        note: 'trainStep had already updated the weights; they were not saved.',
      });
    }
  }
  return metrics;
}

/** Refuse to checkpoint weights holding NaN/Inf (keeps the last good checkpoint). */
async function assertFiniteWeights(modules: Record<string, Module>, step: number, epoch: number): Promise<void> {
  const named: [string, tf.Tensor][] = [];
  for (const [key, m] of Object.entries(modules)) for (const [n, t] of m.stateDict()) if (t.dtype === 'float32') named.push([`${key}.${n}`, t]);
  const bad = await nonFiniteTensors(new Map(named));
  if (bad.length > 0) {
    throw new NonFiniteLossError({
      kind: 'weights',
      step,
      epoch,
      parts: bad.map((n) => `weight:${n}`),
      values: {},
      note: 'Non-finite weights were not checkpointed.',
    });
  }
}
