import * as tf from '@tensorflow/tfjs-core';
import { requireNodeHost, type Callback, type Module, type TrainContext } from '@lel/core';
import { AveragedModel } from './averaged-model';
import { averagingPlan, type AveragingPlan } from './swa-start-schedule';
import { SwaConfig, type SwaConfigInput } from './config';
import { updateBn, type UpdateBnOptions } from './update-bn';

/** Options of {@link SwaCallback}: the {@link SwaConfig} fields plus the run-specific hooks. */
export interface SwaCallbackOptions<B = unknown> extends SwaConfigInput {
  /** Checkpoint key of the callback state. Default `swa`. */
  name?: string;
  /** Which of `fit`'s `modules` to average (by name). Default: `fit`'s `model` (or its first module). */
  module?: string;
  /**
   * Total units (steps or epochs, per `unit`) that `swaStart` is a fraction of. Default: the loop's planned
   * total steps (`fit`'s `maxSteps`, or `epochs` × steps per epoch), divided by the steps per epoch for
   * `unit: 'epoch'`.
   */
  totalUnits?: number;
  /**
   * Evaluate the averaged weights: called with the averaged weights swapped into the model (eval mode)
   * after each of the loop's evaluations and at the end. Its metrics are logged with a `swa_` prefix and
   * added to the loop's evaluation metrics (so `checkpoint.best` may select on them).
   */
  evaluate?: (model: Module, ctx: TrainContext) => Promise<Record<string, number>> | Record<string, number>;
  /** Batches for the BatchNorm statistics pass ({@link updateBn}) run on the averaged weights before each evaluation and at the end. */
  bnData?: () => Iterable<B> | AsyncIterable<B>;
  /** How to run the model on a `bnData` batch. */
  bnForward?: UpdateBnOptions<B>['forward'];
  /** Also write the final averaged weights as `<runDir>/swa.safetensors` (model tensor names). Default true when the run has a folder. */
  saveAveraged?: boolean;
}

/** JSON state saved in checkpoints. */
interface SwaState {
  nAveraged: number;
}

/**
 * Stochastic weight averaging (or EMA) as a `fit` callback. Averaging starts after `swaStart` of training
 * and happens every `every` steps (`unit: 'step'`, PLM fine-tuning style) or epochs (`unit: 'epoch'`,
 * vision style); the rule is {@link averagingPlan}'s. The averaged weights live beside the model: they
 * are saved in every checkpoint and restored exactly on resume, evaluated through `evaluate` with the
 * model's own weights put back afterwards, BatchNorm statistics are recomputed for them when `bnData` is
 * given, and at the end they replace the model's weights (`applyAtEnd`).
 *
 * The callback never touches the learning rate: give `fit` a {@link swaLrSchedule} (which wraps the run's
 * own schedule) for SWALR-style annealing, or keep a constant high rate as in PLM fine-tuning.
 */
export class SwaCallback<B = unknown> implements Callback {
  readonly name: string;
  readonly config: SwaConfig;
  private readonly options: SwaCallbackOptions<B>;
  private averaged: AveragedModel | null = null;
  private pending: Map<string, tf.Tensor> | null = null;
  private plan: AveragingPlan | null = null;
  /** Metrics of the last evaluation of the averaged weights. */
  lastEval: Record<string, number> | undefined;
  /** Steps (1-based, steps completed) after which the model was averaged in this process. */
  readonly averagedAt: number[] = [];

  constructor(options: SwaCallbackOptions<B> = {}) {
    // Everything that is not a run hook is configuration, validated (and defaulted) by the strict schema.
    const { name, totalUnits, module: _module, evaluate: _evaluate, bnData: _bnData, bnForward: _bnForward, saveAveraged: _save, ...config } = options;
    if (totalUnits !== undefined && !(Number.isInteger(totalUnits) && totalUnits >= 1)) {
      throw new Error(`SwaCallback: totalUnits must be a positive integer, got ${totalUnits}`);
    }
    this.name = name ?? 'swa';
    this.config = SwaConfig.parse(config);
    this.options = options;
  }

  /** The averaged weights (null before training starts). */
  get averagedModel(): AveragedModel | null {
    return this.averaged;
  }

  /** The module being averaged. */
  private target(ctx: TrainContext): Module {
    const which = this.options.module;
    if (which === undefined) return ctx.model;
    const m = ctx.modules[which];
    if (!m) throw new Error(`SwaCallback: fit has no module "${which}" (modules: ${Object.keys(ctx.modules).join(', ')})`);
    return m;
  }

  async onTrainStart(ctx: TrainContext): Promise<void> {
    if (!this.averaged) {
      this.averaged = new AveragedModel(this.target(ctx), {
        strategy: this.config.strategy,
        decay: this.config.decay,
        useBuffers: this.config.useBuffers,
        parameters: this.config.parameters,
      });
    }
    await this.applyPending();
  }

  /** Restore averages handed over by {@link loadTensors} once the averaged model exists. */
  private async applyPending(): Promise<void> {
    if (!this.pending || !this.averaged) return;
    try {
      await this.averaged.loadStateDict(this.pending);
    } finally {
      tf.dispose([...this.pending.values()]);
      this.pending = null;
    }
  }

  private planFor(ctx: TrainContext, stepsPerEpoch: number | undefined): AveragingPlan | null {
    if (this.plan) return this.plan;
    let total = this.options.totalUnits;
    if (total === undefined && ctx.totalSteps !== undefined) {
      if (this.config.unit === 'step') total = ctx.totalSteps;
      else if (stepsPerEpoch) total = Math.round(ctx.totalSteps / stepsPerEpoch);
    }
    if (total === undefined) return null;
    this.plan = averagingPlan({ totalSteps: total, swaStart: this.config.swaStart, every: this.config.every });
    return this.plan;
  }

