import * as tf from '@tensorflow/tfjs-core';
import { BatchNorm2d, Conv2d, Module, Sequential, maxPool2d, relu, scoped, type Rng, type TensorModule } from '@lel/core';
import { PyramidPooling } from './psp';
import { BasicBlock, Bottleneck } from './residual-blocks';

/** Options of {@link SegEncoder}; see {@link SEG_ENCODER_PRESETS}. */
export interface SegEncoderOptions {
  /** Input channels. Default 3. */
  inChannels?: number;
  /** Widths of the 3 stem convs (3×3; the first has stride 2), as the "deep base" ResNet. */
  stemChannels: readonly [number, number, number];
  /** Residual block type. */
  block: 'basic' | 'bottleneck';
  /** Base widths ("planes") of the 4 stages; bottleneck outputs are 4× this. */
  widths: readonly [number, number, number, number];
  /** Blocks per stage. */
  depths: readonly [number, number, number, number];
  /**
   * Keep output stride 8 with dilated stages 3–4 (dilation 2 and 4, as `deepbase_resnet50_dilated8`); `false`
   * keeps stride 8 with undilated stages 3–4 (a smaller receptive field). Default true.
   */
  dilated?: boolean;
  /** Pyramid-pooling bins. Default [1, 2, 3, 6]. */
  pspBins?: readonly number[];
  /** Generator for initial weights (default the global one). */
  rng?: Rng;
}

/** Ready-made sizes: `tiny` for tests, `small` for CPU experiments, `resnet50` at the paper's width. */
export const SEG_ENCODER_PRESETS = {
  tiny: { stemChannels: [8, 8, 16], block: 'basic', widths: [16, 16, 32, 32], depths: [1, 1, 1, 1] },
  small: { stemChannels: [32, 32, 64], block: 'basic', widths: [64, 96, 128, 256], depths: [2, 2, 2, 2] },
  resnet50: { stemChannels: [64, 64, 128], block: 'bottleneck', widths: [64, 128, 256, 512], depths: [3, 4, 6, 3] },
} as const satisfies Record<string, SegEncoderOptions>;

/** Name of a preset. */
export type SegEncoderPreset = keyof typeof SEG_ENCODER_PRESETS;

/** A residual stage: `n` blocks, the first one carrying the stride and the width change. */
export class ResStage extends Sequential {
  constructor(kind: 'basic' | 'bottleneck', inC: number, planes: number, n: number, stride: number, dilation: number, rng?: Rng) {
    super();
    const B = kind === 'basic' ? BasicBlock : Bottleneck;
    let c = inC;
    for (let i = 0; i < n; i++) {
      this.push(new B(c, planes, i === 0 ? stride : 1, dilation, rng));
      c = planes * B.expansion;
    }
  }
}

/** The "deep base" stem: 3 × (conv3×3 → BN → ReLU), the first with stride 2, then max-pool 3×3 stride 2 (÷4). */
export class DeepStem extends Module implements TensorModule {
  constructor(inC: number, ch: readonly [number, number, number], rng?: Rng) {
    super();
    let c = inC;
    ch.forEach((o, i) => {
      this.registerModule(`conv${i + 1}`, new Conv2d(c, o, 3, { stride: i === 0 ? 2 : 1, padding: 1, bias: false, rng }));
      this.registerModule(`bn${i + 1}`, new BatchNorm2d(o));
      c = o;
    });
  }
  forward(x: tf.Tensor): tf.Tensor {
    return scoped('DeepStem', () => {
      const m = new Map(this.children()) as Map<string, TensorModule>;
      let h = x;
      for (let i = 1; i <= 3; i++) h = relu(m.get(`bn${i}`)!.forward(m.get(`conv${i}`)!.forward(h)));
      return maxPool2d(h, 3, { stride: 2, padding: 1 });
    });
  }
}

/**
 * CCT-style segmentation encoder: deep-base stem (÷4), four residual stages (stage 2 strides to ÷8; stages 3–4
 * dilated), then pyramid pooling. Output [B, ⌈H/8⌉, ⌈W/8⌉, {@link outChannels}] (512 at the paper's width).
 * Weights are randomly initialised: CCT starts from an ImageNet ResNet-50, which this package does not ship.
 */
export class SegEncoder extends Module implements TensorModule {
  /** Channels of the final feature map (the PSP output). */
  readonly outChannels: number;
  /** Channels entering the PSP (2048 at the paper's width). */
  readonly backboneChannels: number;
  readonly outputStride = 8;

  constructor(options: SegEncoderOptions | SegEncoderPreset = 'tiny') {
    super();
    const o: SegEncoderOptions = typeof options === 'string' ? SEG_ENCODER_PRESETS[options] : options;
    const dilated = o.dilated ?? true;
    const expansion = o.block === 'basic' ? 1 : 4;
    const strides = [1, 2, 1, 1];
    const dilations = dilated ? [1, 1, 2, 4] : [1, 1, 1, 1];
    const stages: TensorModule[] = [new DeepStem(o.inChannels ?? 3, o.stemChannels, o.rng)];
    let c = o.stemChannels[2];
    for (let i = 0; i < 4; i++) {
      stages.push(new ResStage(o.block, c, o.widths[i]!, o.depths[i]!, strides[i]!, dilations[i]!, o.rng));
      c = o.widths[i]! * expansion;
    }
    this.backboneChannels = c;
    this.registerModule('base', new Sequential(stages));
    const psp = this.registerModule('psp', new PyramidPooling(c, o.pspBins ?? [1, 2, 3, 6], o.rng));
    this.outChannels = psp.outChannels;
  }

  /** x [B, H, W, C] → [B, H/8, W/8, outChannels]. */
  forward(x: tf.Tensor): tf.Tensor {
    if (x.rank !== 4) throw new Error(`SegEncoder: input must be NHWC [B, H, W, C], got shape [${x.shape}]`);
    return scoped('SegEncoder', () => {
      const m = new Map(this.children()) as Map<string, TensorModule>;
      return m.get('psp')!.forward(m.get('base')!.forward(x));
    });
  }
}
