import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Tokenizer } from '@huggingface/tokenizers';
import { describe, expect, test } from 'vitest';
import { bertNormalize } from './normalizer';
import { bertPreTokenize } from './pre-tokenizer';
import { loadWordPieceTokenizer } from './load-tokenizer';
import { trainWordPieceVocab } from './train-vocab';
import { WordPieceTokenizer, truncatePair } from './wordpiece';

const VOCAB = ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]', 'the', 'cafe', 'naive', 'un', '##aff', '##able', 'a', '##a', ',', '.', '!', "'", 's', '中', '文', 'x', '##x', 'resume', 'hello', 'world'];
const tok = new WordPieceTokenizer(VOCAB);

function tokenizerJson(vocab: string[]) {
  return {
    version: '1.0',
    added_tokens: ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]'].map((t) => ({ id: vocab.indexOf(t), content: t, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true })),
    normalizer: { type: 'BertNormalizer', clean_text: true, handle_chinese_chars: true, strip_accents: null, lowercase: true },
    pre_tokenizer: { type: 'BertPreTokenizer' },
    post_processor: {
      type: 'TemplateProcessing',
      single: [{ SpecialToken: { id: '[CLS]', type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } }, { SpecialToken: { id: '[SEP]', type_id: 0 } }],
      pair: [
        { SpecialToken: { id: '[CLS]', type_id: 0 } },
        { Sequence: { id: 'A', type_id: 0 } },
        { SpecialToken: { id: '[SEP]', type_id: 0 } },
        { Sequence: { id: 'B', type_id: 1 } },
        { SpecialToken: { id: '[SEP]', type_id: 1 } },
      ],
      special_tokens: { '[CLS]': { id: '[CLS]', ids: [2], tokens: ['[CLS]'] }, '[SEP]': { id: '[SEP]', ids: [3], tokens: ['[SEP]'] } },
    },
    decoder: { type: 'WordPiece', prefix: '##', cleanup: true },
    model: { type: 'WordPiece', unk_token: '[UNK]', continuing_subword_prefix: '##', max_input_chars_per_word: 100, vocab: Object.fromEntries(vocab.map((t, i) => [t, i])) },
  };
}

describe('BERT normaliser and pre-tokeniser', () => {
  test('accents are stripped after NFD, uppercase lowered, controls dropped, whitespace unified', () => {
    expect(bertNormalize('Café NAÏVE Ångström')).toBe('cafe naive angstrom');
    expect(bertNormalize('a\u0000b\ufffdc\u200bd\u00ade\tf\u00a0g\r\nh')).toBe('abcde f g  h');
    // As HF: stripAccents follows lowercase unless set.
    expect(bertNormalize('Café', { lowercase: false })).toBe('Café');
    expect(bertNormalize('Café', { lowercase: false, stripAccents: true })).toBe('Cafe');
    expect(bertNormalize('Café', { stripAccents: false })).toBe('café');
  });

  test('CJK ideographs are isolated, kana and hangul are not (and lose their NFD marks)', () => {
    // が → か + U+3099 (Mn, dropped); hangul syllables decompose to jamo (Lo, kept), as in HF.
    expect(bertPreTokenize(bertNormalize('中文ひらがな한국어'))).toEqual(['中', '文', 'ひらかな한국어'.normalize('NFD')]);
  });

  test('ASCII symbols and Unicode punctuation are split off', () => {
    expect(bertPreTokenize('a$b+c«d»e—f…g')).toEqual(['a', '$', 'b', '+', 'c', '«', 'd', '»', 'e', '—', 'f', '…', 'g']);
  });
});

