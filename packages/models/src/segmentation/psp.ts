import * as tf from '@tensorflow/tfjs-core';
import { BatchNorm2d, Conv2d, Module, ModuleList, Sequential, relu, resizeBilinear, scoped, type Rng, type TensorModule } from '@lel/core';
import { adaptiveAvgPool2d } from './adaptive-avg-pool';

/** One pyramid level: adaptive average pool to `bin`×`bin` → 1×1 conv (no bias) → BN → ReLU. */
export class PspStage extends Module implements TensorModule {
  constructor(readonly bin: number, inC: number, outC: number, rng?: Rng) {
    super();
    // Named as CCT's nn.Sequential(prior, conv, bn, relu): indices 1 and 2 hold weights.
    this.registerModule('1', new Conv2d(inC, outC, 1, { bias: false, rng }));
    this.registerModule('2', new BatchNorm2d(outC));
  }
  forward(x: tf.Tensor): tf.Tensor {
    return scoped('PspStage', () => {
      const [conv, bn] = this.children().map(([, m]) => m as TensorModule) as [TensorModule, TensorModule];
      return relu(bn.forward(conv.forward(adaptiveAvgPool2d(x, this.bin))));
    });
  }
}

/**
 * CCT's `_PSPModule`: for each bin b, pool → 1×1 conv to C/|bins| → BN → ReLU → bilinear (align_corners false) back
 * to H×W; concatenate with the input and fuse with conv3×3 (no bias) → BN → ReLU to C/|bins| channels
 * (2048 → 512 in the paper).
 */
export class PyramidPooling extends Module implements TensorModule {
  readonly outChannels: number;
  constructor(inChannels: number, readonly bins: readonly number[] = [1, 2, 3, 6], rng?: Rng) {
    super();
    if (inChannels % bins.length !== 0) throw new Error(`PyramidPooling: inChannels ${inChannels} is not divisible by ${bins.length} bins`);
    this.outChannels = inChannels / bins.length;
    this.registerModule('stages', new ModuleList(bins.map((b) => new PspStage(b, inChannels, this.outChannels, rng))));
    this.registerModule(
      'bottleneck',
      new Sequential([
        new Conv2d(inChannels + this.outChannels * bins.length, this.outChannels, 3, { padding: 1, bias: false, rng }),
        new BatchNorm2d(this.outChannels),
      ]),
    );
  }
  forward(x: tf.Tensor): tf.Tensor {
    return scoped('PyramidPooling', () => {
      const [, h, w] = x.shape as [number, number, number, number];
      const stages = this.children().find(([n]) => n === 'stages')![1] as ModuleList<PspStage>;
      const pyramids = [x, ...stages.items.map((s) => resizeBilinear(s.forward(x), [h, w], { alignCorners: false }))];
      const bottleneck = this.children().find(([n]) => n === 'bottleneck')![1] as Sequential;
      return relu(bottleneck.forward(tf.concat(pyramids, 3)));
    });
  }
}
