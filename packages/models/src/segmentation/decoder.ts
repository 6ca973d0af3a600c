import * as tf from '@tensorflow/tfjs-core';
import { Conv2d, Module, Sequential, globalRng, kaimingNormal, pixelShuffle, relu, scoped, type Rng, type TensorModule } from '@lel/core';

/**
 * ICNR initial kernel for a 1×1 conv followed by PixelShuffle(r) (Aitken et al. 2017, as CCT's `icnr`): a
 * Kaiming-normal [1, 1, in, out/r²] sub-kernel repeated so output channel o uses sub-kernel ⌊o/r²⌋ — PyTorch's
 * (C, r, r) shuffle order — which makes the shuffled output a nearest-neighbour upsampling at initialisation.
 */
export function icnrKernel(inC: number, outC: number, r: number, rng: Rng = globalRng()): tf.Tensor4D {
  return tf.tidy(() => {
    const sub = kaimingNormal([1, 1, inC, outC / (r * r)], { rng }); // fan_in = inC, gain √2, as kaiming_normal_
    const idx = tf.tensor1d(Array.from({ length: outC }, (_, o) => Math.floor(o / (r * r))), 'int32');
    return tf.gather(sub, idx, 3) as tf.Tensor4D;
  });
}

/** CCT's `PixelShuffle` block: conv1×1 C → C·r² (ICNR, with bias) → ReLU → pixel shuffle ×r. */
export class PixelShuffleUp extends Module implements TensorModule {
  constructor(channels: number, readonly scale = 2, rng: Rng = globalRng()) {
    super();
    const conv = this.registerModule('conv', new Conv2d(channels, channels * scale * scale, 1, { rng }));
    tf.tidy(() => conv.weight.assign(icnrKernel(channels, channels * scale * scale, scale, rng)));
  }
  forward(x: tf.Tensor): tf.Tensor {
    return scoped('PixelShuffleUp', () => {
      const conv = this.children()[0]![1] as TensorModule;
      return pixelShuffle(relu(conv.forward(x)), this.scale);
    });
  }
}

/**
 * CCT's `upsample(in, classes, upscale)`: conv1×1 in → classes (no bias, Kaiming-normal relu) then log2(upscale)
 * × {@link PixelShuffleUp}. Children `0`, `1`, … as CCT's nn.Sequential.
 */
export function cctUpsample(inChannels: number, numClasses: number, upscale = 8, rng: Rng = globalRng()): Sequential {
  const steps = Math.log2(upscale);
  if (!Number.isInteger(steps) || steps < 0) throw new Error(`cctUpsample: upscale must be a power of 2, got ${upscale}`);
  const conv = new Conv2d(inChannels, numClasses, 1, { bias: false, rng });
  tf.tidy(() => conv.weight.assign(kaimingNormal([1, 1, inChannels, numClasses], { nonlinearity: 'relu', rng })));
  const layers: TensorModule[] = [conv];
  for (let i = 0; i < steps; i++) layers.push(new PixelShuffleUp(numClasses, 2, rng));
  return new Sequential(layers);
}

/**
 * CCT's decoder — the main one and every auxiliary one (`upsample()` [models/decoders.py]): conv1×1 in → classes
 * (no bias, Kaiming-normal), then log2(upscale) × [conv1×1 C → 4C (ICNR) → ReLU → pixel shuffle ×2].
 * [B, h, w, in] → logits [B, h·upscale, w·upscale, classes]. The last ReLU makes the logits non-negative, as in the
 * official code, unless `finalRelu` is false (from scratch, a class whose logits die at 0 never recovers).
 */
export class CctDecoder extends Module implements TensorModule {
  readonly upsample: Sequential;

  constructor(
    readonly inChannels: number,
    readonly numClasses: number,
    readonly upscale = 8,
    rng: Rng = globalRng(),
    /** Apply the ReLU after the last 1×1 conv too (official: yes, so logits are ≥ 0). */
    readonly finalRelu = true,
  ) {
    super();
    this.upsample = this.registerModule('upsample', cctUpsample(inChannels, numClasses, upscale, rng));
  }

  forward(x: tf.Tensor): tf.Tensor4D {
    if (this.finalRelu) return scoped('CctDecoder', () => this.upsample.forward(x) as tf.Tensor4D);
    return scoped('CctDecoder', () => {
      const items = this.upsample.items;
      let y: tf.Tensor = x;
      items.forEach((m, i) => {
        if (i === items.length - 1 && m instanceof PixelShuffleUp) {
          // The last block without its ReLU: its conv, then the shuffle.
          const conv = m.children()[0]![1] as TensorModule;
          y = pixelShuffle(conv.forward(y), m.scale);
        } else y = m.forward(y);
      });
      return y as tf.Tensor4D;
    });
  }
}
