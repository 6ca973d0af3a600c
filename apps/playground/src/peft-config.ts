import type { PeftFineTuneConfigInput } from '@lel/peft';
import type { PeftArmMethod, PeftTrainRequest } from './peft-protocol';

/** Tokens per sentence, special tokens included (review sentences are short). */
export const MAX_LENGTH = 48;

/** What each arm method means on the page. */
export const PEFT_METHODS: Record<PeftArmMethod, string> = {
  lora: 'LoRA (r 8 on query, value; + head)',
  bitfit: 'BitFit (biases; + head)',
  head: 'head only (frozen BERT)',
  full: 'full fine-tuning',
};

/**
 * The PEFT demo's config: `@lel/peft`'s fine-tuning defaults (AdamW, no weight decay, clip 1.0, constant lr; LoRA
 * r = α = 8 on query/value, BitFit on every bias, the classifier trained in both, as peft's SEQ_CLS) with a higher
 * learning rate for a handful of sentences and a batch of 4. `head`: every BERT weight frozen, the classifier trains
 * (lr as BitFit's); `full`: every weight trains, at 1e-4 (the BERT paper's 2e-5 needs far more steps than a page has).
 */
export function peftConfig(req: Pick<PeftTrainRequest, 'method' | 'epochs' | 'seed'>): PeftFineTuneConfigInput {
  const common = { epochs: req.epochs, batchSize: 4, maxLength: MAX_LENGTH, seed: req.seed };
  switch (req.method) {
    case 'lora':
      return { ...common, peft: { method: 'lora', r: 8, loraAlpha: 8, targetModules: ['query', 'value'] }, lr: 5e-3 };
    case 'bitfit':
      return { ...common, peft: { method: 'bitfit' }, lr: 5e-3 };
    case 'head':
      return { ...common, peft: null, lr: 5e-3 };
    case 'full':
      return { ...common, peft: null, lr: 1e-4 };
  }
}
