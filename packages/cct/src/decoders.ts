import * as tf from '@tensorflow/tfjs-core';
import { Module, scoped, type Rng } from '@lel/core';
import { CctDecoder } from '@lel/models';
import type { CctConfig, PerturbationName } from './config';
import { guidedMaskParts } from './perturbations/context-masking';
import { dropout2d } from './perturbations/dropout';
import { featureDrop } from './perturbations/feature-drop';
import { featureNoise } from './perturbations/feature-noise';
import { guidedCutout } from './perturbations/guided-cutout';
import { vatPerturbation } from './perturbations/vat';

/** What the auxiliary decoders see besides the encoder features. */
export interface AuxContext {
  /** The main decoder's prediction on the same (unlabelled) images, detached, [B, H, W, C]. */
  mainLogits: tf.Tensor4D;
  /** Its classes (argmax) on the host, [B·H·W], read before the gradient step (see `CctModel.mainLabels`). */
  mainLabels?: ArrayLike<number>;
  rng: Rng;
}

/**
 * An auxiliary decoder: its own `CctDecoder` (`@lel/models`, the one CCT decoder; weights not shared) applied to a perturbed
 * version of the NON-detached encoder output, so the consistency loss trains the encoder as well.
 */
export class AuxiliaryDecoder extends Module {
  readonly decoder: CctDecoder;

  constructor(
    readonly perturbation: PerturbationName,
    inChannels: number,
    numClasses: number,
    private readonly config: CctConfig,
    rng?: Rng,
  ) {
    super();
    this.decoder = this.registerModule('decoder', new CctDecoder(inChannels, numClasses, config.upscale, rng, config.decoderFinalRelu));
  }

  /** The perturbed features z̃ = perturbation(z). */
  perturb(z: tf.Tensor4D, ctx: AuxContext): tf.Tensor4D {
    const c = this.config;
    const rng = ctx.rng;
    switch (this.perturbation) {
      case 'vat': {
        return scoped('vatPerturb', () => {
          const r = vatPerturbation(z, (x) => this.decoder.forward(x), { ...c.vat, rng });
          return tf.add(z, r) as tf.Tensor4D;
        });
      }
      case 'dropout':
        return dropout2d(z, { ...c.dropout, rng });
      case 'cutout':
        return guidedCutout(z, ctx.mainLogits, { ...c.cutout, rng, ...(ctx.mainLabels ? { labels: ctx.mainLabels } : {}) });
      case 'contextMasking':
      case 'objectMasking': {
        const { fgMaskFull, mask, out } = guidedMaskParts(z, ctx.mainLogits, this.perturbation === 'contextMasking' ? 'objects' : 'context');
        tf.dispose([fgMaskFull, mask]);
        return out;
      }
      case 'featureDrop':
        return featureDrop(z, { gammaRange: c.featureDrop.gammaRange, rng });
      case 'featureNoise':
        return featureNoise(z, { ...c.featureNoise, rng });
      default:
        throw new Error(`AuxiliaryDecoder: unknown perturbation "${this.perturbation as string}"`);
    }
  }

  forward(z: tf.Tensor4D, ctx: AuxContext): tf.Tensor4D {
    return scoped(`aux.${this.perturbation}`, () => this.decoder.forward(this.perturb(z, ctx)));
  }
}
