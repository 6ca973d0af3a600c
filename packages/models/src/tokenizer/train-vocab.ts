import { bertNormalize, type BertNormalizerOptions } from './normalizer';
import { bertPreTokenize } from './pre-tokenizer';

/** Options of {@link trainWordPieceVocab}. */
export interface TrainWordPieceOptions extends BertNormalizerOptions {
  /** Target vocabulary size, special tokens and alphabet included. Default 8000. */
  vocabSize?: number;
  /** Stop merging when the best pair occurs fewer times. Default 2. */
  minFrequency?: number;
  /** Put first, in this order. Default `[PAD] [UNK] [CLS] [SEP] [MASK]` (ids 0–4). */
  specialTokens?: string[];
  /** Default `##`. */
  continuingSubwordPrefix?: string;
}

/**
 * Learn a WordPiece vocabulary from raw texts the way HF's `WordPieceTrainer` does: normalise and
 * pre-tokenise like BERT, start from every character (word-initial and `##`-continuation forms), then
 * repeatedly merge the most frequent adjacent pair (ties: lexicographically smallest) until `vocabSize`.
 * Deterministic. Returns the tokens in id order (feed to `new WordPieceTokenizer(vocab)`).
 */
export function trainWordPieceVocab(texts: Iterable<string>, options: TrainWordPieceOptions = {}): string[] {
  const vocabSize = options.vocabSize ?? 8000;
  const minFrequency = options.minFrequency ?? 2;
  const prefix = options.continuingSubwordPrefix ?? '##';
  const specials = options.specialTokens ?? ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]'];
  const counts = new Map<string, number>();
  for (const text of texts) {
    for (const w of bertPreTokenize(bertNormalize(text, options))) counts.set(w, (counts.get(w) ?? 0) + 1);
  }
  const words: string[][] = [];
  const freqs: number[] = [];
  const alphabet = new Map<string, number>();
  for (const [w, c] of [...counts].sort((a, b) => (a[0] < b[0] ? -1 : 1))) {
    const syms = Array.from(w).map((ch, i) => (i === 0 ? ch : prefix + ch));
    for (const s of syms) alphabet.set(s, (alphabet.get(s) ?? 0) + c);
    words.push(syms);
    freqs.push(c);
  }
  const vocab: string[] = [...specials];
  const inVocab = new Set(vocab);
  // Alphabet by frequency (then lexicographic) so the ids are deterministic.
  for (const [s] of [...alphabet].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))) {
    if (!inVocab.has(s)) {
      vocab.push(s);
      inVocab.add(s);
    }
  }
  const SEP = '\u0000';
  const pairCounts = new Map<string, number>();
  const pairWords = new Map<string, Set<number>>();
  const addPairs = (wi: number, sign: 1 | -1) => {
    const syms = words[wi]!;
    for (let i = 0; i + 1 < syms.length; i++) {
      const key = syms[i]! + SEP + syms[i + 1]!;
      pairCounts.set(key, (pairCounts.get(key) ?? 0) + sign * freqs[wi]!);
      if (sign > 0) {
        let set = pairWords.get(key);
        if (!set) pairWords.set(key, (set = new Set()));
        set.add(wi);
      }
    }
  };
  for (let wi = 0; wi < words.length; wi++) addPairs(wi, 1);
  while (vocab.length < vocabSize) {
    let best: string | null = null;
    let bestCount = 0;
    for (const [k, c] of pairCounts) {
      if (c > bestCount || (c === bestCount && best !== null && c > 0 && k < best)) {
        best = k;
        bestCount = c;
      }
    }
    if (best === null || bestCount < minFrequency) break;
    const [a, b] = best.split(SEP) as [string, string];
    const merged = a + (b.startsWith(prefix) ? b.slice(prefix.length) : b);
    for (const wi of pairWords.get(best) ?? []) {
      const syms = words[wi]!;
      addPairs(wi, -1);
      const next: string[] = [];
      for (let i = 0; i < syms.length; i++) {
        if (i + 1 < syms.length && syms[i] === a && syms[i + 1] === b) {
          next.push(merged);
          i++;
        } else next.push(syms[i]!);
      }
      words[wi] = next;
      addPairs(wi, 1);
    }
    pairCounts.delete(best);
    pairWords.delete(best);
    if (!inVocab.has(merged)) {
      vocab.push(merged);
      inVocab.add(merged);
    }
  }
  return vocab;
}
