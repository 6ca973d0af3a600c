import * as tf from '@tensorflow/tfjs-core';
import { Dropout, Linear, Module, Sequential, Sigmoid, Tanh, ReLU, globalRng, scoped } from '@lel/core';
import type { Parameter, Rng, TensorModule } from '@lel/core';
import { assertFloatRank } from './validate';

/** MLP activation of the VIB head (`--activation` of the official code). */
export type VibActivation = 'relu' | 'tanh' | 'sigmoid';

/** Options of {@link VibHead}. */
export interface VibHeadOptions {
  /** K, bottleneck size (official argparse default 128; vibert.sh 384). */
  ibDim?: number;
  /** MLP activation, default 'relu'. */
  activation?: VibActivation;
  /** Dropout on the pooled input, active in training (BERT's hidden_dropout_prob, 0.1). */
  dropout?: number;
  /** S, samples of z per input in training (default 5). */
  sampleSize?: number;
  /** The β = 0 ablation: classifier on μ in training too, no sampling. Default false. */
  deterministic?: boolean;
  /**
   * Standard deviation of the initial dense weights (biases start at 0): the head belongs to a
   * `BertPreTrainedModel` in the official code, so `init_weights` gives it N(0, initializer_range = 0.02).
   * `null` keeps PyTorch's `nn.Linear` default (U(±1/√fan_in)), which suits narrow heads on small encoders:
   * with widths of a few dozen, four N(0, 0.02) layers shrink the signal a thousandfold.
   */
  initStd?: number | null;
  /** Generator for the initial weights and the prior (default: the global one). */
  rng?: Rng;
  /**
   * Generator for the dropout masks (default: the global one at call time); the `dropout` module registers it
   * (`dropout.rng`) when `dropout` > 0, so checkpoints save its state and a resumed `fit` draws the same masks.
   */
  dropoutRng?: Rng;
}

/** Options of {@link VibHead.forward}. */
export interface VibForwardOptions {
  /** Sampling noise ε [S, B, K] (training only); drawn from `rng` when absent. */
  eps?: tf.Tensor;
  /** Generator for ε when `eps` is not given (default: the global one). */
  rng?: Rng;
}

/** What {@link VibHead.forward} returns; the caller owns (and disposes) every tensor. */
export interface VibHeadOutput {
  /** Posterior mean μ [B, K]. */
  mu: tf.Tensor2D;
  /** Posterior standard deviation σ = softplus(·) [B, K]. */
  std: tf.Tensor2D;
  /** The codes the classifier saw: μ + σ ⊙ ε [S, B, K] when sampling, μ as [1, B, K] otherwise. */
  z: tf.Tensor3D;
  /** Classifier outputs per sample [S, B, C] ([1, B, C] without sampling): what the training loss averages. */
  sampledLogits: tf.Tensor3D;
  /** Prediction [B, C]: mean of the sampled logits in training, classifier(μ) at inference. */
  logits: tf.Tensor2D;
  /** Prior mean μp [K] (a copy of the learned parameter). */
  priorMu: tf.Tensor1D;
  /** Prior standard deviation σp = softplus(raw) [K]. */
  priorStd: tf.Tensor1D;
}

/** The widths of the official MLP for input size D and bottleneck K: H = (D + K)//2, I = (H + D)//2. */
export function vibHiddenSizes(inputDim: number, ibDim: number): { hidden: number; intermediate: number } {
  const hidden = Math.floor((inputDim + ibDim) / 2);
  return { hidden, intermediate: Math.floor((hidden + inputDim) / 2) };
}

function activationModule(a: VibActivation): TensorModule {
  if (a === 'relu') return new ReLU();
  if (a === 'tanh') return new Tanh();
  if (a === 'sigmoid') return new Sigmoid();
  throw new Error(`VibHead: activation must be 'relu', 'tanh' or 'sigmoid', got ${JSON.stringify(a)}`);
}

/**
 * VIBERT's variational information bottleneck head (Mahabadi, Belinkov & Henderson, ICLR 2021;
 * `rabeehk/vibert:models.py`) for any encoder's pooled output h [B, D]:
 * dropout(h) → `mlp` (Linear D→I, act, Linear I→H, act) → μ = `emb2mu`(·), σ = softplus(`emb2std`(·)) → in
 * training z = μ + σ ⊙ ε with ε ~ N(0, I) of shape [S, B, K] (reparameterisation) → `classifier` Linear K→C on
 * each sample. At inference (eval mode) and in the deterministic ablation the classifier sees μ only (the
 * official `sampling_type="argmax"`). The prior N(`mu_p`, softplus(`std_p`)²) is learned; parameter names follow
 * the official module.
 */
export class VibHead extends Module {
  readonly ibDim: number;
  readonly sampleSize: number;
  readonly deterministic: boolean;
  readonly activation: VibActivation;
  readonly dropout: Dropout;
  readonly mlp: Sequential;
  readonly emb2mu: Linear;
  readonly emb2std: Linear;
  readonly classifier: Linear;
  readonly muP: Parameter;
  readonly stdPRaw: Parameter;

