import * as tf from '@tensorflow/tfjs-core';
import { Module, ModuleList, resizeBilinear, scoped, validateConfig, type Conv2d, type Rng } from '@lel/core';
import { ArSegArchitectureSchema, type ArSegArchitecture, type ArSegArchitectureInput } from './config';
import { MaskedSelfAttention } from './attention';
import { ArResidualBlock, ArStem, xavierConv } from './blocks';
import { assertOrdering } from './orderings';

/** The architecture options contained in a full (training) configuration. */
export function architectureOf(config: Partial<Record<string, unknown>>): ArSegArchitectureInput {
  const keys = Object.keys(ArSegArchitectureSchema.shape);
  return Object.fromEntries(keys.filter((k) => config[k] !== undefined).map((k) => [k, config[k]])) as ArSegArchitectureInput;
}

/**
 * The autoregressive encoder: stem h, then residual blocks g_ar whose first conv is masked per ordering, with an
 * optional masked self-attention layer. `forward(x)` without an ordering runs ordering 0 (no masking), which is how
 * the encoder is used at inference and as a pretrained backbone: it satisfies @lel/cct's `SegmentationEncoder`
 * (`outChannels`, `forward(x)` → [B, H/s, W/s, F]); set CCT's `upscale` to {@link outputStride}.
 */
export class ArEncoder extends Module {
  /** Resolved architecture (saved with exported weights). */
  readonly options: ArSegArchitecture;
  readonly stem: ArStem;
  readonly blocks: ModuleList<ArResidualBlock>;
  readonly attention: MaskedSelfAttention | null;
  /** Channels of the output feature map (stemChannels · 2^numBlocks). */
  readonly outChannels: number;
  /** Input size / feature size: 2·stemStride when masking on features, 1 when masking on the input. */
  readonly outputStride: number;
  private readonly attentionAfter: number;

  constructor(options: ArSegArchitectureInput = {}, rng?: Rng) {
    super();
    const o = validateConfig(ArSegArchitectureSchema, options);
    this.options = o;
    this.stem = this.registerModule('stem', new ArStem(o.inChannels, o.stemChannels, o.maskOn, { stride: o.stemStride, kernelSize: o.kernelSize, rng }));
    this.outputStride = this.stem.outputStride;
    this.blocks = this.registerModule('blocks', new ModuleList<ArResidualBlock>());
    this.attentionAfter = o.attentionAfter ?? (o.numBlocks <= 2 ? 1 : 2);
    if (o.attention && this.attentionAfter > o.numBlocks) {
      throw new Error(`ArEncoder: attentionAfter (${this.attentionAfter}) must be at most numBlocks (${o.numBlocks})`);
    }
    let c = o.stemChannels;
    let attention: MaskedSelfAttention | null = null;
    for (let i = 0; i < o.numBlocks; i++) {
      const block = new ArResidualBlock(c, o.kernelSize, rng);
      this.blocks.push(block);
      c = block.outChannels;
      if (o.attention && i + 1 === this.attentionAfter) {
        attention = this.registerModule('attention', new MaskedSelfAttention(c, { ...(o.attentionDim ? { dk: o.attentionDim } : {}), rng }));
      }
    }
    this.attention = attention;
    this.outChannels = c;
  }

  /** The unmasked stem output, shared by both orderings when masking on features (the stem has no ordering). */
  stemFeatures(x: tf.Tensor): tf.Tensor4D | null {
    return this.options.maskOn === 'features' ? this.stem.forward(x, 0) : null;
  }

  /** Features after the AR blocks for stem output `h` (from {@link stemFeatures}) under ordering `o`. */
  fromStem(h: tf.Tensor, o: number): tf.Tensor4D {
    return scoped('ArEncoder.blocks', () => {
      let y: tf.Tensor4D = h as tf.Tensor4D;
      this.blocks.items.forEach((b, i) => {
        y = b.forward(y, o);
        if (this.attention && i + 1 === this.attentionAfter) y = this.attention.forward(y, o);
      });
      return y;
    });
  }

