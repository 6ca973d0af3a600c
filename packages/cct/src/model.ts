import * as tf from '@tensorflow/tfjs-core';
import { Module, ModuleList, globalRng, resizeBilinear, scoped, stopGradient, type ParamGroup, type Rng, type TensorModule } from '@lel/core';
import { type CctConfig, type CctConfigInput, PERTURBATIONS, parseCctConfig } from './config';
import { CctDecoder } from '@lel/models';
import { AuxiliaryDecoder } from './decoders';

/** An encoder mapping images [B, H, W, 3] to features [B, H/s, W/s, F] (s = the config's `upscale`). */
export interface SegmentationEncoder extends TensorModule {
  /** F, the number of feature channels. */
  readonly outChannels: number;
}

/** What {@link CctModel.forwardUnsupervised} returns (owned by the caller). */
export interface UnsupervisedOutputs {
  /** Main-decoder logits at input resolution (with gradient: the caller detaches for the target). */
  mainLogits: tf.Tensor4D;
  /** One prediction per auxiliary decoder, at input resolution. */
  auxLogits: tf.Tensor4D[];
}

/**
 * Cross-Consistency Training's network [models/model.py]: a shared encoder, a main decoder trained on
 * labelled images, and K auxiliary decoders (unshared weights), each fed a differently perturbed
 * version of the encoder output on unlabelled images. Built with `mode: 'supervised'`, it has no
 * auxiliary decoder and is the supervised-only baseline with the same encoder and decoder.
 */
export class CctModel extends Module {
  readonly config: CctConfig;
  readonly encoder: SegmentationEncoder;
  readonly mainDecoder: CctDecoder;
  readonly auxDecoders: ModuleList<AuxiliaryDecoder>;

  constructor(encoder: SegmentationEncoder, config: CctConfigInput | CctConfig, rng?: Rng) {
    super();
    this.config = parseCctConfig(config);
    const { numClasses, upscale } = this.config;
    this.encoder = this.registerModule('encoder', encoder);
    this.mainDecoder = this.registerModule('mainDecoder', new CctDecoder(encoder.outChannels, numClasses, upscale, rng ?? globalRng(), this.config.decoderFinalRelu));
    this.auxDecoders = this.registerModule('auxDecoders', new ModuleList<AuxiliaryDecoder>());
    if (this.config.mode === 'semi') {
      // Order as the official constructor: vat, drop, cutout, context, object, feature_drop, feature_noise.
      for (const p of PERTURBATIONS) {
        for (let i = 0; i < this.config.perturbations[p]; i++) {
          this.auxDecoders.push(new AuxiliaryDecoder(p, encoder.outChannels, numClasses, this.config, rng));
        }
      }
    }
  }

  get numClasses(): number {
    return this.config.numClasses;
  }

  /** Resize logits to the image size when the encoder's stride does not divide it (bilinear, align_corners=True as the official code). */
  private toInputSize(logits: tf.Tensor4D, size: [number, number]): tf.Tensor4D {
    if (logits.shape[1] === size[0] && logits.shape[2] === size[1]) return logits;
    return resizeBilinear(logits, size, { alignCorners: true });
  }

  /** Encoder features of images [B, H, W, 3]. */
  encode(x: tf.Tensor4D): tf.Tensor4D {
    return this.encoder.forward(x) as tf.Tensor4D;
  }

  /** Main-decoder logits [B, H, W, C] at input resolution (training and inference). */
  forward(x: tf.Tensor4D): tf.Tensor4D {
    return scoped('CctModel.forward', () => this.toInputSize(this.mainDecoder.forward(this.encode(x)), [x.shape[1], x.shape[2]]));
  }

  /**
   * The unsupervised branch: encode x_ul once, main prediction, then every auxiliary decoder on the
   * perturbed, NON-detached features. Guided perturbations see the detached main prediction.
   */
  forwardUnsupervised(xul: tf.Tensor4D, rng: Rng = globalRng(), mainLabels?: ArrayLike<number>): UnsupervisedOutputs {
    if (this.auxDecoders.length === 0) throw new Error('CctModel.forwardUnsupervised: this model has no auxiliary decoders (mode "supervised")');
    const size: [number, number] = [xul.shape[1], xul.shape[2]];
    return scoped('CctModel.forwardUnsupervised', () => {
      const z = this.encode(xul);
      const mainLogits = this.toInputSize(this.mainDecoder.forward(z), size);
      const ctx = { mainLogits: stopGradient(mainLogits), rng, ...(mainLabels ? { mainLabels } : {}) };
      const auxLogits = this.auxDecoders.items.map((d) => this.toInputSize(d.forward(z, ctx), size));
      return { mainLogits, auxLogits };
    });
  }

  /** Whether an auxiliary decoder needs the main prediction on the host (G-Cutout's object search). */
  get needsHostMainLabels(): boolean {
    return this.auxDecoders.items.some((d) => d.perturbation === 'cutout');
  }

  /**
   * The main prediction's classes (argmax) of unlabelled images [B, H, W, 3] at input resolution, read
   * asynchronously: pass them to {@link forwardUnsupervised} so G-Cutout needs no synchronous read inside the
   * gradient step (GPU backends). The forward is the one `forwardUnsupervised` runs, without its side effects:
   * BatchNorm running statistics, the modules' generators and counters, and the process-wide generator are
   * restored afterwards, so the step that follows computes the same main prediction.
   */
  async mainLabels(xul: tf.Tensor4D): Promise<Int32Array> {
    const buffers = this.namedBuffers().map(([, b]) => [b, tf.clone(b)] as const);
    const extra = this.extraStateDict();
    const global = globalRng().state();
    let labels: tf.Tensor;
    try {
      labels = tf.tidy(() => tf.argMax(this.forward(xul), 3));
    } finally {
      for (const [b, saved] of buffers) b.assign(saved);
      tf.dispose(buffers.map(([, saved]) => saved));
      this.loadExtraStateDict(extra);
      globalRng().setState(global);
    }
    try {
      return (await labels.data()) as Int32Array;
    } finally {
      labels.dispose();
    }
  }

  /**
   * Optimiser parameter groups as the official `differential_lr`: the encoder at lr × `encoderLrScale`
   * (0.1), the decoders at lr. Frozen parameters are left out.
   */
  parameterGroups(): ParamGroup[] {
    const enc = this.encoder.namedParameters('encoder').filter(([, p]) => p.trainable);
    const rest = this.trainableParameters().filter(([n]) => !n.startsWith('encoder.'));
    return [
      { params: enc, lrScale: this.config.optim.encoderLrScale },
      { params: rest, lrScale: 1 },
    ];
  }
}
