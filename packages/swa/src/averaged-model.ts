import * as tf from '@tensorflow/tfjs-core';
import { readScalar, type Module } from '@lel/core';

/** Options of {@link AveragedModel}. */
export interface AveragedModelOptions {
  /**
   * `swa`: equal-weight running mean `w̄ ← w̄ + (w − w̄)/(n + 1)` (Izmailov et al. 2018; torch
   * `AveragedModel`'s default `avg_fn`). `ema`: `w̄ ← decay·w̄ + (1 − decay)·w`. Default `swa`.
   */
  strategy?: 'swa' | 'ema';
  /** EMA decay in [0, 1]; used with `strategy: 'ema'`. Default 0.999 (torch `get_ema_multi_avg_fn`). */
  decay?: number;
  /**
   * Average float buffers (BatchNorm running statistics) like parameters (torch `use_buffers=True`).
   * When false (default, as torch), buffers are **copied from the model at every update**, so the
   * averaged model never evaluates with the stale statistics it was created with (pytorch #84053);
   * run {@link updateBn} to recompute them for the averaged weights. Integer buffers (batch counters)
   * are always copied.
   */
  useBuffers?: boolean;
  /** Which parameters to average: every parameter (torch) or only the trainable ones (PEFT: frozen weights never move). Default `all`. */
  parameters?: 'all' | 'trainable';
}

const N_AVERAGED = 'n_averaged';

/** A non-trainable variable that owns `init` (tf.variable keeps its own reference, so the initial tensor is released). */
function ownedVariable(init: tf.Tensor): tf.Variable {
  const v = tf.variable(init, false, undefined, init.dtype);
  init.dispose();
  return v;
}

/**
 * The averaged weights of a model (SWA running mean or EMA), kept as variables by the model's
 * hierarchical parameter names, so they can be written into the model for evaluation
 * ({@link AveragedModel.copyTo}, {@link AveragedModel.withAveragedWeights}) and saved in checkpoints
 * ({@link AveragedModel.stateDict}) exactly.
 */
export class AveragedModel {
  readonly strategy: 'swa' | 'ema';
  readonly decay: number;
  readonly useBuffers: boolean;
  readonly parameters: 'all' | 'trainable';
  private readonly params = new Map<string, tf.Variable>();
  private readonly buffers = new Map<string, tf.Variable>();
  private n = 0;
  // n is also the SWA divisor: it must survive resume exactly, so it lives in an int32 variable
  // (torch's `n_averaged` buffer) that checkpoints save beside the averages.
  private readonly nVar: tf.Variable = ownedVariable(tf.scalar(0, 'int32'));

  /** Creates empty averages shaped like `model`'s parameters; the first {@link update} copies the weights. */
  constructor(model: Module, options: AveragedModelOptions = {}) {
    this.strategy = options.strategy ?? 'swa';
    this.decay = options.decay ?? 0.999;
    this.useBuffers = options.useBuffers ?? false;
    this.parameters = options.parameters ?? 'all';
    if (this.strategy !== 'swa' && this.strategy !== 'ema') throw new Error(`AveragedModel: unknown strategy "${String(this.strategy)}"`);
    if (!(this.decay >= 0 && this.decay <= 1)) throw new Error(`AveragedModel: decay must be in [0, 1], got ${this.decay}`);
    for (const [name, v] of this.sourceParams(model)) this.params.set(name, ownedVariable(tf.zerosLike(v)));
    for (const [name, b] of model.namedBuffers()) this.buffers.set(name, ownedVariable(tf.zerosLike(b)));
  }

  /** Number of models averaged so far (torch `n_averaged`). */
  get nAveraged(): number {
    return this.n;
  }

  private sourceParams(model: Module): [string, tf.Variable][] {
    const all = model.namedParameters();
    return all.filter(([, p]) => this.parameters === 'all' || p.trainable).map(([n, p]) => [n, p.variable]);
  }

  /** Fold the model's current weights into the average (torch `update_parameters`). */
  update(model: Module): void {
    const src = new Map(this.sourceParams(model));
    const bufs = new Map(model.namedBuffers());
    this.checkSame('parameters', this.params, src);
    this.checkSame('buffers', this.buffers, bufs);
    const n = this.n;
    tf.tidy(() => {
      for (const [name, avg] of this.params) avg.assign(this.fold(avg, src.get(name)!, n));
      for (const [name, avg] of this.buffers) {
        const b = bufs.get(name)!;
        const isFloat = b.dtype === 'float32';
        avg.assign(this.useBuffers && isFloat ? this.fold(avg, b, n) : b);
      }
    });
    this.n = n + 1;
    tf.tidy(() => this.nVar.assign(tf.scalar(this.n, 'int32')));
  }

  private fold(avg: tf.Tensor, w: tf.Tensor, n: number): tf.Tensor {
    // The first update copies (both strategies), as torch does, so the average never mixes in zeros.
    if (n === 0) return w.clone();
    if (this.strategy === 'ema') return tf.add(tf.mul(avg, this.decay), tf.mul(w, 1 - this.decay));
    return tf.add(avg, tf.div(tf.sub(w, avg), n + 1));
  }

