import * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import { AdamW, type NamedParameter } from '@lel/core';
import type { BertForSequenceClassification } from '@lel/models';
import type { LogitsFn } from './text';

/** Optimiser settings of the text fine-tuning recipes (AdamW, linear warm-up then decay, as Hugging Face). */
export const TextOptim = z
  .object({
    lr: z.number().positive().default(5e-4),
    weightDecay: z.number().min(0).default(0.01),
    warmupFraction: z.number().min(0).max(1).default(0.1),
    batchSize: z.number().int().min(1).default(8),
    epochs: z.number().int().min(1).default(6),
  })
  .strict()
  .prefault({});
export type TextOptim = z.output<typeof TextOptim>;

/** Logits of a BERT sequence classifier. */
export const bertLogits = (model: BertForSequenceClassification): LogitsFn => (inputs) => {
  const out = model.forward(inputs);
  tf.dispose([out.lastHiddenState, out.poolerOutput, ...(out.hiddenStates ?? [])]);
  return out.logits as tf.Tensor2D;
};

/** AdamW with no weight decay on biases and LayerNorm (Hugging Face's grouping). */
export function adamwGroups(params: NamedParameter[], optim: TextOptim): AdamW {
  const noDecay = (n: string) => n.endsWith('.bias') || n.includes('LayerNorm');
  return new AdamW(
    [
      { params: params.filter(([n]) => !noDecay(n)) },
      { params: params.filter(([n]) => noDecay(n)), weightDecay: 0 },
    ],
    { lr: optim.lr, weightDecay: optim.weightDecay },
  );
}

