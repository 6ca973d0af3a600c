import * as tf from '@tensorflow/tfjs-core';
import { Module, type Rng } from '@lel/core';
import { ResNet12, type ResNet12Output } from '@lel/models';
import { AttentionSimilarity, type SpatialAggregation } from './attention';
import { ProjectionHead } from './projection';

/** Options of {@link SclModel}. */
export interface SclModelOptions {
  /** Base classes of the linear classifier. */
  numClasses: number;
  /** Input channels. Default 3. */
  inChannels?: number;
  /** ResNet-12 stage widths. Default [64, 160, 320, 640]. */
  channels?: readonly [number, number, number, number];
  dropRate?: number;
  /** DropBlock size. Default 2 (SCL's 32-px CIFAR-FS setting, as `SclConfig`; 5 for 84-px inputs). */
  dropBlockSize?: number;
  /** Width C′ of the projection head and the q/k/v MLPs. Default 80. */
  featDim?: number;
  /** Build the global projection head (needed by GC). Default true. */
  projection?: boolean;
  /** Build the attention-similarity head (needed by SC). Default true. */
  attention?: boolean;
  aggregation?: SpatialAggregation;
  rng?: Rng;
}

/**
 * SCL's network: a ResNet-12 backbone with a base-class classifier (`backbone.*`), the global projection head
 * (`projection.*`) and the attention-similarity head (`attention.*`). Only the backbone is used at test time.
 */
export class SclModel extends Module {
  readonly backbone: ResNet12;
  readonly projection: ProjectionHead | null;
  readonly attention: AttentionSimilarity | null;

  constructor(readonly options: SclModelOptions) {
    super();
    if (!Number.isInteger(options.numClasses) || options.numClasses < 2) throw new Error(`SclModel: numClasses must be an integer >= 2, got ${options.numClasses}`);
    this.backbone = this.registerModule(
      'backbone',
      new ResNet12({
        inChannels: options.inChannels ?? 3,
        channels: options.channels ?? [64, 160, 320, 640],
        dropRate: options.dropRate ?? 0.1,
        dropBlockSize: options.dropBlockSize ?? 2,
        numClasses: options.numClasses,
        rng: options.rng,
      }),
    );
    const c = this.backbone.featureDim;
    const featDim = options.featDim ?? 80;
    this.projection = options.projection ?? true ? this.registerModule('projection', new ProjectionHead(c, featDim, options.rng)) : null;
    this.attention =
      options.attention ?? true
        ? this.registerModule('attention', new AttentionSimilarity(c, { innerSize: featDim, aggregation: options.aggregation ?? 'mean', rng: options.rng }))
        : null;
  }

  /** Feature dimension of the pooled features. */
  get featureDim(): number {
    return this.backbone.featureDim;
  }

  /** x [B, H, W, C] → last spatial map, pooled features and base-class logits (the caller owns them). */
  forward(x: tf.Tensor): ResNet12Output & { logits: tf.Tensor2D } {
    return this.backbone.forward(x) as ResNet12Output & { logits: tf.Tensor2D };
  }
}