  private checkSame(what: string, own: Map<string, tf.Variable>, other: Map<string, tf.Tensor>): void {
    const missing = [...own.keys()].filter((k) => !other.has(k));
    const bad = [...own].filter(([k, v]) => other.has(k) && !tf.util.arraysEqual(v.shape, other.get(k)!.shape)).map(([k]) => k);
    if (missing.length + bad.length > 0) {
      throw new Error(
        `AveragedModel: the model's ${what} differ from the averaged ones` +
          (missing.length ? `; missing: ${missing.join(', ')}` : '') +
          (bad.length ? `; shape changed: ${bad.join(', ')}` : ''),
      );
    }
  }

  /** Live averaged parameter of `name` (do not dispose). */
  averagedParameter(name: string): tf.Tensor {
    const v = this.params.get(name);
    if (!v) throw new Error(`AveragedModel: no averaged parameter "${name}"`);
    return v;
  }

  /** Write the averaged parameters and buffers into `model` (all models averaged so far). */
  copyTo(model: Module): void {
    if (this.n === 0) throw new Error('AveragedModel.copyTo: nothing averaged yet (call update() first)');
    const params = new Map(model.namedParameters());
    const bufs = new Map(model.namedBuffers());
    for (const [name, avg] of this.params) {
      const p = params.get(name);
      if (!p) throw new Error(`AveragedModel.copyTo: the model has no parameter "${name}"`);
      p.assign(avg);
    }
    for (const [name, avg] of this.buffers) {
      const b = bufs.get(name);
      if (!b) throw new Error(`AveragedModel.copyTo: the model has no buffer "${name}"`);
      b.assign(avg);
    }
  }

  /**
   * Run `fn` with the averaged weights in `model`, then put the model's own weights (and buffers) back,
   * whatever `fn` does (evaluation, BatchNorm update, saving).
   */
  async withAveragedWeights<T>(model: Module, fn: (model: Module) => T | Promise<T>): Promise<T> {
    const saved = new Map<string, tf.Tensor>();
    for (const [name, t] of model.stateDict()) saved.set(name, t.clone());
    try {
      this.copyTo(model);
      return await fn(model);
    } finally {
      model.loadStateDict(saved, { strict: false });
      tf.dispose([...saved.values()]);
    }
  }

  /** Averages (`param/<name>`, `buffer/<name>`) and `n_averaged`, as live tensors, for checkpoints. */
  stateDict(): Map<string, tf.Tensor> {
    const out = new Map<string, tf.Tensor>();
    for (const [n, v] of this.params) out.set(`param/${n}`, v);
    for (const [n, v] of this.buffers) out.set(`buffer/${n}`, v);
    out.set(N_AVERAGED, this.nVar);
    return out;
  }

  /**
   * Restore averages saved by {@link stateDict}; every name and shape must match, else nothing changes. The count
   * `n_averaged` is read back asynchronously.
   */
  async loadStateDict(state: Map<string, tf.Tensor>): Promise<void> {
    const expected = new Set([...this.params.keys()].map((n) => `param/${n}`).concat([...this.buffers.keys()].map((n) => `buffer/${n}`), [N_AVERAGED]));
    const missing = [...expected].filter((k) => !state.has(k));
    const unexpected = [...state.keys()].filter((k) => !expected.has(k));
    if (missing.length + unexpected.length > 0) {
      throw new Error(`AveragedModel.loadStateDict: state does not match` + (missing.length ? `; missing: ${missing.join(', ')}` : '') + (unexpected.length ? `; unexpected: ${unexpected.join(', ')}` : ''));
    }
    const pairs = [...[...this.params].map(([k, x]) => [`param/${k}`, x] as const), ...[...this.buffers].map(([k, x]) => [`buffer/${k}`, x] as const)];
    for (const [name, v] of pairs) {
      const t = state.get(name)!;
      if (!tf.util.arraysEqual(t.shape, v.shape)) throw new Error(`AveragedModel.loadStateDict: "${name}" has shape [${t.shape}], expected [${v.shape}]`);
    }
    const n = await readScalar(state.get(N_AVERAGED)!);
    if (!(Number.isInteger(n) && n >= 0)) throw new Error(`AveragedModel.loadStateDict: n_averaged must be a count, got ${n}`);
    for (const [name, v] of pairs) {
      const t = state.get(name)!;
      tf.tidy(() => v.assign(t.dtype === v.dtype ? t : tf.cast(t, v.dtype)));
    }
    this.n = n;
    tf.tidy(() => this.nVar.assign(tf.scalar(n, 'int32')));
  }

  /** Release the averaged variables. */
  dispose(): void {
    for (const v of this.params.values()) v.dispose();
    for (const v of this.buffers.values()) v.dispose();
    this.nVar.dispose();
    this.params.clear();
    this.buffers.clear();
  }
}
