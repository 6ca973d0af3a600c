import * as tf from '@tensorflow/tfjs-core';
import type { Callback, TrainContext } from './types';

/** Whether `value` improves on `best` in direction `mode`. */
export function improves(value: number, best: number | undefined, mode: 'min' | 'max', minDelta = 0): boolean {
  if (!Number.isFinite(value)) return false;
  if (best === undefined) return true;
  return mode === 'max' ? value > best + minDelta : value < best - minDelta;
}

/** Options of {@link EarlyStopping} (and `fit`'s `earlyStopping`). */
export interface EarlyStoppingOptions {
  /** Evaluation metric to watch (a key of what `evaluate` returns). */
  metric: string;
  mode: 'min' | 'max';
  /** Evaluations without improvement before stopping. */
  patience: number;
  /** Smallest change that counts as an improvement. Default 0. */
  minDelta?: number;
  /**
   * Keep a copy of the weights at the best evaluation and put them back when training ends (stopped
   * early or not). The copy is saved in checkpoints, so it survives a resume.
   */
  restoreBest?: boolean;
}

/**
 * Stops training when an evaluation metric has not improved for `patience` evaluations (Keras
 * `EarlyStopping`, with a working `restoreBestWeights`). A callback: `fit({ earlyStopping })` adds one,
 * or pass it in `callbacks` yourself.
 */
export class EarlyStopping implements Callback {
  readonly name = 'earlyStopping';
  readonly options: Required<EarlyStoppingOptions>;
  /** Best value seen and the step of that evaluation. */
  best: number | undefined;
  bestStep: number | undefined;
  /** Evaluations since the last improvement. */
  wait = 0;
  /** Step at which it asked to stop, if it did. */
  stoppedAt: number | undefined;
  private bestWeights: Map<string, tf.Tensor> | undefined;

  constructor(options: EarlyStoppingOptions) {
    if (!Number.isInteger(options.patience) || options.patience < 1) {
      throw new Error(`earlyStopping.patience must be an integer >= 1, got ${options.patience}`);
    }
    if (options.mode !== 'min' && options.mode !== 'max') throw new Error(`earlyStopping.mode must be "min" or "max", got ${String(options.mode)}`);
    this.options = { minDelta: 0, restoreBest: false, ...options };
  }

  onEvaluate(metrics: Record<string, number>, ctx: TrainContext): void {
    const { metric, mode, patience, minDelta } = this.options;
    const v = metrics[metric];
    if (v === undefined) {
      throw new Error(`earlyStopping.metric "${metric}" is not among the evaluation metrics (${Object.keys(metrics).join(', ') || 'none'})`);
    }
    if (improves(v, this.best, mode, minDelta)) {
      this.best = v;
      this.bestStep = ctx.step;
      this.wait = 0;
      if (this.options.restoreBest) this.snapshot(ctx);
      return;
    }
    this.wait++;
    if (this.wait >= patience) {
      this.stoppedAt = ctx.step;
      ctx.requestStop(`early stopping: ${metric} has not improved for ${patience} evaluation(s) (best ${this.best} at step ${this.bestStep})`);
    }
  }

  private snapshot(ctx: TrainContext): void {
    const next = new Map<string, tf.Tensor>();
    for (const [key, m] of Object.entries(ctx.modules)) for (const [n, t] of m.stateDict()) next.set(`${key}.${n}`, tf.clone(t));
    this.disposeWeights();
    this.bestWeights = next;
  }

  onTrainEnd(ctx: TrainContext): void {
    if (!this.options.restoreBest || !this.bestWeights) return;
    for (const [key, m] of Object.entries(ctx.modules)) {
      const sub = new Map<string, tf.Tensor>();
      for (const [n, t] of this.bestWeights) if (n.startsWith(key + '.')) sub.set(n.slice(key.length + 1), t);
      m.loadStateDict(sub, { strict: false });
    }
    ctx.print(`[lel] early stopping: restored the weights of step ${this.bestStep} (${this.options.metric} = ${this.best})`);
  }

  state(): unknown {
    return { best: this.best ?? null, bestStep: this.bestStep ?? null, wait: this.wait, stoppedAt: this.stoppedAt ?? null };
  }

  loadState(s: unknown): void {
    const st = s as { best: number | null; bestStep: number | null; wait: number; stoppedAt: number | null };
    this.best = st.best ?? undefined;
    this.bestStep = st.bestStep ?? undefined;
    this.wait = st.wait;
    this.stoppedAt = st.stoppedAt ?? undefined;
  }

  tensors(): Map<string, tf.Tensor> {
    return this.bestWeights ?? new Map();
  }

  loadTensors(tensors: Map<string, tf.Tensor>): void {
    this.disposeWeights();
    if (tensors.size > 0) this.bestWeights = new Map([...tensors].map(([k, t]) => [k, tf.clone(t)]));
  }

  private disposeWeights(): void {
    if (this.bestWeights) tf.dispose([...this.bestWeights.values()]);
    this.bestWeights = undefined;
  }

  /** Release the copy of the best weights. */
  dispose(): void {
    this.disposeWeights();
  }
}
