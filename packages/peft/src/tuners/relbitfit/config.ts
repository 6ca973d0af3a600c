import { z } from 'zod';
import { bitFitConfigSchema } from '../bitfit/config';
import { targetModulesSchema } from '../common-config';

/**
 * RelBitFit (Ouali, thesis; no public code — this is the first implementation): BitFit whose key bias
 * (dead under softmax) is replaced by relative-position terms `(z_i W_q)·R_{clip(i−j)} + s_{clip(i−j)}`
 * in every targeted self-attention. PT / LR / Clip are the thesis' parameter-saving options.
 */
export const relBitFitConfigSchema = bitFitConfigSchema.extend({
  method: z.literal('relbitfit'),
  /** Self-attention modules to extend (HF `…attention.self`). */
  targetModules: targetModulesSchema.default(['attention.self']),
  /**
   * Clip: L_max (2·L_max + 1 buckets, Shaw et al. 2018). `null` (default): no clipping, L_max =
   * maxPositionEmbeddings − 1 so every distance has its own bucket.
   */
  maxDistance: z.number().int().nonnegative().nullable().default(null),
  /** PT across heads: one R and one s for all heads of a layer. Default false. */
  shareAcrossHeads: z.boolean().default(false),
  /** PT across layers: the first targeted layer stores R and s, all layers use them (as T5's relative bias). Default false. */
  shareAcrossLayers: z.boolean().default(false),
  /** LR: R = U V with this rank (U starts at zero, V kaiming-uniform); `null` (default) = full R (zero-initialised). */
  rank: z.number().int().positive().nullable().default(null),
  /**
   * Keep the key bias trainable. Default false: the relative terms take its place (its gradient is zero
   * anyway, see `keyBiasRowShift`), so it is frozen and not counted as trainable.
   */
  trainKeyBias: z.boolean().default(false),
}).strict();

export type RelBitFitConfig = z.input<typeof relBitFitConfigSchema>;
export type ResolvedRelBitFitConfig = z.output<typeof relBitFitConfigSchema>;
