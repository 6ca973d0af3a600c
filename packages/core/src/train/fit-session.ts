import * as tf from '@tensorflow/tfjs-core';
import type { Module } from '../module/module';
import type { TrainPosition } from './checkpoint';
import { BatchStream, CyclingStream, disposeBatch, streamRng } from './data-stream';
import type { FitResult } from './fit-options';
import type { FitPlan } from './fit-plan';
import type { NodeHost, RunLog } from '../host';
import type { FitStart, LogWindow } from './fit-start';
import { customStep, lossStep } from './fit-step';
import type { MetricsRecord } from './jsonl-logger';
import { asNonFiniteLossError, nonFiniteTensors, NonFiniteLossError } from './nan-guard';
import { LineProgress, Throughput, type ProgressState } from './progress';
import type { Callback, StepMetrics, TrainContext } from './types';

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

/** Refuse to checkpoint weights holding NaN/Inf (keeps the last good checkpoint, which the error names). */
async function assertFiniteWeights(modules: Record<string, Module>, step: number, epoch: number, lastCheckpoint: string | undefined): Promise<void> {
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
      lastCheckpoint,
      note: 'Non-finite weights were not checkpointed.',
    });
  }
}

/**
 * One call of `fit` once its options are validated ({@link FitPlan}) and its state restored
 * ({@link FitStart}): the epoch loop, the step, and the bookkeeping around them (log window and records,
 * progress, evaluations, checkpoints). {@link run} trains; {@link result} says how it ended.
 */
export class FitSession<L, U> {
  private readonly pos: TrainPosition;
  private window: LogWindow;
  private stepsPerEpoch: number | undefined;
  private readonly logger: RunLog | undefined;
  private readonly progress: LineProgress;
  private readonly throughput: Throughput;
  private readonly history: MetricsRecord[] = [];
  private readonly ctx: TrainContext<U>;
  private readonly unlabeledStream: CyclingStream<U> | undefined;
  private labeled: BatchStream<L> | undefined;
  private stopReason: string | undefined;
  private lastLoss: number | undefined;
  private lastSavedStep: number;
  private lastCheckpoint: string | undefined;

  constructor(
    private readonly plan: FitPlan<L, U>,
    private readonly start: FitStart,
    host: NodeHost | undefined,
  ) {
    const { options } = plan;
    const runDir = options.runDir;
    const { resumeDir } = start;
    this.pos = start.pos;
    this.window = start.window;
    this.stepsPerEpoch = start.stepsPerEpoch;

    // Kept on resume: the records written before the checkpoint (their count is in it). Later ones belong to
    // the abandoned continuation, including a partial `train` record flushed at the end of the earlier run
    // (the restored log window covers those steps again).
    const atCheckpoint = start.logRecordsAtCheckpoint;
    const keep = (r: MetricsRecord, i: number): boolean => (atCheckpoint !== undefined ? i < atCheckpoint : r.step <= this.pos.step);
    // A fresh run starts a fresh log; a resumed one drops the records past its checkpoint. (`fit` checked that a
    // run folder has a host: Node's.)
    this.logger = runDir ? host!.openLog(runDir, resumeDir !== undefined, keep) : undefined;
    // Node's host draws a bar on a terminal; in a page, progress lines go to the console.
    const progress = { mode: options.progress ?? 'auto', every: plan.logEvery, ...(options.progressStream ? { stream: options.progressStream } : {}) };
    this.progress = host ? host.progress(progress) : new LineProgress(progress);
    for (const w of start.warnings) {
      if (this.progress.mode === 'none') console.warn(`[lel] warning: ${w}`);
      else this.progress.print(`[lel] warning: ${w}`);
    }
    this.throughput = new Throughput(this.pos.step);
    this.lastSavedStep = resumeDir !== undefined ? this.pos.step : -1;
    this.lastCheckpoint = resumeDir;

    this.ctx = {
      step: this.pos.step,
      epoch: this.pos.epoch,
      batchIndex: this.pos.batchInEpoch,
      lr: plan.optimizers[0]?.lr ?? 0,
      unlabeled: undefined,
      rng: plan.rng,
      model: plan.model,
      modules: plan.modules,
      optimizers: plan.optimizers,
      runDir,
      totalSteps: this.totalSteps(),
      resumedFrom: resumeDir,
      lastMetrics: {},
      lastEval: start.lastEval,
      requestStop: (reason: string) => {
        this.stopReason ??= reason;
      },
      print: (message: string) => {
        this.progress.print(message);
      },
    };

    if (options.data.unlabeled) {
      const u = this.pos.unlabeled ?? { cycle: 0, position: 0 };
      this.unlabeledStream = new CyclingStream(options.data.unlabeled, plan.seed, plan.disposeBatches, u.cycle, u.position);
    }
  }

