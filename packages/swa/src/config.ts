import { z } from 'zod';

/**
 * Configuration of {@link SwaCallback} with defaults from torch / Lightning (cited per field), and
 * two presets: vision-style SWA (Izmailov et al. 2018) and PLM fine-tuning SWA (Lu et al. 2022).
 */
export const SwaConfig = z
  .object({
    /** `swa` running mean (Izmailov et al.) or `ema`. */
    strategy: z.enum(['swa', 'ema']).default('swa'),
    /** EMA decay; torch `get_ema_multi_avg_fn(decay=0.999)`. */
    decay: z.number().min(0).max(1).default(0.999),
    /** Average BatchNorm buffers too (torch `use_buffers`, default False). */
    useBuffers: z.boolean().default(false),
    /** Average every parameter (torch) or only trainable ones. */
    parameters: z.enum(['all', 'trainable']).default('all'),
    /** Cadence unit: `epoch` (vision SWA, Lightning) or `step` (PLM fine-tuning, Lu et al. 2022). */
    unit: z.enum(['step', 'epoch']).default('epoch'),
    /** Average every `every` units once started. Izmailov et al. use a cycle length c = 1 epoch. */
    every: z.number().int().min(1).default(1),
    /** Fraction of training before averaging starts; Lightning `swa_epoch_start=0.8`. */
    swaStart: z.number().min(0).lt(1).default(0.8),
    /** Copy the averaged weights into the model at the end of training (Lightning does). */
    applyAtEnd: z.boolean().default(true),
  })
  .strict();

export type SwaConfig = z.output<typeof SwaConfig>;
export type SwaConfigInput = z.input<typeof SwaConfig>;

/**
 * Presets. `vision`: per-epoch averaging over the last 20% of training (Lightning defaults; Izmailov
 * et al. average once per epoch after a fixed start). `plm`: Lu et al. (Findings of EMNLP 2022)
 * average every k optimisation steps from earlier in training under a high constant learning rate;
 * their exact k and start fraction are not stated in our sources, so `every: 10`, `swaStart: 0.5`
 * are ours.
 */
export const swaPresets = {
  vision: { unit: 'epoch', every: 1, swaStart: 0.8 },
  plm: { unit: 'step', every: 10, swaStart: 0.5 },
} as const satisfies Record<string, SwaConfigInput>;
