import * as tf from '@tensorflow/tfjs-core';
import {
  BatchNorm2d,
  Conv2d,
  Linear,
  Module,
  Sequential,
  dropout,
  globalAvgPool2d,
  globalRng,
  kaimingNormal,
  leakyRelu,
  maxPool2d,
  scoped,
  type Rng,
  type TensorModule,
} from '@lel/core';
import { dropBlock, dropBlockGamma, dropBlockKeepRate } from './drop-block';

/** Options of {@link ResNet12}; defaults are SCL's miniImageNet settings. */
export interface ResNet12Options {
  /** Input channels. Default 3. */
  inChannels?: number;
  /** Widths of the four stages. Default [64, 160, 320, 640]. */
  channels?: readonly [number, number, number, number];
  /** Drop rate of every stage (dropout in stages 1–2, DropBlock in 3–4). Default 0.1. */
  dropRate?: number;
  /** DropBlock block size: 5 for 84×84 inputs, 2 for CIFAR-FS/FC100 (32×32). Default 5. */
  dropBlockSize?: number;
  /** Batches over which DropBlock's keep rate ramps from 1 to 1 − dropRate. Default 40000 (SCL's 20·2000). */
  dropBlockSteps?: number;
  /** LeakyReLU slope. Default 0.1. */
  negativeSlope?: number;
  /** Add a linear classifier over the pooled features (SCL's base-class head). Default 0 (none). */
  numClasses?: number;
  /**
   * Generator for initial weights and dropout/DropBlock masks (default the global one). Every block registers it
   * (`layerN.0.rng`), so its state is in checkpoints and a resumed `fit` draws the same masks.
   */
  rng?: Rng;
}

/**
 * One ResNet-12 stage (RFS/SCL `BasicBlock`): 3 × (conv3×3 → BN → LeakyReLU), 1×1 conv+BN shortcut, max-pool 2.
 * Its mask generator (registered as `rng`) and {@link batchesSeen} (its `extraState`) are saved in checkpoints.
 */
export class ResNet12Block extends Module {
  /** Training batches seen (drives the DropBlock schedule, as SCL's `num_batches_tracked`); saved in checkpoints. */
  batchesSeen = 0;
  private readonly rng: Rng;
  constructor(
    inC: number,
    outC: number,
    readonly dropRate: number,
    readonly useDropBlock: boolean,
    readonly blockSize: number,
    readonly dropBlockSteps: number,
    readonly negativeSlope: number,
    rng: Rng,
  ) {
    super();
    this.rng = this.registerGenerator('rng', rng);
    const conv = (i: number, o: number, k: number) => new Conv2d(i, o, k, { padding: k === 3 ? 1 : 0, bias: false, rng });
    this.registerModule('conv1', conv(inC, outC, 3));
    this.registerModule('bn1', new BatchNorm2d(outC));
    this.registerModule('conv2', conv(outC, outC, 3));
    this.registerModule('bn2', new BatchNorm2d(outC));
    this.registerModule('conv3', conv(outC, outC, 3));
    this.registerModule('bn3', new BatchNorm2d(outC));
    this.registerModule('downsample', new Sequential([conv(inC, outC, 1), new BatchNorm2d(outC)]));
  }

  /** `{ batchesSeen }`: the DropBlock schedule's position, saved in checkpoints beside the generator. */
  override extraState(): { batchesSeen: number } {
    return { batchesSeen: this.batchesSeen };
  }

  override loadExtraState(state: unknown): void {
    const n = (state as { batchesSeen?: unknown } | null)?.batchesSeen;
    if (typeof n !== 'number' || !Number.isInteger(n) || n < 0) {
      throw new Error(`ResNet12Block.loadExtraState: expected { batchesSeen: integer >= 0 }, got ${JSON.stringify(state)}`);
    }
    this.batchesSeen = n;
  }

  private m(name: string): TensorModule {
    for (const [n, c] of this.children()) if (n === name) return c as TensorModule;
    throw new Error(`ResNet12Block: no child "${name}"`);
  }

