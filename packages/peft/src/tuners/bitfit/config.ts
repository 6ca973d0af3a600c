import { z } from 'zod';
import { commonFields } from '../common-config';

/**
 * BitFit's bias components and the parameter-name substring each one selects
 * (benzakenelad/BitFit:GLUEvaluator.py `BIAS_TERMS_DICT`). `output` is the official `output.dense.bias`,
 * which also matches the attention output (`attention.output.dense.bias`); `attention_output` (LEL
 * addition) selects the attention output alone.
 */
export const BITFIT_BIAS_TERMS = {
  query: 'attention.self.query.bias',
  key: 'attention.self.key.bias',
  value: 'attention.self.value.bias',
  output: 'output.dense.bias',
  attention_output: 'attention.output.dense.bias',
  intermediate: 'intermediate.dense.bias',
  attention_layernorm: 'attention.output.LayerNorm.bias',
  output_layernorm: 'output.LayerNorm.bias',
  all: 'bias',
} as const;

export type BitFitComponent = keyof typeof BITFIT_BIAS_TERMS;

/** Always trained by the official code besides the chosen biases (GLUEvaluator.py `_deactivate_relevant_gradients`). */
export const BITFIT_ALWAYS_TRAINABLE = ['pooler.dense.bias', 'classifier'] as const;

const components = z.array(z.enum(Object.keys(BITFIT_BIAS_TERMS) as [BitFitComponent, ...BitFitComponent[]])).min(1);

/** BitFit (Ben Zaken et al., ACL 2022): train bias terms only. */
export const bitFitConfigSchema = z.object({
  method: z.literal('bitfit'),
  /** Which biases; official `--bias_terms` default `all`. */
  components: components.default(['all']),
  /**
   * Substrings trained besides the biases: the official code always unfreezes `pooler.dense.bias` and
   * the `classifier`.
   */
  alwaysTrainable: z.array(z.string().min(1)).default([...BITFIT_ALWAYS_TRAINABLE]),
  ...commonFields,
}).strict();

export type BitFitConfig = z.input<typeof bitFitConfigSchema>;
export type ResolvedBitFitConfig = z.output<typeof bitFitConfigSchema>;
export { components as bitFitComponentsSchema };
