import { z } from 'zod';
import { commonFields, targetModulesSchema } from '../common-config';

/** LoRA (Hu et al. 2021); defaults from peft's `LoraConfig` (huggingface/peft:src/peft/tuners/lora/config.py). */
export const loraConfigSchema = z.object({
  method: z.literal('lora'),
  /** Rank (peft default 8). */
  r: z.number().int().positive().default(8),
  /** α (peft `lora_alpha`, default 8). */
  loraAlpha: z.number().positive().default(8),
  /**
   * Dropout on the adapter input (peft default 0). Its masks come from the `seed` generator (the global one
   * without `seed`), which every LoRA layer then registers (`…lora_rng_<adapter>`), so checkpoints save its state.
   */
  loraDropout: z.number().min(0).lt(1).default(0),
  /** rsLoRA: scale by α/√r instead of α/r (peft default false). */
  useRslora: z.boolean().default(false),
  /** Which biases train too: `none` (peft default), `all`, `lora_only` (the targeted layers' biases). */
  bias: z.enum(['none', 'all', 'lora_only']).default('none'),
  /** `true`: A kaiming-uniform (a = √5), B = 0 (peft default); `gaussian`: A ~ N(0, 1/r). */
  initLoraWeights: z.union([z.literal(true), z.literal('gaussian')]).default(true),
  /** peft's BERT mapping: `["query", "value"]`. */
  targetModules: targetModulesSchema.default(['query', 'value']),
  ...commonFields,
}).strict();

export type LoraConfig = z.input<typeof loraConfigSchema>;
export type ResolvedLoraConfig = z.output<typeof loraConfigSchema>;
