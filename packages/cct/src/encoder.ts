import type * as tf from '@tensorflow/tfjs-core';
import { BatchNorm2d, Conv2d, Module, ModuleList, relu, scoped, type Rng } from '@lel/core';
import type { SegmentationEncoder } from './model';

/** Options of {@link SmallConvEncoder}. */
export interface SmallConvEncoderOptions {
  /** Input channels (3 for RGB). */
  inChannels?: number;
  /**
   * Channels of the stages; the last is the feature width F. The output stride is `outputStride` (default
   * 2^stages; set the CCT config's `upscale` to it). Default [16, 32, 64] (stride 8, as the official encoder).
   */
  widths?: number[];
  /** Batch normalisation after every conv (default true; the official backbone has it). */
  batchNorm?: boolean;
  /**
   * Output stride (a power of 2, at most 2^stages; default 2^stages). Stages past it keep the resolution
   * and dilate their convs by the stride they skip instead (as the official dilated ResNet at stride 8), so
   * the receptive field stays that of the undilated encoder while the features stay fine. Small objects with
   * thin parts (digits on 32×32 scenes) need it: CCT's decoder only upsamples with 1×1 convs.
   */
  outputStride?: number;
  rng?: Rng;
}

/**
 * A small encoder with output stride 2^stages (default three stages: stride 8; see `outputStride`) of [conv3×3 stride 2 → BN → ReLU → conv3×3 → BN → ReLU]
 * for small images, tests and CPU benchmarks. It stands in for the official dilated ResNet-50 +
 * PSP (ImageNet-pretrained); any {@link SegmentationEncoder} can be used instead.
 */
export class SmallConvEncoder extends Module implements SegmentationEncoder {
  readonly outChannels: number;
  /** The output stride (2^stages unless `outputStride` is given). */
  readonly outputStride: number;
  readonly convs: ModuleList<Conv2d>;
  readonly norms: ModuleList<BatchNorm2d>;

  constructor(options: SmallConvEncoderOptions = {}) {
    super();
    const widths = options.widths ?? [16, 32, 64];
    const bn = options.batchNorm ?? true;
    if (widths.length === 0) throw new Error('SmallConvEncoder: widths must name at least one stage');
    this.outChannels = widths[widths.length - 1]!;
    this.outputStride = options.outputStride ?? 2 ** widths.length;
    const steps = Math.log2(this.outputStride);
    if (!Number.isInteger(steps) || steps < 0 || steps > widths.length) {
      throw new Error(`SmallConvEncoder: outputStride must be a power of 2 in [1, ${2 ** widths.length}], got ${options.outputStride}`);
    }
    this.convs = this.registerModule('convs', new ModuleList<Conv2d>());
    this.norms = this.registerModule('norms', new ModuleList<BatchNorm2d>());
    let c = options.inChannels ?? 3;
    widths.forEach((w, i) => {
      // Stage i downsamples while the stride is below outputStride; later stages dilate instead.
      const stride = i < steps ? 2 : 1;
      const d1 = i < steps ? 1 : 2 ** (i - steps);
      const d2 = i < steps ? 1 : 2 ** (i - steps + 1);
      this.convs.push(new Conv2d(c, w, 3, { stride, padding: d1, dilation: d1, bias: !bn, rng: options.rng }));
      this.convs.push(new Conv2d(w, w, 3, { padding: d2, dilation: d2, bias: !bn, rng: options.rng }));
      if (bn) {
        this.norms.push(new BatchNorm2d(w));
        this.norms.push(new BatchNorm2d(w));
      }
      c = w;
    });
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
