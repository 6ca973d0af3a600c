import type { BertConfig } from './config';

/**
 * The tiny BERT of the tests and golden files (6162 parameters with a 2-class head): `reference/text/golden.py`
 * builds the same config. Test-only (not published); @lel/peft's tests share it.
 */
export const TINY_BERT: Partial<BertConfig> = {
  vocabSize: 60,
  hiddenSize: 16,
  numHiddenLayers: 2,
  numAttentionHeads: 2,
  intermediateSize: 32,
  maxPositionEmbeddings: 24,
  typeVocabSize: 2,
};