  /** Planned total steps when known (`maxSteps`, or `epochs` × steps per epoch). */
  private totalSteps(): number | undefined {
    const { maxSteps, epochs } = this.plan.options;
    const byEpochs = epochs !== undefined && this.stepsPerEpoch !== undefined ? epochs * this.stepsPerEpoch : undefined;
    if (maxSteps !== undefined && byEpochs !== undefined) return Math.min(maxSteps, byEpochs);
    return maxSteps ?? byEpochs;
  }

  private progressState(metrics: StepMetrics): ProgressState {
    const totalSteps = this.totalSteps();
    const { pos, ctx } = this;
    return { step: pos.step, totalSteps, epoch: ctx.epoch, totalEpochs: this.plan.options.epochs, loss: metrics.loss ?? metrics.total, lr: ctx.lr, ...this.throughput.measure(pos.step, totalSteps) };
  }

  private writeRecord(r: MetricsRecord): void {
    this.history.push(r);
    this.logger?.log(r);
  }

  /** Write the `train` record of the steps since the last one (means over the window). */
  private flushWindow(): void {
    const { window, pos } = this;
    if (window.count === 0) return;
    const means: Record<string, number> = {};
    for (const [k, v] of Object.entries(window.sums)) means[k] = v / window.count;
    const rate = this.throughput.measure(pos.step, this.totalSteps());
    const epoch = window.epoch ?? this.ctx.epoch;
    const lr = window.lr ?? this.ctx.lr;
    this.writeRecord(record('train', pos.step, epoch, { ...means, lr, ...(rate.stepsPerSec !== undefined ? { steps_per_sec: rate.stepsPerSec } : {}) }));
    this.window = { count: 0, sums: {} };
  }

  /** Checkpoint the current step (once per step; refused when a weight is non-finite). */
  private async saveNow(): Promise<void> {
    const { manager } = this.start;
    const { pos, plan } = this;
    if (!manager || this.lastSavedStep === pos.step) return;
    await assertFiniteWeights(plan.modules, pos.step, this.ctx.epoch, this.lastCheckpoint);
    this.lastCheckpoint = await manager.save(
      pos.step,
      { ...plan.target, optimizers: plan.optimizers, callbacks: plan.callbacks.items as Callback<never>[], rng: plan.rng, globalRng: plan.globalRng },
      {
        position: { ...pos, unlabeled: this.unlabeledStream ? this.unlabeledStream.position : null },
        schedulePosition: pos.step,
        configHash: plan.configHash,
        metrics: this.ctx.lastEval ?? null,
        trainer: { window: this.window, stepsPerEpoch: this.stepsPerEpoch, best: manager.best ?? null, ...(this.logger ? { logRecords: this.logger.count } : {}) },
      },
    );
    this.lastSavedStep = pos.step;
  }

  /** Evaluate in eval mode, log and print the metrics, tell the callbacks, and checkpoint a new best. */
  private async runEvaluation(): Promise<void> {
    const evaluate = this.plan.options.evaluate;
    if (!evaluate) return;
    const { ctx, pos } = this;
    const modes = Object.values(this.plan.modules).map((m) => [m, m.training] as const);
    for (const [m] of modes) m.eval();
    let metrics: Record<string, number>;
    try {
      metrics = await evaluate(ctx);
    } catch (e) {
      throw asNonFiniteLossError(e, { step: pos.step, epoch: ctx.epoch, lastCheckpoint: this.lastCheckpoint, during: 'evaluation' });
    } finally {
      for (const [m, training] of modes) m.train(training);
    }
    for (const [k, v] of Object.entries(metrics ?? {})) {
      if (typeof v !== 'number') throw new Error(`fit: evaluate returned a non-number for "${k}" (${typeof v})`);
    }
    ctx.lastEval = metrics;
    this.writeRecord(record('eval', pos.step, ctx.epoch, metrics));
    this.progress.print(`[lel] eval @ step ${pos.step}: ${fmtMetrics(metrics)}`);
    await this.plan.callbacks.evaluate(metrics, ctx);
    const { manager } = this.start;
    if (manager?.bestPolicy && manager.isBetter(metrics)) {
      await this.saveNow();
      manager.setBest(pos.step, metrics[manager.bestPolicy.metric]!);
    }
  }

