import type * as tf from '@tensorflow/tfjs-core';
import { BatchNorm2d, Conv2d, Module, ModuleList, relu, scoped, type Rng } from '@lel/core';
import type { SegmentationEncoder } from './model';

/** Options of {@link SmallConvEncoder}. */
export interface SmallConvEncoderOptions {
  /** Input channels (3 for RGB). */
  inChannels?: number;
  /**
   * Channels of the stride-2 stages; the last is the feature width F and the output stride is 2^stages
   * (set the CCT config's `upscale` to it). Default [16, 32, 64] (stride 8, as the official encoder).
   */
  widths?: number[];
  /** Batch normalisation after every conv (default true; the official backbone has it). */
  batchNorm?: boolean;
  rng?: Rng;
}

/**
 * A small encoder with output stride 2^stages (default three stages: stride 8) of [conv3×3 stride 2 → BN → ReLU → conv3×3 → BN → ReLU]
 * for small images, tests and CPU benchmarks. It stands in for the official dilated ResNet-50 +
 * PSP (ImageNet-pretrained); any {@link SegmentationEncoder} can be used instead.
 */
export class SmallConvEncoder extends Module implements SegmentationEncoder {
  readonly outChannels: number;
  /** 2^stages. */
  readonly outputStride: number;
  readonly convs: ModuleList<Conv2d>;
  readonly norms: ModuleList<BatchNorm2d>;

  constructor(options: SmallConvEncoderOptions = {}) {
    super();
    const widths = options.widths ?? [16, 32, 64];
    const bn = options.batchNorm ?? true;
    if (widths.length === 0) throw new Error('SmallConvEncoder: widths must name at least one stage');
    this.outChannels = widths[widths.length - 1]!;
    this.outputStride = 2 ** widths.length;
    this.convs = this.registerModule('convs', new ModuleList<Conv2d>());
    this.norms = this.registerModule('norms', new ModuleList<BatchNorm2d>());
    let c = options.inChannels ?? 3;
    for (const w of widths) {
      this.convs.push(new Conv2d(c, w, 3, { stride: 2, padding: 1, bias: !bn, rng: options.rng }));
      this.convs.push(new Conv2d(w, w, 3, { padding: 1, bias: !bn, rng: options.rng }));
      if (bn) {
        this.norms.push(new BatchNorm2d(w));
        this.norms.push(new BatchNorm2d(w));
      }
      c = w;
    }
  }

  forward(x: tf.Tensor): tf.Tensor4D {
    return scoped('SmallConvEncoder', () => {
      let y = x;
      this.convs.items.forEach((conv, i) => {
        y = conv.forward(y);
        const norm = this.norms.items[i];
        if (norm) y = norm.forward(y);
        y = relu(y);
      });
      return y as tf.Tensor4D;
    });
  }
}