describe('WordPieceTokenizer', () => {
  test('greedy longest match, [UNK] for unmatchable and over-long words', () => {
    expect(tok.tokenize('Unaffable naïve CAFÉ')).toEqual(['un', '##aff', '##able', 'naive', 'cafe']);
    expect(tok.tokenize('unaffablez')).toEqual(['[UNK]']);
    expect(tok.tokenize('x'.repeat(100))).toHaveLength(100);
    expect(tok.tokenize('x'.repeat(101))).toEqual(['[UNK]']);
    expect(tok.tokenize('中文!')).toEqual(['中', '文', '!']);
  });

  test('literal special tokens in the text are kept whole', () => {
    expect(tok.tokenize('the [MASK] cafe')).toEqual(['the', '[MASK]', 'cafe']);
    expect(tok.tokenize('the [mask] cafe')).toEqual(['the', '[UNK]', '[UNK]', '[UNK]', 'cafe']);
  });

  test('pairs get token types; truncation and padding', () => {
    const e = tok.encode('hello world', { textPair: 'the cafe', maxLength: 10, padding: 'max_length' });
    expect(e.tokens).toEqual(['[CLS]', 'hello', 'world', '[SEP]', 'the', 'cafe', '[SEP]', '[PAD]', '[PAD]', '[PAD]']);
    expect(e.tokenTypeIds).toEqual([0, 0, 0, 0, 1, 1, 1, 0, 0, 0]);
    expect(e.attentionMask).toEqual([1, 1, 1, 1, 1, 1, 1, 0, 0, 0]);
    expect(tok.encode('hello world the cafe', { maxLength: 4 }).tokens).toEqual(['[CLS]', 'hello', 'world', '[SEP]']);
    expect(tok.encode('hello world', { addSpecialTokens: false }).tokens).toEqual(['hello', 'world']);
    expect(() => tok.encode('hello', { textPair: 'world', maxLength: 2 })).toThrow(/cannot hold the 3 special tokens/);
  });

  test('truncation strategies', () => {
    const a = ['a1', 'a2', 'a3', 'a4', 'a5'];
    const b = ['b1', 'b2'];
    expect(truncatePair(a, b, 5, 'longest_first')).toEqual([['a1', 'a2', 'a3'], b]);
    expect(truncatePair(a, ['b1', 'b2', 'b3', 'b4'], 5, 'longest_first')).toEqual([['a1', 'a2', 'a3'], ['b1', 'b2']]);
    expect(truncatePair(a, ['b1', 'b2', 'b3', 'b4', 'b5'], 5, 'longest_first')).toEqual([['a1', 'a2'], ['b1', 'b2', 'b3']]);
    expect(truncatePair(a, b, 5, 'only_first')).toEqual([['a1', 'a2', 'a3'], b]);
    expect(truncatePair(a, b, 6, 'only_second')).toEqual([a, ['b1']]);
    expect(() => truncatePair(a, b, 4, 'only_second')).toThrow(/exceeds the budget/);
  });

  test('batches pad to the longest row', () => {
    const batch = tok.encodeBatch(['hello', 'hello world the cafe', ['the', 'cafe']]);
    expect(batch.inputIds.map((r) => r.length)).toEqual([6, 6, 6]);
    expect(batch.attentionMask[0]).toEqual([1, 1, 1, 0, 0, 0]);
    expect(batch.tokenTypeIds[2]).toEqual([0, 0, 0, 1, 1, 0]);
  });

  test('decode joins pieces and drops special tokens', () => {
    expect(tok.decode(tok.encode("Unaffable, the cafe's").inputIds)).toBe("unaffable, the cafe's");
  });

  test('vocab.txt and tokenizer.json give the same tokenizer; missing special tokens are refused', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'lel-tok-'));
    try {
      await writeFile(join(dir, 'vocab.txt'), tok.toVocabTxt());
      const fromTxt = await loadWordPieceTokenizer(dir);
      await writeFile(join(dir, 'tokenizer.json'), JSON.stringify(tokenizerJson(VOCAB)));
      const fromJson = await loadWordPieceTokenizer(join(dir, 'tokenizer.json'));
      const text = 'Hello, WORLD! The naïve café';
      expect(fromTxt.encode(text)).toEqual(tok.encode(text));
      expect(fromJson.encode(text)).toEqual(tok.encode(text));
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
    expect(() => new WordPieceTokenizer(['a', 'b'])).toThrow(/unkToken "\[UNK\]" is not in the vocabulary/);
    expect(() => WordPieceTokenizer.fromTokenizerJson({ model: { type: 'BPE', vocab: {} } })).toThrow(/model.type "BPE" is not supported: LEL reads WordPiece models/);
  });
});

describe('trainWordPieceVocab', () => {
  const corpus = [
    'The quick brown fox jumps over the lazy dog.',
    'A lazy dog sleeps; the quick fox runs away!',
    'Foxes and dogs: jumping, running, sleeping.',
    'Über café naïve — résumé.',
  ];

  test('special tokens first, deterministic, and the corpus tokenises without [UNK]', () => {
    const v1 = trainWordPieceVocab(corpus, { vocabSize: 120, minFrequency: 2 });
    const v2 = trainWordPieceVocab(corpus, { vocabSize: 120, minFrequency: 2 });
    expect(v1).toEqual(v2);
    expect(v1.slice(0, 5)).toEqual(['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]']);
    expect(new Set(v1).size).toBe(v1.length);
    expect(v1).toContain('the');
    const t = new WordPieceTokenizer(v1);
    for (const line of corpus) expect(t.tokenize(line)).not.toContain('[UNK]');
    expect(t.tokenize('the lazy fox').length).toBeLessThan('thelazyfox'.length);
  });

  test('stops at vocabSize', () => {
    expect(trainWordPieceVocab(corpus, { vocabSize: 60, minFrequency: 1 })).toHaveLength(60);
  });
});

describe('cross-check with @huggingface/tokenizers (tokenizers.js)', () => {
  test('same tokens as tokenizers.js for a trained vocabulary on varied text', () => {
    const texts = [
      'Hello, World! Déjà vu at the café; naïve résumé.',
      "Don't stop-believing: it's 12:30 (or $4.50?) «quoted» — fine…",
      '中文字符 mixed with English, 日本語のテキスト, and 한국어.',
      'Tabs\tand\nnewlines\r\nand\u00a0nbsp and zero\u200bwidth and soft\u00adhyphen.',
      'supercalifragilisticexpialidocious antidisestablishmentarianism',
    ];
    const vocab = trainWordPieceVocab(texts, { vocabSize: 200, minFrequency: 1 });
    const ours = new WordPieceTokenizer(vocab);
    const theirs = new Tokenizer(tokenizerJson(vocab), { do_lower_case: true });
    for (const t of [...texts, 'unseen words zebra QUIZ 99 Ωmega']) {
      expect(ours.encode(t).tokens, t).toEqual(theirs.encode(t).tokens);
    }
    const pair = theirs.encode(texts[0]!, { text_pair: texts[1]!, return_token_type_ids: true });
    const mine = ours.encode(texts[0]!, { textPair: texts[1]! });
    expect(mine.inputIds).toEqual(pair.ids);
    expect(mine.tokenTypeIds).toEqual(pair.token_type_ids);
  });
});