  /** Train until `epochs` / `maxSteps` or a stop request, then checkpoint, flush the log and end the callbacks. */
  async run(): Promise<void> {
    const { plan, pos, ctx, progress } = this;
    const { options, callbacks } = plan;
    const counts = Object.values(plan.modules).reduce((a, m) => a + m.countParameters().trainable, 0);
    progress.print(
      `[lel] fit: ${counts.toLocaleString('en-US')} trainable parameters, backend ${tf.getBackend()}, seed ${plan.seed}` +
        (options.runDir ? `, runDir ${options.runDir}` : '') +
        (this.start.resumeDir ? `, resumed from ${this.start.resumeDir} (step ${pos.step})` : ''),
    );
    try {
      await callbacks.call('onTrainStart', ctx);
      progress.start({ step: pos.step, totalSteps: this.totalSteps(), epoch: pos.epoch, totalEpochs: options.epochs });
      while (this.stopReason === undefined) {
        if (options.epochs !== undefined && pos.epoch >= options.epochs) {
          this.stopReason = 'epochs';
          break;
        }
        if (options.maxSteps !== undefined && pos.step >= options.maxSteps) {
          this.stopReason = 'maxSteps';
          break;
        }
        if (!(await this.runEpoch())) break;
      }
      await this.saveNow(); // before the final flush: the saved log window still holds the steps since the last record
      // Also on a resumed run with nothing left to train: its checkpoint's window holds the final record's steps.
      this.flushWindow();
      ctx.totalSteps = this.totalSteps();
      await callbacks.call('onTrainEnd', ctx);
      progress.stop(this.progressState(ctx.lastMetrics));
      progress.print(`[lel] done: ${pos.step} steps (${this.stopReason})${this.lastCheckpoint ? `, last checkpoint ${this.lastCheckpoint}` : ''}`);
    } finally {
      progress.stop();
      await this.labeled?.close();
      await this.unlabeledStream?.close();
      this.logger?.close();
      plan.earlyStopping?.dispose();
    }
  }

  /**
   * One epoch over `data.labeled` (the rest of it when resumed mid-epoch). Returns false when training stops
   * inside it (maxSteps reached on a look-ahead batch, or a stop request); its end-of-epoch work then does not run.
   */
  private async runEpoch(): Promise<boolean> {
    const { plan, pos, ctx } = this;
    const { options, callbacks } = plan;
    ctx.epoch = pos.epoch;
    const labeled = new BatchStream(options.data.labeled, pos.epoch, streamRng(plan.seed, 'labeled', pos.epoch), plan.disposeBatches);
    this.labeled = labeled;
    const resumedMidEpoch = pos.batchInEpoch > 0;
    await labeled.skip(pos.batchInEpoch, 'epoch');
    const epochStartStep = pos.step - labeled.position;
    if (!resumedMidEpoch) await callbacks.call('onEpochStart', ctx);

    for (;;) {
      const batch = await labeled.next();
      if (batch === undefined) break; // the epoch ended: its end-of-epoch work runs even when maxSteps is reached
      if (options.maxSteps !== undefined && pos.step >= options.maxSteps) {
        // A look-ahead batch, not consumed: the checkpoint position excludes it and a resume regenerates it.
        if (plan.disposeBatches) disposeBatch(batch);
        this.stopReason = 'maxSteps';
        return false;
      }
      await this.runStep(batch, labeled);
      if (this.stopReason !== undefined) return false;
    }

    // The epoch ran to its end.
    const epochSteps = pos.step - epochStartStep;
    if (labeled.position === 0) throw new Error(`fit: data.labeled yielded no batch in epoch ${pos.epoch}`);
    if (!resumedMidEpoch && this.stepsPerEpoch === undefined) {
      this.stepsPerEpoch = epochSteps;
      ctx.totalSteps = this.totalSteps();
    }
    this.labeled = undefined;
    await callbacks.call('onEpochEnd', ctx);
    pos.epoch++;
    pos.batchInEpoch = 0;
    if (plan.evalEvery.epochs && pos.epoch % plan.evalEvery.epochs === 0) await this.runEvaluation();
    if (plan.checkpointEvery.epochs && pos.epoch % plan.checkpointEvery.epochs === 0) await this.saveNow();
    return true;
  }

