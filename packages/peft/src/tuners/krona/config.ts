import { z } from 'zod';
import { commonFields, targetModulesSchema } from '../common-config';

const shape2 = z.tuple([z.number().int().positive(), z.number().int().positive()]);

/**
 * KronA (Edalati et al., arXiv 2212.10650). No official code exists; values marked [assumption] follow
 * peft LoKr's defaults (huggingface/peft:src/peft/tuners/lokr/config.py).
 */
export const kronaConfigSchema = z.object({
  method: z.literal('krona'),
  /**
   * `linear`: KronA, ΔW = s·(A⊗B) parallel to each targeted dense layer (mergeable); `block`: KronA^B,
   * parallel to the whole FFN block; `block_res`: KronA^B_res, plus `resScale · x`.
   */
  variant: z.enum(['linear', 'block', 'block_res']).default('linear'),
  /**
   * Default: `["query", "value"]` for `linear` ([unverified] for the paper; peft's BERT LoRA mapping),
   * the FFN output modules (`layer.N.output`) for the block variants.
   */
  targetModules: targetModulesSchema.optional(),
  /** Factor shapes in LEL's `[in, out]` layout: A `[a1, a2]`, B `[b1, b2]` with a1·b1 = in, a2·b2 = out. Default: automatic. */
  aShape: shape2.optional(),
  bShape: shape2.optional(),
  /** peft LoKr `decompose_factor` for the automatic shapes (default -1: the factor pair nearest √dim). */
  decomposeFactor: z.number().int().default(-1),
  /** s [assumption: 1, as LoKr's default alpha/r = 8/8]. */
  scale: z.number().default(1),
  /** Learn s (one scalar per layer). Default false. */
  scaleTrainable: z.boolean().default(false),
  /** s_res of KronA^B_res (fixed) [assumption: 1, third-party re-implementations]. */
  resScale: z.number().default(1),
  /** Zero-initialised factor (the other is kaiming-uniform, a = √5); LoKr's default zeroes w1 = A. */
  zeroFactor: z.enum(['A', 'B']).default('A'),
  ...commonFields,
}).strict();

export type KronaConfig = z.input<typeof kronaConfigSchema>;
export type ResolvedKronaConfig = z.output<typeof kronaConfigSchema>;
