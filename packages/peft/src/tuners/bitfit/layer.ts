import { BITFIT_BIAS_TERMS, type BitFitComponent } from './config';

/**
 * Normalise legacy checkpoint names before BitFit's substring selection: TF-era BERT files call
 * LayerNorm's bias `beta` and its weight `gamma` (`…LayerNorm.beta` would not contain "bias").
 */
export function normalizeLegacyName(name: string): string {
  return name.replace(/LayerNorm\.gamma$/, 'LayerNorm.weight').replace(/LayerNorm\.beta$/, 'LayerNorm.bias');
}

/** The substrings BitFit unfreezes for `components`, then the always-trainable ones (official order). */
export function bitfitSubstrings(components: readonly BitFitComponent[], alwaysTrainable: readonly string[] = ['pooler.dense.bias', 'classifier']): string[] {
  const subs: string[] = [];
  for (const c of components) {
    const s = BITFIT_BIAS_TERMS[c];
    if (s === undefined) throw new Error(`BitFit: unknown component "${String(c)}" (known: ${Object.keys(BITFIT_BIAS_TERMS).join(', ')})`);
    subs.push(s);
  }
  return [...subs, ...alwaysTrainable];
}

/**
 * BitFit's trainable set (GLUEvaluator.py): the names (after {@link normalizeLegacyName}) containing one
 * of the substrings, in the given order. Returns the original names.
 */
export function selectBitfitParameters(names: readonly string[], components: readonly BitFitComponent[], alwaysTrainable?: readonly string[]): string[] {
  const subs = bitfitSubstrings(components, alwaysTrainable);
  return names.filter((n) => {
    const norm = normalizeLegacyName(n);
    return subs.some((s) => norm.includes(s));
  });
}