  /** Images [B, H, W, inChannels] → features [B, H/s, W/s, outChannels] under ordering `o` (default 0, unmasked). */
  forward(x: tf.Tensor, o = 0): tf.Tensor4D {
    assertOrdering('ArEncoder.forward', o);
    if (x.rank !== 4 || x.shape[3] !== this.options.inChannels) throw new Error(`ArEncoder: x must be NHWC [B, H, W, ${this.options.inChannels}], got [${x.shape}]`);
    return scoped('ArEncoder', () => this.fromStem(this.stem.forward(x, o), o));
  }
}

/** Per-pixel cluster probabilities of one view. */
export type ArSegOutput = {
  /** [B, H, W, numClusters], softmax over the last axis, at input resolution. */
  probs: tf.Tensor4D;
  /** [B, H, W, overclusterK] when the model has an over-clustering head. */
  overProbs?: tf.Tensor4D;
};

/**
 * The autoregressive clustering network of Ouali et al. (ECCV 2020): {@link ArEncoder} plus decoder d, a 1×1 conv to
 * K clusters, bilinear upsampling to the input size (align_corners = False) and softmax [model/components.py
 * `decoder`]; optionally a second 1×1 head with more clusters (IIC's over-clustering head).
 */
export class ArSegModel extends Module {
  readonly encoder: ArEncoder;
  readonly head: Conv2d;
  readonly overHead: Conv2d | null;

  constructor(options: ArSegArchitectureInput = {}, rng?: Rng) {
    super();
    this.encoder = this.registerModule('encoder', new ArEncoder(options, rng));
    const o = this.encoder.options;
    this.head = this.registerModule('head', xavierConv(this.encoder.outChannels, o.numClusters, 1, { rng }));
    this.overHead = o.overclusterK > 0 ? this.registerModule('overHead', xavierConv(this.encoder.outChannels, o.overclusterK, 1, { rng })) : null;
  }

  get options(): ArSegArchitecture {
    return this.encoder.options;
  }

  /** Decoder d on features `f` for an image of size `size`. */
  decode(f: tf.Tensor, size: [number, number]): ArSegOutput {
    return scoped('ArSegModel.decode', () => {
      const up = (logits: tf.Tensor): tf.Tensor4D => {
        const l = logits.shape[1] === size[0] && logits.shape[2] === size[1] ? logits : resizeBilinear(logits, size, { alignCorners: false });
        return tf.softmax(l, -1) as tf.Tensor4D;
      };
      const probs = up(this.head.forward(f));
      return this.overHead ? { probs, overProbs: up(this.overHead.forward(f)) } : { probs };
    });
  }

  /** Cluster probabilities of images x [B, H, W, C] under ordering `o` (0 = unmasked, inference). */
  forward(x: tf.Tensor, o = 0): ArSegOutput {
    return scoped('ArSegModel.forward', () => this.decode(this.encoder.forward(x, o), [x.shape[1]!, x.shape[2]!]));
  }

  /**
   * Both views of x under orderings o1 and o2. When masking on features the unmasked stem runs once and is shared
   * (it does not depend on the ordering), halving its cost and updating BatchNorm statistics once per batch.
   */
  forwardPair(x: tf.Tensor, o1: number, o2: number): [ArSegOutput, ArSegOutput] {
    assertOrdering('ArSegModel.forwardPair', o1);
    assertOrdering('ArSegModel.forwardPair', o2);
    return scoped('ArSegModel.forwardPair', () => {
      const size: [number, number] = [x.shape[1]!, x.shape[2]!];
      const h = this.encoder.stemFeatures(x);
      const view = (o: number) => this.decode(h ? this.encoder.fromStem(h, o) : this.encoder.forward(x, o), size);
      return [view(o1), view(o2)] as [ArSegOutput, ArSegOutput];
    });
  }

  /** Hard cluster map [B, H, W] int32 (argmax of the unmasked prediction). */
  predict(x: tf.Tensor): tf.Tensor3D {
    return scoped('ArSegModel.predict', () => {
      const out = this.forward(x, 0);
      return tf.argMax(out.probs, -1) as tf.Tensor3D;
    });
  }
}
