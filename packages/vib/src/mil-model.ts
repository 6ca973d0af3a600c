import * as tf from '@tensorflow/tfjs-core';
import { Dropout, Linear, Module, globalRng, scoped } from '@lel/core';
import type { Rng } from '@lel/core';
import { GatedAttentionPool } from './gated-attention';
import { relaxedBernoulliMask } from './bernoulli-mask';
import { assertFloatRank } from './validate';

/** Options of {@link BernoulliMaskMil} (defaults: the official code, see `MilIbConfigSchema`). */
export interface BernoulliMaskMilOptions {
  inputDim?: number;
  hiddenDim?: number;
  attentionDim?: number;
  numClasses?: number;
  dropout?: number;
  temperature?: number;
  numSamples?: number;
  threshold?: number;
  topK?: number;
  /** false: plain CLAM-SB (no gate, no mask, no top-k). Default true. */
  useIb?: boolean;
  /** Generator for the initial weights (default: the global one). */
  rng?: Rng;
  /**
   * Generator for the dropout masks (default: the global one at call time); the `dropout` module registers it
   * (`dropout.rng`) when `dropout` > 0, so checkpoints save its state and a resumed `fit` draws the same masks.
   */
  dropoutRng?: Rng;
}

/** Options of {@link BernoulliMaskMil.forward}. */
export interface MilForwardOptions {
  /** Uniforms [N, numSamples] of the relaxed Bernoulli (training with the IB); drawn from `rng` when absent. */
  u?: tf.Tensor;
  /** Generator for `u` (default: the global one). */
  rng?: Rng;
}

/** What {@link BernoulliMaskMil.forward} returns; the caller disposes every tensor. */
export interface MilOutput {
  /** Bag logits [1, C]. */
  logits: tf.Tensor2D;
  probabilities: tf.Tensor2D;
  /** Attention over the instances the pool saw [1, N'] (N' = k at test time with the IB). */
  attention: tf.Tensor2D;
  /** Gate scores s [N] (null without the IB). */
  gateLogits: tf.Tensor1D | null;
  /** Instance mask (z + σ(s))/(1 + threshold) [N] in training with the IB, else null. */
  mask: tf.Tensor1D | null;
  /** Indices of the kept instances (top-k by s, in descending score) at test time with the IB, else null. */
  kept: tf.Tensor1D | null;
}

/**
 * The Bernoulli-mask information bottleneck for multiple-instance learning (Li et al., "Task-specific
 * Fine-tuning via Variational Information Bottleneck for Weakly-supervised Pathology Whole Slide Image
 * Classification", CVPR 2023; `invoker-LL/WSI-finetuning:models/vib_clam_wsi.py`), on one bag x [N, inputDim]:
 * h = dropout(ReLU(`fc`(x))); gate scores s = `gate`(h) [N]. Training: h ← relaxed-Bernoulli mask ⊙ h
 * ({@link relaxedBernoulliMask}, S samples, temperature 0.1). Test: keep the top-k instances by s
 * (k = min(topK, N)). Then CLAM-SB gated attention pooling and the bag classifier (`pool`).
 */
export class BernoulliMaskMil extends Module {
  readonly fc: Linear;
  readonly dropout: Dropout;
  readonly gate: Linear | null;
  readonly pool: GatedAttentionPool;
  readonly inputDim: number;
  readonly numSamples: number;
  readonly temperature: number;
  readonly threshold: number;
  readonly topK: number;
  readonly useIb: boolean;

  constructor(options: BernoulliMaskMilOptions = {}) {
    super();
    this.inputDim = options.inputDim ?? 1024;
    const hidden = options.hiddenDim ?? 512;
    this.numSamples = options.numSamples ?? 10;
    this.temperature = options.temperature ?? 0.1;
    this.threshold = options.threshold ?? 0.1;
    this.topK = options.topK ?? 1024;
    this.useIb = options.useIb ?? true;
    for (const [arg, v] of [['inputDim', this.inputDim], ['hiddenDim', hidden], ['numSamples', this.numSamples], ['topK', this.topK]] as const) {
      if (!(Number.isInteger(v) && v > 0)) throw new Error(`BernoulliMaskMil: ${arg} must be a positive integer, got ${v}`);
    }
    const rng = options.rng ?? globalRng();
    this.fc = this.registerModule('fc', new Linear(this.inputDim, hidden, { rng }));
    this.dropout = this.registerModule('dropout', new Dropout(options.dropout ?? 0.25, options.dropoutRng));
    this.gate = this.useIb ? this.registerModule('gate', new Linear(hidden, 1, { rng })) : null;
    this.pool = this.registerModule('pool', new GatedAttentionPool(hidden, options.attentionDim ?? 256, options.numClasses ?? 2, { rng }));
  }

  /** Classify one bag x [N, inputDim] (N ≥ 1); see {@link MilOutput}. */
  forward(x: tf.Tensor, options: MilForwardOptions = {}): MilOutput {
    assertFloatRank('BernoulliMaskMil', 'x', x, 2, '[instances, features]');
    const n = x.shape[0]!;
    if (n === 0) throw new Error('BernoulliMaskMil: the bag is empty (x has 0 instances); a bag needs at least one instance');
    if (x.shape[1] !== this.inputDim) throw new Error(`BernoulliMaskMil: x has ${x.shape[1]} features per instance, the model was built for ${this.inputDim}`);
    const training = this.training;
    if (this.useIb && training && options.u && !tf.util.arraysEqual(options.u.shape, [n, this.numSamples])) {
      throw new Error(`BernoulliMaskMil: u must have shape [${n},${this.numSamples}] ([instances, numSamples]), got [${options.u.shape}]`);
    }
    const r = scoped('BernoulliMaskMil', (): Record<string, tf.Tensor> => {
      const h = this.dropout.forward(tf.relu(this.fc.forward(x))) as tf.Tensor2D;
      if (!this.gate) {
        const out = this.pool.forward(h);
        return { logits: out.logits, probabilities: out.probabilities, attention: out.attention };
      }
      const s = tf.reshape(this.gate.forward(h), [n]) as tf.Tensor1D;
      if (training) {
        const u = options.u ?? (options.rng ?? globalRng()).uniformTensor([n, this.numSamples]);
        const m = relaxedBernoulliMask(s, u, h, { temperature: this.temperature, threshold: this.threshold });
        const out = this.pool.forward(m.hMasked);
        return { logits: out.logits, probabilities: out.probabilities, attention: out.attention, gateLogits: s, mask: m.mask };
      }
      // Test time: no sampling; the top-k instances by log σ(s) (monotone in s) go through unscaled.
      const k = Math.min(this.topK, n);
      const kept = tf.topk(s, k).indices as tf.Tensor1D;
      const out = this.pool.forward(tf.gather(h, kept) as tf.Tensor2D);
      return { logits: out.logits, probabilities: out.probabilities, attention: out.attention, gateLogits: s, kept };
    });
    return {
      logits: r.logits as tf.Tensor2D,
      probabilities: r.probabilities as tf.Tensor2D,
      attention: r.attention as tf.Tensor2D,
      gateLogits: (r.gateLogits as tf.Tensor1D | undefined) ?? null,
      mask: (r.mask as tf.Tensor1D | undefined) ?? null,
      kept: (r.kept as tf.Tensor1D | undefined) ?? null,
    };
  }
}
