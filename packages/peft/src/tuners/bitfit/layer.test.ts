import { describe, expect, test } from 'vitest';
import { bitfitSubstrings, normalizeLegacyName, selectBitfitParameters } from './layer';

describe('BitFit selection', () => {
  const names = [
    'bert.embeddings.LayerNorm.gamma',
    'bert.embeddings.LayerNorm.beta',
    'bert.encoder.layer.0.attention.self.key.bias',
    'bert.encoder.layer.0.attention.output.dense.bias',
    'bert.encoder.layer.0.attention.output.LayerNorm.beta',
    'bert.encoder.layer.0.output.dense.bias',
    'bert.encoder.layer.0.output.LayerNorm.beta',
    'bert.pooler.dense.weight',
    'bert.pooler.dense.bias',
    'classifier.weight',
  ];

  test('legacy gamma/beta names are normalised before the substring test', () => {
    expect(normalizeLegacyName('x.LayerNorm.beta')).toBe('x.LayerNorm.bias');
    expect(normalizeLegacyName('x.LayerNorm.gamma')).toBe('x.LayerNorm.weight');
    expect(selectBitfitParameters(names, ['all'])).toEqual([
      'bert.embeddings.LayerNorm.beta',
      'bert.encoder.layer.0.attention.self.key.bias',
      'bert.encoder.layer.0.attention.output.dense.bias',
      'bert.encoder.layer.0.attention.output.LayerNorm.beta',
      'bert.encoder.layer.0.output.dense.bias',
      'bert.encoder.layer.0.output.LayerNorm.beta',
      'bert.pooler.dense.bias',
      'classifier.weight',
    ]);
  });

  test("official 'output' matches both dense outputs; 'attention_output' only the attention one", () => {
    const sel = (c: 'output' | 'attention_output' | 'attention_layernorm' | 'output_layernorm') => selectBitfitParameters(names, [c], []);
    expect(sel('output')).toEqual(['bert.encoder.layer.0.attention.output.dense.bias', 'bert.encoder.layer.0.output.dense.bias']);
    expect(sel('attention_output')).toEqual(['bert.encoder.layer.0.attention.output.dense.bias']);
    expect(sel('attention_layernorm')).toEqual(['bert.encoder.layer.0.attention.output.LayerNorm.beta']);
    expect(sel('output_layernorm')).toEqual(['bert.encoder.layer.0.attention.output.LayerNorm.beta', 'bert.encoder.layer.0.output.LayerNorm.beta']);
    expect(() => bitfitSubstrings(['nope' as 'all'])).toThrow(/unknown component "nope"/);
  });
});
