import * as tf from '@tensorflow/tfjs-core';
import { fusedAdamUpdate } from '../kernels/adam-update';
import { adamGroupUpdateAvailable, fusedAdamGroupUpdate, type AdamGroupEntry } from '../kernels/webgpu/adam-update';
import { Optimizer, type NamedParameter, type ParamGroup, type ParamUpdate } from './optimizer';

/** Options of {@link Adam} and {@link AdamW} (PyTorch names and defaults). */
export interface AdamOptions {
  lr: number;
  beta1?: number;
  beta2?: number;
  eps?: number;
  /** Adam: coupled L2 (`g ← g + wd·p`), default 0. AdamW: decoupled (`p ← p·(1 − lr·wd)`), default 0.01. Groups may override it. */
  weightDecay?: number;
}

/**
 * Adam, exactly as `torch.optim.Adam` (1.13, amsgrad off), with coupled L2 weight decay:
 * g ← g + wd·p; m ← β1·m + (1−β1)·g; v ← β2·v + (1−β2)·g²;
 * p ← p − (lr / (1−β1ᵗ)) · m / (√v / √(1−β2ᵗ) + eps), with t the parameter's own step count.
 *
 * Written on tfjs ops rather than `tf.train.adam` because tfjs has no AdamW and no weight decay, its
 * optimisers key state by engine variable names (so checkpoints would not be stable across runs), and
 * PyTorch-equal semantics are golden-tested. State: `exp_avg.<name>`, `exp_avg_sq.<name>`,
 * `step.<name>` (per parameter, as PyTorch, so a parameter first trained later gets its own bias
 * correction) and the global `step`.
 */
export class Adam extends Optimizer {
  readonly beta1: number;
  readonly beta2: number;
  readonly eps: number;
  protected readonly slotKinds: readonly string[] = ['exp_avg', 'exp_avg_sq'];
  protected override readonly counterKinds: readonly string[] = ['step'];

  constructor(params: NamedParameter[] | ParamGroup[], options: AdamOptions, defaultWeightDecay = 0) {
    super(params, options.lr, options.weightDecay ?? defaultWeightDecay);
    this.beta1 = options.beta1 ?? 0.9;
    this.beta2 = options.beta2 ?? 0.999;
    this.eps = options.eps ?? 1e-8;
    for (const [k, v] of [['beta1', this.beta1], ['beta2', this.beta2]] as const) {
      if (!(v >= 0 && v < 1)) throw new Error(`${this.constructor.name}: ${k} must be in [0, 1), got ${v}`);
    }
    if (!(this.eps >= 0)) throw new Error(`${this.constructor.name}: eps must be >= 0, got ${this.eps}`);
  }

  /** Weight decay as the fused group kernel takes it: coupled L2 factor and decoupled multiplier of p. */
  protected weightDecayTerms(u: ParamUpdate): { l2: number; decay: number } {
    return { l2: u.weightDecay, decay: 1 };
  }

  /** Coupled (Adam) or decoupled (AdamW) weight decay; returns the gradient to use. */
  protected applyWeightDecay(u: ParamUpdate, g: tf.Tensor): tf.Tensor {
    return u.weightDecay !== 0 ? tf.add(g, tf.mul(u.param.variable, u.weightDecay)) : g;
  }

  step(grads: Map<string, tf.Tensor>): void {
    const updates = this.updates(grads);
    tf.tidy(`${this.constructor.name}.step`, () => {
      // On webgpu every float32 parameter goes through one fused kernel call (a few dispatches) per step.
      const grouped = adamGroupUpdateAvailable();
      const batches: [AdamGroupEntry[], ParamUpdate[]][] = [
        [[], []],
        [[], []],
      ];
      for (const u of updates) {
        const key = `step.${u.name}`;
        const t = (this.counters.get(key) ?? 0) + 1;
        this.counters.set(key, t);
        if (grouped && u.param.variable.dtype === 'float32') {
          const m = this.getSlot('exp_avg', u.name);
          const v = this.getSlot('exp_avg_sq', u.name);
          const batch = batches[m && v ? 1 : 0]!;
          batch[0].push({
            p: u.param.variable,
            g: tf.cast(u.grad, 'float32'),
            ...(m && v ? { m, v } : {}),
            bc2: Math.sqrt(1 - this.beta2 ** t),
            stepSize: u.lr / (1 - this.beta1 ** t),
            ...this.weightDecayTerms(u),
          });
          batch[1].push(u);
          continue;
        }
        const g = this.applyWeightDecay(u, tf.cast(u.grad, 'float32'));
        const p = u.param.variable;
        const m0 = this.getSlot('exp_avg', u.name);
        const v0 = this.getSlot('exp_avg_sq', u.name);
        const stepSize = u.lr / (1 - this.beta1 ** t);
        const bc2 = Math.sqrt(1 - this.beta2 ** t);
        // One pass over the parameter where LEL's fused kernel exists (wasm, cpu): the same float32 operations.
        const fused = p.dtype === 'float32' ? fusedAdamUpdate(p, g, m0, v0, { beta1: this.beta1, beta2: this.beta2, eps: this.eps, bc2, stepSize }) : undefined;
        if (fused) {
          const [pNew, m, v] = fused;
          this.setSlot('exp_avg', u.name, m);
          this.setSlot('exp_avg_sq', u.name, v);
          p.assign(pNew);
          continue;
        }
        // Slots start at zero, as PyTorch's zeros_like state.
        const m = m0 ? tf.add(tf.mul(m0, this.beta1), tf.mul(g, 1 - this.beta1)) : tf.mul(g, 1 - this.beta1);
        const v = v0 ? tf.add(tf.mul(v0, this.beta2), tf.mul(tf.square(g), 1 - this.beta2)) : tf.mul(tf.square(g), 1 - this.beta2);
        this.setSlot('exp_avg', u.name, m);
        this.setSlot('exp_avg_sq', u.name, v);
        const denom = tf.add(tf.div(tf.sqrt(v), bc2), this.eps);
        p.assign(tf.sub(p, tf.mul(tf.div(m, denom), stepSize)));
      }
      for (const [entries, us] of batches) {
        if (entries.length === 0) continue;
        fusedAdamGroupUpdate(entries, this.beta1, this.beta2, this.eps).forEach(([pNew, m, v], i) => {
          const u = us[i]!;
          this.setSlot('exp_avg', u.name, m);
          this.setSlot('exp_avg_sq', u.name, v);
          u.param.variable.assign(pNew);
        });
      }
    });
    this.stepCount++;
  }
}
