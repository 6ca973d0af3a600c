import * as tf from '@tensorflow/tfjs-core';
import './register-gradients';
import { Module } from '../module/module';
import type { Rng } from '../random/rng';
import { scoped } from '../scope';
import { dropout } from './dropout';
import { Linear } from './linear';
import { assertFloat, assertLastDim, assertPositiveInt, assertProbability, assertRank } from './validate';

/** Options of {@link MultiHeadAttention}. */
export interface MultiHeadAttentionOptions {
  /** Dropout on the attention probabilities in training mode (default 0). */
  dropout?: number;
  /** Biases in the four projections (default true). */
  bias?: boolean;
  /**
   * Generator for the initial weights and the dropout masks (default the global one, the masks then drawn from it
   * at call time). With `dropout` > 0 it is registered as the module's generator `rng` (e.g. `attention.rng`), so
   * checkpoints save its state and a resumed `fit` draws the same masks as an uninterrupted run.
   */
  rng?: Rng;
}

/** Inputs of {@link MultiHeadAttention.forward} besides q, k, v. */
export interface AttentionForwardOptions {
  /**
   * Added to the attention logits before the softmax; broadcastable to `[B, heads, Lq, Lk]` (e.g. BERT's
   * `[B, 1, 1, Lk]` with 0 for kept and a large negative value for padded keys, or a causal `[Lq, Lk]`).
   */
  additiveMask?: tf.Tensor;
}

/**
 * Multi-head scaled dot-product attention (BERT/`nn.MultiheadAttention` layout, batch first): sub-modules
 * `query`, `key`, `value`, `out` (Linear dModel→dModel). softmax(q·kᵀ/√dHead + mask) · v per head, heads
 * concatenated, then `out`.
 */
export class MultiHeadAttention extends Module {
  readonly query: Linear;
  readonly key: Linear;
  readonly value: Linear;
  readonly out: Linear;
  readonly headDim: number;
  readonly dropout: number;
  private readonly rng: Rng | undefined;

  constructor(
    readonly dModel: number,
    readonly numHeads: number,
    options: MultiHeadAttentionOptions = {},
  ) {
    super();
    assertPositiveInt('MultiHeadAttention', 'dModel', dModel);
    assertPositiveInt('MultiHeadAttention', 'numHeads', numHeads);
    if (dModel % numHeads !== 0) throw new Error(`MultiHeadAttention: dModel (${dModel}) must be divisible by numHeads (${numHeads})`);
    this.dropout = options.dropout ?? 0;
    assertProbability('MultiHeadAttention', 'dropout', this.dropout);
    this.headDim = dModel / numHeads;
    this.rng = options.rng;
    // Drawn from while running only with dropout; used for the initial weights alone it needs no registration.
    if (options.rng && this.dropout > 0) this.registerGenerator('rng', options.rng);
    const lin = { bias: options.bias ?? true, rng: options.rng };
    this.query = this.registerModule('query', new Linear(dModel, dModel, lin));
    this.key = this.registerModule('key', new Linear(dModel, dModel, lin));
    this.value = this.registerModule('value', new Linear(dModel, dModel, lin));
    this.out = this.registerModule('out', new Linear(dModel, dModel, lin));
  }

  /** q `[B, Lq, dModel]`, k and v `[B, Lk, dModel]` → `[B, Lq, dModel]`. */
  forward(q: tf.Tensor, k: tf.Tensor, v: tf.Tensor, options: AttentionForwardOptions = {}): tf.Tensor {
    return scoped('MultiHeadAttention', () => {
      for (const [name, t] of [['q', q], ['k', k], ['v', v]] as const) {
        assertRank('MultiHeadAttention', name, t, 3, '[batch, length, dModel]');
        assertFloat('MultiHeadAttention', name, t);
        assertLastDim('MultiHeadAttention', name, t, this.dModel);
      }
      const [b, lq] = q.shape as number[];
      const lk = k.shape[1]!;
      if (k.shape[0] !== b || v.shape[0] !== b) throw new Error(`MultiHeadAttention: batch sizes differ: q [${q.shape}], k [${k.shape}], v [${v.shape}]`);
      if (v.shape[1] !== lk) throw new Error(`MultiHeadAttention: k and v must have the same length, got [${k.shape}] and [${v.shape}]`);
      const h = this.numHeads;
      const dh = this.headDim;
      const split = (t: tf.Tensor, len: number, perm: number[]) => tf.transpose(tf.reshape(t, [b!, len, h, dh]), perm);
      const qh = split(this.query.forward(q), lq!, [0, 2, 1, 3]); // [B, H, Lq, dh]
      const khT = split(this.key.forward(k), lk, [0, 2, 3, 1]); // [B, H, dh, Lk]: explicit transpose, plain matMul
      const vh = split(this.value.forward(v), lk, [0, 2, 1, 3]); // [B, H, Lk, dh]
      let scores = tf.mul(tf.matMul(qh, khT), 1 / Math.sqrt(dh));
      if (options.additiveMask) {
        const mask = options.additiveMask;
        try {
          tf.broadcast_util.assertAndGetBroadcastShape(mask.shape, scores.shape);
        } catch {
          throw new Error(`MultiHeadAttention: additiveMask of shape [${mask.shape}] does not broadcast to [${scores.shape}]`);
        }
        scores = tf.add(scores, mask);
      }
      let probs = tf.softmax(scores);
      if (this.training && this.dropout > 0) probs = dropout(probs, this.dropout, this.rng);
      const ctx = tf.reshape(tf.transpose(tf.matMul(probs, vh), [0, 2, 1, 3]), [b!, lq!, this.dModel]);
      return this.out.forward(ctx);
    });
  }
}
