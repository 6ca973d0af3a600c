import * as tf from '@tensorflow/tfjs-core';
import { Conv2d, Module, scoped, type Rng } from '@lel/core';
import { assertOrdering, visitRank } from './orderings';

const maskCache = new Map<string, Uint8Array>();

/**
 * Causal attention mask of ordering `o` on an H × W map: [HW, HW] row-major 0/1, entry (j, i) = 1 when query pixel j
 * (raster index y·W + x) may attend to key pixel i, i.e. rank_o(i) ≤ rank_o(j) (itself included). Rows are indexed
 * by raster position and compared through each ordering's visit rank, which is right for all 8 orderings (the
 * public re-implementation indexes rows by scan step instead, correct only for ordering 1). Ordering 0: all ones.
 */
export function attentionMask(height: number, width: number, o: number): Uint8Array {
  assertOrdering('attentionMask', o);
  const key = `${height}x${width}/${o}`;
  const hit = maskCache.get(key);
  if (hit) return hit;
  const n = height * width;
  const rank = visitRank(height, width, o);
  const m = new Uint8Array(n * n);
  for (let j = 0; j < n; j++) {
    const rj = rank[j]!;
    for (let i = 0; i < n; i++) m[j * n + i] = o === 0 || rank[i]! <= rj ? 1 : 0;
  }
  if (maskCache.size > 64) maskCache.clear();
  maskCache.set(key, m);
  return m;
}

/** Options of {@link MaskedSelfAttention}. */
export interface MaskedSelfAttentionOptions {
  /** Query/key width. Default inChannels / 2 (the re-implementation's attentionLayer(128, 64, 64) and (256, 128, 128)). */
  dk?: number;
  /** Value width. Default = dk. */
  dv?: number;
  rng?: Rng;
}

/**
 * Single-head masked self-attention over all pixels of a feature map ("A" variants of Ouali et al.): 1×1 convs to
 * Q, K, V; softmax(Q Kᵀ / √dk) restricted to each query's past under the ordering (masked logits, so the weights
 * renormalise over the visible pixels); A·V; 1×1 conv dv → C; concatenation with the input; 1×1 conv 2C → C.
 * The output at a pixel depends only on pixels visited no later than it in the ordering.
 */
export class MaskedSelfAttention extends Module {
  readonly dk: number;
  readonly dv: number;
  readonly q: Conv2d;
  readonly k: Conv2d;
  readonly v: Conv2d;
  readonly proj: Conv2d;
  readonly merge: Conv2d;

  constructor(
    readonly inChannels: number,
    options: MaskedSelfAttentionOptions = {},
  ) {
    super();
    this.dk = options.dk ?? Math.max(1, Math.floor(inChannels / 2));
    this.dv = options.dv ?? this.dk;
    const rng = options.rng;
    this.q = this.registerModule('q', new Conv2d(inChannels, this.dk, 1, { rng }));
    this.k = this.registerModule('k', new Conv2d(inChannels, this.dk, 1, { rng }));
    this.v = this.registerModule('v', new Conv2d(inChannels, this.dv, 1, { rng }));
    this.proj = this.registerModule('proj', new Conv2d(this.dv, inChannels, 1, { rng }));
    this.merge = this.registerModule('merge', new Conv2d(2 * inChannels, inChannels, 1, { rng }));
  }

  /** x [B, H, W, C] → [B, H, W, C] under ordering `o` (0 = unmasked). */
  forward(x: tf.Tensor, o: number): tf.Tensor4D {
    assertOrdering('MaskedSelfAttention', o);
    if (x.rank !== 4 || x.shape[3] !== this.inChannels) throw new Error(`MaskedSelfAttention: x must be [B, H, W, ${this.inChannels}], got [${x.shape}]`);
    return scoped('MaskedSelfAttention', () => {
      const [b, h, w] = x.shape as [number, number, number, number];
      const n = h * w;
      const q = tf.reshape(this.q.forward(x), [b, n, this.dk]);
      const k = tf.reshape(this.k.forward(x), [b, n, this.dk]);
      const v = tf.reshape(this.v.forward(x), [b, n, this.dv]);
      let logits = tf.mul(tf.matMul(q, k, false, true), 1 / Math.sqrt(this.dk)); // [B, N(query), N(key)]
      if (o !== 0) {
        const m = attentionMask(h, w, o);
        const bias = tf.tensor2d(Float32Array.from(m, (a) => (a ? 0 : -1e9)), [n, n]);
        logits = tf.add(logits, bias);
      }
      const att = tf.softmax(logits, -1);
      const o4 = tf.reshape(tf.matMul(att, v), [b, h, w, this.dv]);
      return this.merge.forward(tf.concat([this.proj.forward(o4), x], 3));
    });
  }
}
