import type { Rng } from '@lel/core';

/** A batch of next-sentence pairs `[CLS] A [SEP] B [SEP]`, padded to `seqLength`. */
export interface PairBatch {
  /** Token ids [B][seqLength]. */
  inputIds: number[][];
  /** 0 for [CLS] A [SEP], 1 for B [SEP], 0 on padding. */
  tokenTypeIds: number[][];
  attentionMask: number[][];
  /** 0 = B is A's continuation, 1 = B is a random segment (HF's NSP convention). */
  nextSentenceLabels: number[];
}

/** Special ids of a {@link samplePairs} call. */
export interface PairTokens {
  clsId: number;
  sepId: number;
  padId: number;
}

/**
 * Dynamic next-sentence pairs (BERT / `reference/text/pretrain/pretrain.py`): each pair takes a random document
 * and a random start s, A = tokens [s, s + half); with probability ½ (when the document is long enough) B is the
 * next `half` tokens (label 0), otherwise `half` tokens of a random document at a random offset (label 1). Every
 * call draws new pairs, so no two epochs see the same pairs. `docs` are token-id arrays (documents shorter than
 * `half + 1` tokens are never the source of A).
 */
export function samplePairs(docs: readonly (readonly number[])[], rng: Rng, options: { batchSize: number; half: number; tokens: PairTokens }): PairBatch {
  const { batchSize, half, tokens } = options;
  const sources = docs.map((_, i) => i).filter((i) => docs[i]!.length > half);
  if (sources.length === 0) throw new Error(`samplePairs: no document is longer than ${half} tokens`);
  const seqLength = 2 * half + 3;
  const out: PairBatch = { inputIds: [], tokenTypeIds: [], attentionMask: [], nextSentenceLabels: [] };
  for (let b = 0; b < batchSize; b++) {
    const d = docs[sources[rng.int(sources.length)]!]!;
    const s = rng.int(d.length - half);
    const a = d.slice(s, s + half);
    let next: readonly number[];
    let label: number;
    if (rng.next() < 0.5 && s + 2 * half <= d.length) {
      next = d.slice(s + half, s + 2 * half);
      label = 0;
    } else {
      const o = docs[rng.int(docs.length)]!;
      const at = rng.int(Math.max(1, o.length - half));
      next = o.slice(at, at + half);
      label = 1;
    }
    const ids = [tokens.clsId, ...a, tokens.sepId, ...next, tokens.sepId];
    const types = ids.map((_, i) => (i < a.length + 2 ? 0 : 1));
    const mask = ids.map(() => 1);
    while (ids.length < seqLength) {
      ids.push(tokens.padId);
      types.push(0);
      mask.push(0);
    }
    out.inputIds.push(ids);
    out.tokenTypeIds.push(types);
    out.attentionMask.push(mask);
    out.nextSentenceLabels.push(label);
  }
  return out;
}
