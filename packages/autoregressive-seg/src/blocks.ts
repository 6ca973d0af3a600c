import * as tf from '@tensorflow/tfjs-core';
import { BatchNorm2d, Conv2d, Module, maxPool2d, relu, scoped, xavierNormal, type Rng } from '@lel/core';
import { MaskedConv2d } from './masked-conv';

/** Re-initialise a 1×1/k×k conv's weight Xavier-normal, as the re-implementation's `init_weights` [model/model.py]. */
export function xavierConv(inC: number, outC: number, k: number, options: { stride?: number; padding?: number; bias?: boolean; rng?: Rng } = {}): Conv2d {
  const conv = new Conv2d(inC, outC, k, { stride: options.stride ?? 1, padding: options.padding ?? 0, bias: options.bias ?? true, rng: options.rng });
  const fresh = xavierNormal([k, k, inC, outC], { rng: options.rng });
  conv.weight.variable.assign(fresh);
  fresh.dispose();
  return conv;
}

/**
 * Stem h. With masking on the features (the re-implementation's only variant) it is unmasked: conv3×3 (stride 1
 * or 2) → BN → ReLU → max-pool 3×3 stride 2 [model/components.py `stem`]; output stride 2·stride. With masking on
 * the input, every layer must be causal at pixel level, so the stem is a masked k × k conv → ReLU at full
 * resolution (no BN statistics or pooling mixing pixels); output stride 1.
 */
export class ArStem extends Module {
  readonly outputStride: number;
  readonly conv: Conv2d | MaskedConv2d;
  readonly bn: BatchNorm2d | null;

  constructor(
    inChannels: number,
    readonly outChannels: number,
    readonly maskOn: 'features' | 'input',
    options: { stride?: number; kernelSize?: number; rng?: Rng } = {},
  ) {
    super();
    const stride = options.stride ?? 1;
    if (stride !== 1 && stride !== 2) throw new Error(`ArStem: stride must be 1 or 2, got ${stride}`);
    if (maskOn === 'input') {
      this.conv = this.registerModule('conv', new MaskedConv2d(inChannels, outChannels, options.kernelSize ?? 3, { rng: options.rng }));
      this.bn = null;
      this.outputStride = 1;
    } else {
      this.conv = this.registerModule('conv', xavierConv(inChannels, outChannels, 3, { stride, padding: 1, rng: options.rng }));
      this.bn = this.registerModule('bn', new BatchNorm2d(outChannels));
      this.outputStride = 2 * stride;
    }
  }

  /** x [B, H, W, in] → [B, H/s, W/s, out]; `o` only matters when masking on the input. */
  forward(x: tf.Tensor, o: number): tf.Tensor4D {
    return scoped('ArStem', () => {
      if (this.conv instanceof MaskedConv2d) return relu(this.conv.forward(x, o)) as tf.Tensor4D;
      const h = relu(this.bn!.forward(this.conv.forward(x)));
      return maxPool2d(h, 3, { stride: 2, padding: 1 });
    });
  }
}

/**
 * Autoregressive residual block g_ar [model/components.py `AR_residual_block`]: masked k×k conv C → 2C + ReLU →
 * 1×1 + ReLU, plus the input zero-padded to 2C channels; then two sub-blocks (1×1 + ReLU, 1×1 + ReLU) with identity
 * residuals. Only the first conv is masked: 1×1 convs and pointwise ops keep causality.
 */
export class ArResidualBlock extends Module {
  readonly outChannels: number;
  readonly conv1: MaskedConv2d;
  private readonly pointwise: Conv2d[] = [];

  constructor(
    readonly inChannels: number,
    kernelSize = 3,
    rng?: Rng,
  ) {
    super();
    const c2 = 2 * inChannels;
    this.outChannels = c2;
    this.conv1 = this.registerModule('conv1', new MaskedConv2d(inChannels, c2, kernelSize, { rng }));
    for (let i = 2; i <= 6; i++) this.pointwise.push(this.registerModule(`conv${i}`, xavierConv(c2, c2, 1, { rng })));
  }

  /** x [B, H, W, C] → [B, H, W, 2C] under ordering `o`. */
  forward(x: tf.Tensor, o: number): tf.Tensor4D {
    return scoped('ArResidualBlock', () => {
      const [c2, c3, c4, c5, c6] = this.pointwise as [Conv2d, Conv2d, Conv2d, Conv2d, Conv2d];
      const residual = tf.pad(x, [[0, 0], [0, 0], [0, 0], [0, this.inChannels]]);
      let y = tf.add(relu(c2.forward(relu(this.conv1.forward(x, o)))), residual);
      y = tf.add(relu(c4.forward(relu(c3.forward(y)))), y);
      y = tf.add(relu(c6.forward(relu(c5.forward(y)))), y);
      return y as tf.Tensor4D;
    });
  }
}