  onStepEnd(ctx: TrainContext): void {
    if (this.config.unit !== 'step') return;
    const plan = this.planFor(ctx, undefined);
    if (!plan) {
      throw new Error('SwaCallback: the total number of steps is unknown; give fit `maxSteps` or `stepsPerEpoch`, or the callback `totalUnits`');
    }
    if (plan.shouldAverage(ctx.step)) this.average(ctx);
  }

  onEpochEnd(ctx: TrainContext): void {
    if (this.config.unit !== 'epoch') return;
    const epochsDone = ctx.epoch + 1;
    const plan = this.planFor(ctx, ctx.step / epochsDone);
    if (!plan) throw new Error('SwaCallback: the number of epochs is unknown; give the callback `totalUnits`');
    if (plan.shouldAverage(epochsDone)) this.average(ctx);
  }

  private average(ctx: TrainContext): void {
    this.averaged!.update(this.target(ctx));
    this.averagedAt.push(ctx.step);
  }

  async onEvaluate(metrics: Record<string, number>, ctx: TrainContext): Promise<void> {
    if (!this.options.evaluate || !this.averaged || this.averaged.nAveraged === 0) return;
    const m = await this.evaluateAveraged(ctx);
    for (const [k, v] of Object.entries(m)) metrics[`swa_${k}`] = v;
  }

  /** Evaluate the averaged weights (BN statistics recomputed first when `bnData` is given); the model's weights are restored afterwards. */
  async evaluateAveraged(ctx: TrainContext): Promise<Record<string, number>> {
    const evaluate = this.options.evaluate;
    if (!evaluate) throw new Error('SwaCallback: no evaluate function was given');
    if (!this.averaged || this.averaged.nAveraged === 0) throw new Error('SwaCallback: nothing averaged yet');
    const m = await this.averaged.withAveragedWeights(this.target(ctx), async (model) => {
      await this.refreshBn(model);
      const modes = model.namedModules().map(([, x]) => [x, x.training] as const);
      model.eval();
      try {
        return await evaluate(model, ctx);
      } finally {
        for (const [x, t] of modes) x.training = t;
      }
    });
    this.lastEval = m;
    ctx.print(`[swa] averaged weights (${this.averaged.nAveraged} models): ${Object.entries(m).map(([k, v]) => `${k}=${v.toFixed(4)}`).join(', ')}`);
    return m;
  }

  private async refreshBn(model: Module): Promise<void> {
    if (!this.options.bnData) return;
    const report = await updateBn(model, this.options.bnData(), this.options.bnForward ? { forward: this.options.bnForward } : {});
    if (report.note) this.noteOnce(report.note);
  }

  private noted = false;
  private noteOnce(note: string): void {
    if (this.noted) return;
    this.noted = true;
    console.warn(`[swa] ${note}`);
  }

  /**
   * Copy the averaged weights into `model` and recompute its BatchNorm statistics (with `bnData`): what
   * `applyAtEnd` does at the end of training, for a run built with `applyAtEnd: false` that first scores its
   * last iterate. Throws when nothing was averaged.
   */
  async applyAveraged(model: Module): Promise<void> {
    if (!this.averaged || this.averaged.nAveraged === 0) throw new Error('SwaCallback.applyAveraged: nothing averaged yet');
    this.averaged.copyTo(model);
    await this.refreshBn(model);
  }

  async onTrainEnd(ctx: TrainContext): Promise<void> {
    const avg = this.averaged;
    if (!avg || avg.nAveraged === 0) {
      ctx.print('[swa] training ended before averaging started; the model keeps its last weights');
      return;
    }
    if (this.options.evaluate) await this.evaluateAveraged(ctx);
    const metadata = { format: 'lel-swa-averaged', n_averaged: String(avg.nAveraged), strategy: this.config.strategy };
    // A run folder exists only in Node (its host writes the file).
    const host = ctx.runDir && (this.options.saveAveraged ?? true) ? requireNodeHost('SwaCallback: saveAveraged') : undefined;
    const path = host && ctx.runDir ? host.join(ctx.runDir, 'swa.safetensors') : undefined;
    if (this.config.applyAtEnd) {
      const model = this.target(ctx);
      avg.copyTo(model);
      await this.refreshBn(model);
      if (host && path) await host.writeSafetensorsFile(path, model.stateDict(), metadata);
    } else if (path) {
      await avg.withAveragedWeights(this.target(ctx), async (model) => {
        await this.refreshBn(model);
        await host!.writeSafetensorsFile(path, model.stateDict(), metadata);
      });
    }
    if (path) ctx.print(`[swa] averaged weights written to ${path}`);
  }

  state(): SwaState {
    return { nAveraged: this.averaged?.nAveraged ?? 0 };
  }

  loadState(state: unknown): void {
    const s = state as Partial<SwaState> | null;
    if (!s || typeof s.nAveraged !== 'number') throw new Error('SwaCallback: saved state is not an SWA state');
  }

  tensors(): Map<string, tf.Tensor> {
    return this.averaged ? this.averaged.stateDict() : new Map();
  }

  async loadTensors(tensors: Map<string, tf.Tensor>): Promise<void> {
    if (tensors.size === 0) return;
    // The loop disposes `tensors` after this call; keep copies until the model is known.
    if (this.pending) tf.dispose([...this.pending.values()]);
    this.pending = new Map([...tensors].map(([k, t]) => [k, t.clone()]));
    await this.applyPending();
  }

  /** Release the averaged weights. */
  dispose(): void {
    this.averaged?.dispose();
    this.averaged = null;
    if (this.pending) tf.dispose([...this.pending.values()]);
    this.pending = null;
  }
}
