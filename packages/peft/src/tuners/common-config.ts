import { z } from 'zod';

/**
 * Which modules get the method (peft `target_modules`): a list of names matched as the full dotted path
 * or a `.`-separated suffix (`"query"` matches `encoder.layer.0.attention.self.query`), a string taken
 * as a regular expression that must match the whole path, or `"all-linear"` (every dense layer except
 * the output head, `classifier`).
 */
export const targetModulesSchema = z.union([z.array(z.string().min(1)).min(1), z.string().min(1)]);

/** Options every method shares (peft's `PeftConfig`/`LoraConfig` common fields). */
export const commonFields = {
  /** Modules excluded from `targetModules` (same matching rules). */
  excludeModules: targetModulesSchema.optional(),
  /** Only these layer indices (the number after `layersPattern` in the path); default all. */
  layersToTransform: z.array(z.number().int().nonnegative()).min(1).optional(),
  /** Path segment before the layer index (peft `layers_pattern`); default `layer`. */
  layersPattern: z.string().min(1).default('layer'),
  /**
   * Modules kept fully trainable and saved with the adapter (peft `modules_to_save`; peft adds the
   * classification head for `SEQ_CLS` tasks, so the default is `["classifier"]`, skipped silently when the
   * model has no such module; an explicit list must match).
   */
  modulesToSave: z.array(z.string().min(1)).optional(),
  /** Seed of the adapter initialisation (default: the global generator). */
  seed: z.number().int().optional(),
};