  forward(x: tf.Tensor): tf.Tensor {
    if (this.training) this.batchesSeen++;
    return scoped('ResNet12Block', () => {
      const act = (t: tf.Tensor) => leakyRelu(t, this.negativeSlope);
      let out = act(this.m('bn1').forward(this.m('conv1').forward(x)));
      out = act(this.m('bn2').forward(this.m('conv2').forward(out)));
      out = this.m('bn3').forward(this.m('conv3').forward(out));
      out = act(tf.add(out, this.m('downsample').forward(x)));
      out = maxPool2d(out, 2);
      if (this.training && this.dropRate > 0) {
        if (this.useDropBlock) {
          const keep = dropBlockKeepRate(this.dropRate, this.batchesSeen, this.dropBlockSteps);
          const gamma = dropBlockGamma(keep, this.blockSize, out.shape[1]!);
          out = dropBlock(out, gamma, this.blockSize, { rng: this.rng });
        } else out = dropout(out, this.dropRate, this.rng);
      }
      return out;
    });
  }
}

/** Outputs of {@link ResNet12.forward}; the caller owns every tensor. */
export interface ResNet12Output {
  /** Last stage's spatial map [B, h, w, 640] (5×5 for 84², 2×2 for 32²). */
  featureMap: tf.Tensor4D;
  /** Global average pool of the map, [B, 640]. */
  features: tf.Tensor2D;
  /** [B, numClasses] when built with a classifier, else null. */
  logits: tf.Tensor2D | null;
}

/**
 * ResNet-12 as in SCL (and RFS/MetaOptNet): four {@link ResNet12Block} stages `layer1.0`…`layer4.0` of widths
 * 64-160-320-640, DropBlock in stages 3–4 with SCL's schedule, global average pooling, optional classifier.
 * Convs are Kaiming-normal (fan_out, leaky_relu), BN γ = 1, β = 0. NHWC input.
 */
export class ResNet12 extends Module {
  readonly channels: readonly [number, number, number, number];
  readonly blocks: ResNet12Block[] = [];
  constructor(options: ResNet12Options = {}) {
    super();
    const rng = options.rng ?? globalRng();
    this.channels = options.channels ?? [64, 160, 320, 640];
    const dropRate = options.dropRate ?? 0.1;
    let inC = options.inChannels ?? 3;
    this.channels.forEach((c, i) => {
      const block = new ResNet12Block(inC, c, dropRate, i >= 2, options.dropBlockSize ?? 5, options.dropBlockSteps ?? 40000, options.negativeSlope ?? 0.1, rng);
      // Named as RFS/SCL's `layerN = nn.Sequential(block)` so their state dicts map one to one.
      this.registerModule(`layer${i + 1}`, new Sequential([block]));
      this.blocks.push(block);
      inC = c;
    });
    if ((options.numClasses ?? 0) > 0) this.registerModule('classifier', new Linear(this.channels[3], options.numClasses!, { rng }));
    // RFS/SCL: kaiming_normal_(mode='fan_out', nonlinearity='leaky_relu') on every conv (a = 0, gain √2).
    for (const [, p] of this.namedParameters()) {
      if (p.shape.length === 4) tf.tidy(() => p.assign(kaimingNormal(p.shape, { mode: 'fanOut', nonlinearity: 'leaky_relu', rng })));
    }
  }

  /** Feature dimension (the last stage's width). */
  get featureDim(): number {
    return this.channels[3];
  }

  /** x [B, H, W, C] → last spatial map, pooled features and (with a classifier) logits. */
  forward(x: tf.Tensor): ResNet12Output {
    if (x.rank !== 4) throw new Error(`ResNet12: input must be NHWC [B, H, W, C], got shape [${x.shape}]`);
    return tf.tidy('ResNet12', () => {
      let h = x;
      for (let i = 1; i <= 4; i++) h = (this.child(`layer${i}`) as TensorModule).forward(h);
      const features = globalAvgPool2d(h) as tf.Tensor2D;
      const head = this.children().find(([n]) => n === 'classifier');
      const logits = head ? ((head[1] as TensorModule).forward(features) as tf.Tensor2D) : null;
      return { featureMap: h as tf.Tensor4D, features, logits } as unknown as tf.TensorContainer;
    }) as unknown as ResNet12Output;
  }

  private child(name: string): Module {
    const c = this.children().find(([n]) => n === name);
    if (!c) throw new Error(`ResNet12: no child "${name}"`);
    return c[1];
  }
}