  /**
   * @param inputDim D, size of the pooled features
   * @param numLabels C (1 for regression)
   */
  constructor(
    readonly inputDim: number,
    readonly numLabels: number,
    options: VibHeadOptions = {},
  ) {
    super();
    for (const [arg, v] of [['inputDim', inputDim], ['numLabels', numLabels], ['ibDim', options.ibDim ?? 128], ['sampleSize', options.sampleSize ?? 5]] as const) {
      if (!(Number.isInteger(v) && v > 0)) throw new Error(`VibHead: ${arg} must be a positive integer, got ${v}`);
    }
    this.ibDim = options.ibDim ?? 128;
    this.sampleSize = options.sampleSize ?? 5;
    this.deterministic = options.deterministic ?? false;
    this.activation = options.activation ?? 'relu';
    const rng = options.rng ?? globalRng();
    const { hidden, intermediate } = vibHiddenSizes(inputDim, this.ibDim);
    this.dropout = this.registerModule('dropout', new Dropout(options.dropout ?? 0.1, options.dropoutRng));
    this.mlp = this.registerModule(
      'mlp',
      new Sequential([new Linear(inputDim, intermediate, { rng }), activationModule(this.activation), new Linear(intermediate, hidden, { rng }), activationModule(this.activation)]),
    );
    this.emb2mu = this.registerModule('emb2mu', new Linear(hidden, this.ibDim, { rng }));
    this.emb2std = this.registerModule('emb2std', new Linear(hidden, this.ibDim, { rng }));
    this.muP = this.registerParameter('mu_p', rng.normalTensor([this.ibDim]));
    this.stdPRaw = this.registerParameter('std_p', rng.normalTensor([this.ibDim]));
    this.classifier = this.registerModule('classifier', new Linear(this.ibDim, numLabels, { rng }));
    const initStd = options.initStd === undefined ? 0.02 : options.initStd;
    for (const [name, p] of initStd === null ? [] : this.namedParameters()) {
      if (name === 'mu_p' || name === 'std_p') continue;
      tf.tidy(() => p.assign(name.endsWith('bias') ? tf.zeros(p.shape) : rng.normalTensor(p.shape, 0, initStd!)));
    }
  }

  /** σp = softplus(raw), the prior's standard deviation [K]. */
  priorStd(): tf.Tensor1D {
    return scoped('VibHead.priorStd', () => tf.softplus(this.stdPRaw.variable) as tf.Tensor1D);
  }

  /** Posterior parameters μ, σ [B, K] of pooled features h [B, D] (dropout applied in training). */
  encode(h: tf.Tensor): { mu: tf.Tensor2D; std: tf.Tensor2D } {
    assertFloatRank('VibHead.encode', 'h', h, 2, '[batch, features]');
    if (h.shape[1] !== this.inputDim) throw new Error(`VibHead: h has ${h.shape[1]} features, the head was built for ${this.inputDim}`);
    return scoped('VibHead.encode', () => {
      const x = this.mlp.forward(this.dropout.forward(h));
      return { mu: this.emb2mu.forward(x) as tf.Tensor2D, std: tf.softplus(this.emb2std.forward(x)) as tf.Tensor2D };
    });
  }

  /** Whether forward samples z (training mode and not deterministic). */
  get sampling(): boolean {
    return this.training && !this.deterministic;
  }

  /** Run the head on pooled features h [B, D]; see {@link VibHeadOutput}. */
  forward(h: tf.Tensor, options: VibForwardOptions = {}): VibHeadOutput {
    const sampling = this.sampling;
    const b = h.shape[0]!;
    if (sampling && options.eps) {
      const want = [this.sampleSize, b, this.ibDim];
      if (!tf.util.arraysEqual(options.eps.shape, want)) throw new Error(`VibHead.forward: eps must have shape [${want}] ([sampleSize, batch, ibDim]), got [${options.eps.shape}]`);
    }
    return scoped('VibHead', () => {
      const { mu, std } = this.encode(h);
      let z: tf.Tensor3D;
      if (sampling) {
        const eps = options.eps ?? (options.rng ?? globalRng()).normalTensor([this.sampleSize, b, this.ibDim]);
        z = tf.add(mu, tf.mul(std, eps)) as tf.Tensor3D;
      } else {
        z = tf.expandDims(mu, 0) as tf.Tensor3D;
      }
      const sampledLogits = this.classifier.forward(z) as tf.Tensor3D;
      const logits = (sampling ? tf.mean(sampledLogits, 0) : tf.squeeze(sampledLogits, [0])) as tf.Tensor2D;
      return { mu, std, z, sampledLogits, logits, priorMu: tf.clone(this.muP.variable) as tf.Tensor1D, priorStd: this.priorStd() };
    }) as VibHeadOutput;
  }
}
