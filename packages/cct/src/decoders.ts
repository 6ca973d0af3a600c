import * as tf from '@tensorflow/tfjs-core';
import { Module, pixelShuffle, scoped, type Conv2d, type Rng, type Sequential } from '@lel/core';
import { PixelShuffleUp, cctUpsample } from '@lel/models';
import type { CctConfig, PerturbationName } from './config';
import { guidedMaskParts } from './perturbations/context-masking';
import { dropout2d } from './perturbations/dropout';
import { featureDrop } from './perturbations/feature-drop';
import { featureNoise } from './perturbations/feature-noise';
import { guidedCutout } from './perturbations/guided-cutout';
import { vatPerturbation } from './perturbations/vat';

/**
 * The decoder shared by the main and every auxiliary decoder (`upsample()` [models/decoders.py]), built from
 * `@lel/models`' `cctUpsample`: 1×1 conv F→C (no bias, Kaiming-normal) then log2(upscale) × [1×1 conv C→4C
 * (ICNR) → ReLU → pixel shuffle ×2]. Input [B, h, w, F] → logits [B, h·upscale, w·upscale, C]. The last ReLU
 * makes the logits non-negative, as in the official code, unless `finalRelu` is false.
 */
export class SegmentationDecoder extends Module {
  readonly upsample: Sequential;

  constructor(
    readonly inChannels: number,
    readonly numClasses: number,
    readonly upscale = 8,
    rng?: Rng,
    /** Apply the ReLU after the last 1×1 conv too (official: yes, so logits are ≥ 0). */
    readonly finalRelu = true,
  ) {
    super();
    this.upsample = this.registerModule('upsample', cctUpsample(inChannels, numClasses, upscale, rng));
  }

  forward(z: tf.Tensor4D): tf.Tensor4D {
    if (this.finalRelu) return this.upsample.forward(z) as tf.Tensor4D;
    return scoped('SegmentationDecoder', () => {
      const items = this.upsample.items;
      let x: tf.Tensor = z;
      items.forEach((m, i) => {
        if (i === items.length - 1 && m instanceof PixelShuffleUp) {
          // The last block without its ReLU: its conv, then the shuffle.
          const conv = m.children()[0]![1] as Conv2d;
          x = pixelShuffle(conv.forward(x), m.scale);
        } else x = m.forward(x);
      });
      return x as tf.Tensor4D;
    });
  }
}

/** What the auxiliary decoders see besides the encoder features. */
export interface AuxContext {
  /** The main decoder's prediction on the same (unlabelled) images, detached, [B, H, W, C]. */
  mainLogits: tf.Tensor4D;
  rng: Rng;
}

/**
 * An auxiliary decoder: its own {@link SegmentationDecoder} (weights not shared) applied to a perturbed
 * version of the NON-detached encoder output, so the consistency loss trains the encoder as well.
 */
export class AuxiliaryDecoder extends Module {
  readonly decoder: SegmentationDecoder;

  constructor(
    readonly perturbation: PerturbationName,
    inChannels: number,
    numClasses: number,
    private readonly config: CctConfig,
    rng?: Rng,
  ) {
    super();
    this.decoder = this.registerModule('decoder', new SegmentationDecoder(inChannels, numClasses, config.upscale, rng, config.decoderFinalRelu));
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
        return guidedCutout(z, ctx.mainLogits, { ...c.cutout, rng });
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