  /**
   * One optimiser step on `batch` (paired with the next unlabelled batch): lr from the schedules →
   * `onStepStart` → the method's loss or update → batch disposal → position, generators, log window →
   * `onStepEnd` → logging, progress, evaluation and checkpoint when due.
   */
  private async runStep(batch: L, labeled: BatchStream<L>): Promise<void> {
    const { plan, pos, ctx } = this;
    const { options, callbacks } = plan;
    const unlabeled = this.unlabeledStream ? await this.unlabeledStream.next() : undefined;
    ctx.step = pos.step;
    ctx.batchIndex = labeled.position - 1;
    ctx.unlabeled = unlabeled;
    plan.optimizers.forEach((o, i) => {
      const s = plan.schedules[i];
      if (s) o.lr = s.lrAt(pos.step);
    });
    ctx.lr = plan.optimizers[0]?.lr ?? 0;
    let metrics: StepMetrics;
    try {
      await callbacks.call('onStepStart', ctx);
      metrics = options.step
        ? await lossStep({
            loss: options.step,
            batch,
            ctx,
            params: plan.params,
            optimizers: plan.optimizers,
            callbacks,
            gradClipNorm: options.gradClipNorm,
            nanGuard: plan.nanGuard,
            lastCheckpoint: this.lastCheckpoint,
          })
        : await customStep({ trainStep: options.trainStep!, batch, ctx, nanGuard: plan.nanGuard, lastCheckpoint: this.lastCheckpoint });
    } catch (err) {
      const e = asNonFiniteLossError(err, {
        step: pos.step + 1,
        epoch: ctx.epoch,
        lastCheckpoint: this.lastCheckpoint,
        during: 'step',
        ...(options.step ? { note: 'The update of this step was not applied.' } : {}),
      });
      if (e instanceof NonFiniteLossError) {
        this.writeRecord({ ...record('train', pos.step + 1, ctx.epoch, {}), error: 'non-finite', parts: e.parts });
        this.progress.print(`[lel] ${e.message}`);
      }
      throw e;
    } finally {
      if (plan.disposeBatches) {
        disposeBatch(batch);
        disposeBatch(unlabeled);
      }
      ctx.unlabeled = undefined;
    }
    if (options.batchSize) this.throughput.addSamples(options.batchSize(batch));
    pos.step++;
    pos.batchInEpoch = labeled.position;
    ctx.step = pos.step;
    // Drop cached normals at step boundaries so runs with and without checkpoints draw identically.
    plan.rng.state();
    plan.globalRng.state();
    for (const g of plan.moduleGenerators) g.state();
    metrics = { ...metrics, lr: ctx.lr };
    ctx.lastMetrics = metrics;
    this.lastLoss = metrics.loss ?? metrics.total;
    this.window.count++;
    this.window.epoch = ctx.epoch;
    this.window.lr = ctx.lr;
    for (const [k, v] of Object.entries(metrics)) if (k !== 'lr') this.window.sums[k] = (this.window.sums[k] ?? 0) + v;

    await callbacks.stepEnd(ctx, metrics);
    if (pos.step % plan.logEvery === 0) this.flushWindow();
    this.progress.update(this.progressState(metrics));
    if (plan.evalEvery.steps && pos.step % plan.evalEvery.steps === 0) await this.runEvaluation();
    if (plan.checkpointEvery.steps && pos.step % plan.checkpointEvery.steps === 0) await this.saveNow();
  }

  /** How the run ended (after {@link run}). */
  result(): FitResult {
    const { pos, start, plan } = this;
    const result: FitResult = {
      steps: pos.step,
      epochs: pos.epoch,
      lastLoss: this.lastLoss,
      history: this.history,
      runDir: plan.options.runDir,
      stopReason: this.stopReason ?? 'done',
      warnings: start.warnings,
    };
    if (this.lastCheckpoint) result.lastCheckpoint = this.lastCheckpoint;
    if (start.resumeDir) result.resumedFrom = start.resumeDir;
    const best = start.manager?.best;
    const earlyStopping = plan.earlyStopping;
    if (best && best.metric !== undefined && best.value !== undefined) {
      result.best = { metric: best.metric, value: best.value, step: best.step, checkpoint: start.manager!.pathOf(best) };
    } else if (earlyStopping?.best !== undefined) {
      result.best = { metric: earlyStopping.options.metric, value: earlyStopping.best, step: earlyStopping.bestStep! };
    }
    return result;
  }
}
