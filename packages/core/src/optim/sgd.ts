import * as tf from '@tensorflow/tfjs-core';
import { Optimizer, type NamedParameter, type ParamGroup } from './optimizer';

/** Options of {@link SGD} (PyTorch names and defaults). */
export interface SGDOptions {
  lr: number;
  momentum?: number;
  dampening?: number;
  nesterov?: boolean;
  /** Coupled L2 weight decay: `g ← g + wd·p`. Groups may override it. */
  weightDecay?: number;
}

/**
 * Stochastic gradient descent with momentum, exactly as `torch.optim.SGD` (1.13):
 * g ← g + wd·p; buf ← g on a parameter's first step, else buf ← momentum·buf + (1 − dampening)·g;
 * g ← g + momentum·buf with Nesterov, else g ← buf; p ← p − lr·g.
 *
 * Written on tfjs ops rather than `tf.train.momentum` because tfjs's optimisers have no weight decay,
 * key their state by engine variable names (so checkpoints would not be stable across runs), and
 * PyTorch-equal semantics are golden-tested. State: `momentum_buffer.<param name>` and `step`.
 */
export class SGD extends Optimizer {
  readonly momentum: number;
  readonly dampening: number;
  readonly nesterov: boolean;
  protected readonly slotKinds: readonly string[];

  constructor(params: NamedParameter[] | ParamGroup[], options: SGDOptions) {
    super(params, options.lr, options.weightDecay ?? 0);
    this.momentum = options.momentum ?? 0;
    this.dampening = options.dampening ?? 0;
    this.nesterov = options.nesterov ?? false;
    if (!(this.momentum >= 0)) throw new Error(`SGD: momentum must be >= 0, got ${this.momentum}`);
    if (this.nesterov && (this.momentum <= 0 || this.dampening !== 0)) {
      throw new Error('SGD: nesterov needs momentum > 0 and dampening 0');
    }
    this.slotKinds = this.momentum !== 0 ? ['momentum_buffer'] : [];
  }

  step(grads: Map<string, tf.Tensor>): void {
    const updates = this.updates(grads);
    tf.tidy('SGD.step', () => {
      for (const u of updates) {
        const p = u.param.variable;
        let g = tf.cast(u.grad, 'float32');
        if (u.weightDecay !== 0) g = tf.add(g, tf.mul(p, u.weightDecay));
        if (this.momentum !== 0) {
          const prev = this.getSlot('momentum_buffer', u.name);
          const buf = prev ? tf.add(tf.mul(prev, this.momentum), tf.mul(g, 1 - this.dampening)) : g;
          this.setSlot('momentum_buffer', u.name, buf);
          g = this.nesterov ? tf.add(g, tf.mul(buf, this.momentum)) : buf;
        }
        p.assign(tf.sub(p, tf.mul(g, u.lr)));
      }
    });
    this.stepCount++;
  }
}
