import * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import type { BertForSequenceClassification } from '@lel/models';
import type { LogitsFn } from './text';

/**
 * Optimiser settings of the text fine-tuning recipes (AdamW without decay on biases and LayerNorm, linear warm-up then
 * decay, as Hugging Face). The length keys (`epochs`, `batchSize`) are in `train`.
 */
export const TextOptim = z
  .object({
    lr: z.number().positive().default(5e-4),
    weightDecay: z.number().min(0).default(0.01),
    warmupFraction: z.number().min(0).max(1).default(0.1),
  })
  .strict()
  .prefault({});

/** The training-length keys of the text recipes' one `train` section. */
export const TextLength = {
  epochs: z.number().int().min(1).default(6),
  batchSize: z.number().int().min(1).default(8),
};
export type TextOptim = z.output<typeof TextOptim>;

/** Logits of a BERT sequence classifier. */
export const bertLogits = (model: BertForSequenceClassification): LogitsFn => (inputs) => {
  const out = model.forward(inputs);
  tf.dispose([out.lastHiddenState, out.poolerOutput, ...(out.hiddenStates ?? [])]);
  return out.logits as tf.Tensor2D;
};
