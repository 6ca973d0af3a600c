import { z } from 'zod';

/**
 * Options of @lel/entropy-min. Every default names its source; replace them with your method's official values.
 */
export const EntropyMinConfigSchema = z.object({
  /** λ, weight of the entropy term. Grandvalet & Bengio (2004) select it by validation; 0.1 is our starting point. */
  unsupWeight: z.number().nonnegative().default(0.1),
  /** Hidden width of the classifier's MLP (ours). */
  hidden: z.number().int().positive().default(64),
  /** Adam learning rate (Adam's usual default, Kingma & Ba 2015). */
  lr: z.number().positive().default(1e-3),
  /** Training steps (ours; small so the recipe runs in seconds). */
  steps: z.number().int().positive().default(200),
  /** Labelled and unlabelled batch size (ours). */
  batchSize: z.number().int().positive().default(32),
  /** Seed of the initialisation and the data order (ours). */
  seed: z.number().int().default(0),
}).strict();

/** Resolved config of @lel/entropy-min. */
export type EntropyMinConfig = z.output<typeof EntropyMinConfigSchema>;
/** What users write: every option optional. */
export type EntropyMinConfigInput = z.input<typeof EntropyMinConfigSchema>;
