import * as tf from '@tensorflow/tfjs-core';
import { Module, globalRng, scoped, type Rng, type TensorModule } from '@lel/core';
import { CctDecoder } from './decoder';
import { SegEncoder, type SegEncoderOptions, type SegEncoderPreset } from './encoder';

/** Options of {@link SegmentationModel}. */
export interface SegmentationModelOptions {
  numClasses: number;
  /** Encoder preset or options. Default `tiny`. */
  encoder?: SegEncoderOptions | SegEncoderPreset;
  rng?: Rng;
}

/**
 * Encoder–decoder for semantic segmentation in CCT's shape: {@link SegEncoder} (÷8, PSP) → {@link CctDecoder}
 * (×8). NHWC image [B, H, W, C] with H, W multiples of 8 → logits [B, H, W, classes]. Children `encoder` and
 * `main_decoder` so CCT can add auxiliary decoders on the same features.
 */
export class SegmentationModel extends Module {
  readonly encoder: SegEncoder;
  readonly mainDecoder: CctDecoder;
  constructor(options: SegmentationModelOptions) {
    super();
    const rng = options.rng ?? globalRng();
    const encOpts = options.encoder ?? 'tiny';
    this.encoder = this.registerModule('encoder', new SegEncoder(typeof encOpts === 'string' ? encOpts : { ...encOpts, rng: encOpts.rng ?? rng }));
    this.mainDecoder = this.registerModule('main_decoder', new CctDecoder(this.encoder.outChannels, options.numClasses, 8, rng));
  }

  /** Logits at input resolution. */
  forward(x: tf.Tensor): tf.Tensor {
    if (x.rank !== 4 || x.shape[1]! % 8 !== 0 || x.shape[2]! % 8 !== 0) {
      throw new Error(`SegmentationModel: input must be NHWC with H and W multiples of 8, got shape [${x.shape}]`);
    }
    return scoped('SegmentationModel', () => (this.mainDecoder as TensorModule).forward(this.encoder.forward(x)));
  }
}
