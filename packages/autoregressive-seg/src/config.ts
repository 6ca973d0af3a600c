import { z } from 'zod';

const ordering = z.number().int().min(1).max(8);

/**
 * Architecture of the autoregressive segmenter. Defaults follow the public re-implementation
 * (Max-Manning/autoregunsupseg, model/model.py and model/components.py): no official code exists.
 */
export const ArSegArchitectureSchema = z.strictObject({
  /** Image channels (3 RGB; the re-implementation uses 4 for Potsdam RGB+IR). */
  inChannels: z.number().int().positive().default(3),
  /** K, clusters of the main head (= ground-truth classes for Hungarian evaluation). Re-implementation default 3 (COCO-Stuff-3). */
  numClusters: z.number().int().min(2).default(3),
  /** Clusters of the auxiliary over-clustering head (IIC's head A, e.g. 15 for COCO-Stuff-3); 0 = no such head (default). */
  overclusterK: z.number().int().min(0).default(0),
  /** Stem width [components.py: 64]. Every residual block doubles it. */
  stemChannels: z.number().int().positive().default(64),
  /** Stem conv stride, 1 or 2 [model.py: ARSegmentationNet2/3/4 default 1; the "A" variants use 2]. */
  stemStride: z.union([z.literal(1), z.literal(2)]).default(1),
  /** AR residual blocks: 2, 3 or 4 (ARSegmentationNet2/3/4). Default 2. */
  numBlocks: z.number().int().min(1).max(4).default(2),
  /** Kernel of the masked conv of each block (3 in the re-implementation; 5, 7 allowed). */
  kernelSize: z.union([z.literal(3), z.literal(5), z.literal(7)]).default(3),
  /**
   * Where the masking starts: 'features' (default; the re-implementation: unmasked stem h, masked g_ar on its
   * features) or 'input' (every layer masked at pixel level: masked stem at full resolution, no pooling).
   */
  maskOn: z.enum(['features', 'input']).default('features'),
  /** Add one masked self-attention layer ("A" variants). Default false. */
  attention: z.boolean().default(false),
  /** The attention layer comes after this many residual blocks (re-implementation: 1 for 2A, 2 for 3A/4A). Default: 1 with 2 blocks, else 2. */
  attentionAfter: z.number().int().min(1).max(4).optional(),
  /** Attention query/key/value width; default half the channels it sees (attentionLayer(128, 64, 64), (256, 128, 128)). */
  attentionDim: z.number().int().positive().optional(),
});

/** The loss and training recipe. */
export const ArSegTrainingSchema = z.strictObject({
  /** 'ac': two autoregressive orderings of one image (the paper); 'iic': IIC baseline, two augmented views, unmasked network. */
  mode: z.enum(['ac', 'iic']).default('ac'),
  /**
   * How the two orderings of a batch are drawn: 'independent' (each uniformly from `orderings`, may coincide; the
   * re-implementation's train.py) or 'distinct' (a uniformly random pair of different orderings). The paper's policy
   * is not public.
   */
  orderingPolicy: z.enum(['independent', 'distinct']).default('independent'),
  /** Orderings to draw from (default all 8). Fewer orderings = fewer distinct views. */
  orderings: z.array(ordering).min(1).default([1, 2, 3, 4, 5, 6, 7, 8]),
  /** IIC loss form [IIC IID_losses.py]: 'uncollapsed' (every IIC segmentation run) or 'collapsed'. */
  lossForm: z.enum(['collapsed', 'uncollapsed']).default('uncollapsed'),
  /** Displacement half-width T [run_experiments.sh and IIC commands.txt: 10]. */
  halfT: z.number().int().min(0).default(10),
  /** λ, the marginal-entropy weight [IIC: 1.0; 1.5 for COCO-Stuff-3 / Potsdam-3]. */
  lambda: z.number().nonnegative().default(1),
  /** Clamp of P and the marginals [IIC: sys.float_info.epsilon]. */
  eps: z.number().positive().default(2.220446049250313e-16),
  /** Weight of the over-clustering head's IIC loss, added to the main head's (IIC alternates the heads instead). */
  overclusterWeight: z.number().nonnegative().default(1),
  /** Adam learning rate [IIC commands.txt COCO-Stuff: 1e-4; the re-implementation uses 1e-6 to 4e-5]. */
  lr: z.number().positive().default(1e-4),
  /** Batch size [run_experiments.sh: 20–30]. */
  batchSize: z.number().int().positive().default(20),
  /** Optimiser steps (ours; the re-implementation trains 20 epochs). */
  steps: z.number().int().positive().default(1000),
  /** IIC baseline views: colour-jitter strength (brightness/contrast/per-channel gain, ±) [IIC Potsdam jitter 0.1; ours for RGB]. */
  jitter: z.number().min(0).max(1).default(0.1),
  /** IIC baseline: flip the second view horizontally with this probability (its output is flipped back) [IIC: flip]. */
  flipProbability: z.number().min(0).max(1).default(0.5),
  seed: z.number().int().default(0),
});

/** Full configuration of {@link trainArSeg}. */
export const ArSegConfigSchema = z.strictObject({ ...ArSegArchitectureSchema.shape, ...ArSegTrainingSchema.shape });

/** Resolved architecture options. */
export type ArSegArchitecture = z.infer<typeof ArSegArchitectureSchema>;
/** Architecture options as written by a user (defaults applied by the schema). */
export type ArSegArchitectureInput = z.input<typeof ArSegArchitectureSchema>;
/** Resolved full configuration. */
export type ArSegConfig = z.infer<typeof ArSegConfigSchema>;
/** Full configuration as written by a user. */
export type ArSegConfigInput = z.input<typeof ArSegConfigSchema>;
