/**
 * Interop with files the Python ecosystem wrote (transformers 5, tokenizers): a `BertForSequenceClassification`
 * saved by `save_pretrained` with a fast tokenizer as `tokenizer.json` only. The fixture folder is
 * `$LEL_INTEROP` when set (so the same test checks another set of such files), else the copy of
 * `shared/interop` in `src/fixtures/interop` (see its README for how it was made).
 */
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import { useBackend } from '@lel/core';
import { Tokenizer } from '@huggingface/tokenizers';
import { beforeAll, describe, expect, test } from 'vitest';
import { loadPretrainedBert } from './bert/pretrained';
import { loadWordPieceTokenizer } from './tokenizer/load-tokenizer';
import { WordPieceTokenizer } from './tokenizer/wordpiece';

const INTEROP = process.env.LEL_INTEROP ?? fileURLToPath(new URL('./fixtures/interop', import.meta.url));
const BERT_DIR = join(INTEROP, 'hf-tiny-bert');

interface Expected {
  generator: string;
  texts: string[];
  input_ids: number[][];
  attention_mask: number[][];
  token_type_ids: number[][];
  logits_base: number[][];
}
const expected = JSON.parse(readFileSync(join(INTEROP, 'expected.json'), 'utf8')) as Expected;

function maxAbsDiff(a: number[][], b: number[][]): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  a.forEach((row, i) => {
    expect(row.length).toBe(b[i]!.length);
    row.forEach((v, j) => (m = Math.max(m, Math.abs(v - b[i]![j]!))));
  });
  return m;
}

describe(`interop: transformers checkpoint with tokenizer.json only (${expected.generator})`, () => {
  beforeAll(async () => {
    await useBackend('cpu');
  });

  test('the tokenizer read from tokenizer.json alone reproduces input_ids, attention_mask and token_type_ids', async () => {
    const tok = await loadWordPieceTokenizer(BERT_DIR);
    const batch = tok.encodeBatch(expected.texts);
    expect(batch.inputIds).toEqual(expected.input_ids);
    expect(batch.attentionMask).toEqual(expected.attention_mask);
    expect(batch.tokenTypeIds).toEqual(expected.token_type_ids);
  });

  test('loadPretrainedBert reproduces logits_base (≤ 1e-5) from config.json + model.safetensors', async () => {
    const hf = JSON.parse(readFileSync(join(BERT_DIR, 'config.json'), 'utf8')) as { id2label: Record<string, string> };
    const { model, tokenizer, report } = await loadPretrainedBert(BERT_DIR, { numLabels: Object.keys(hf.id2label).length });
    expect(report.newlyInitialized).toEqual([]);
    expect(tokenizer).not.toBeNull();
    model.eval();
    const batch = tokenizer!.encodeBatch(expected.texts);
    const inputs = {
      inputIds: tf.tensor2d(batch.inputIds, undefined, 'int32'),
      attentionMask: tf.tensor2d(batch.attentionMask, undefined, 'int32'),
      tokenTypeIds: tf.tensor2d(batch.tokenTypeIds, undefined, 'int32'),
    };
    const out = model.forward(inputs);
    const logits = (await out.logits.array()) as number[][];
    tf.dispose([out.logits, out.lastHiddenState, out.poolerOutput, inputs.inputIds, inputs.attentionMask, inputs.tokenTypeIds]);
    model.dispose();
    expect(maxAbsDiff(logits, expected.logits_base)).toBeLessThanOrEqual(1e-5);
  });
});

describe('tokenizer.json as transformers writes it for BERT, beyond the fixture', () => {
  // The fixture's tokenizer.json holds only the five special tokens (transformers 5 wrote it that way from
  // vocab.txt), so every word there is [UNK]. The same file with the source vocabulary exercises WordPiece
  // splitting; tokenizers.js (@huggingface/tokenizers) reads the same JSON as the reference.
  const fixtureJson = JSON.parse(readFileSync(join(BERT_DIR, 'tokenizer.json'), 'utf8')) as Record<string, unknown> & { model: { vocab: Record<string, number> }; added_tokens: object[] };
  const vocabTxt = readFileSync(join(INTEROP, 'vocab.txt'), 'utf8');
  const vocab = vocabTxt.split('\n').filter((l) => l !== '');
  const withVocab = { ...fixtureJson, model: { ...fixtureJson.model, vocab: Object.fromEntries(vocab.map((t, i) => [t, i])) } };
  const texts = [...expected.texts, 'The ACTING was not bad, the plot dull!', 'movies acting [MASK] good.', 'Ünïcödé  the\tmovie\u00a0was…fun'];

  test('same tokens and ids as tokenizers.js and as the vocab.txt tokenizer', () => {
    const ours = WordPieceTokenizer.fromTokenizerJson(withVocab);
    const theirs = new Tokenizer(withVocab as never, {});
    const fromTxt = WordPieceTokenizer.fromVocabTxt(vocabTxt);
    for (const t of texts) {
      const e = theirs.encode(t, { return_token_type_ids: true });
      expect(ours.encode(t).tokens, t).toEqual(e.tokens);
      expect(ours.encode(t).inputIds, t).toEqual(e.ids);
      expect(fromTxt.encode(t), t).toEqual(ours.encode(t));
    }
    expect(ours.tokenize('acting')).toEqual(['act', '##ing']);
    const pair = theirs.encode(texts[3]!, { text_pair: texts[4]!, return_token_type_ids: true });
    const mine = ours.encode(texts[3]!, { textPair: texts[4]! });
    expect(mine.inputIds).toEqual(pair.ids);
    expect(mine.tokenTypeIds).toEqual(pair.token_type_ids);
  });

  test('normaliser, pre-tokeniser, template and added tokens are read from the file', () => {
    // An explicit Sequence normaliser equal to BertNormalizer(lowercase) for this text, and Whitespace splitting.
    const custom = {
      ...withVocab,
      normalizer: { type: 'Sequence', normalizers: [{ type: 'NFD' }, { type: 'Lowercase' }, { type: 'StripAccents' }, { type: 'Strip', strip_left: true, strip_right: true }] },
      pre_tokenizer: { type: 'Sequence', pretokenizers: [{ type: 'WhitespaceSplit' }, { type: 'Punctuation', behavior: 'Isolated' }] },
      post_processor: { type: 'BertProcessing', sep: ['[SEP]', 3], cls: ['[CLS]', 2] },
      added_tokens: [...withVocab.added_tokens, { id: 48, content: '<film>', single_word: false, lstrip: true, rstrip: true, normalized: true, special: false }],
    };
    const tok = WordPieceTokenizer.fromTokenizerJson(custom);
    expect(tok.vocabSize).toBe(49);
    expect(tok.encode('  Thé <FILM> was Good! ').tokens).toEqual(['[CLS]', 'the', '<film>', 'was', 'good', '!', '[SEP]']);
    expect(tok.encode('the', { textPair: 'movie' }).tokenTypeIds).toEqual([0, 0, 0, 1, 1]);
    // Without a post-processor no special tokens are added.
    const bare = WordPieceTokenizer.fromTokenizerJson({ ...withVocab, post_processor: null });
    expect(bare.encode('the movie').tokens).toEqual(['the', 'movie']);
    expect(bare.encode('the movie', { maxLength: 1 }).tokens).toEqual(['the']);
  });

  test('unsupported models and components are refused, naming the file and the field', () => {
    const bad = (patch: Record<string, unknown>) => () => WordPieceTokenizer.fromTokenizerJson({ ...withVocab, ...patch }, {}, 'my/tokenizer.json');
    expect(bad({ model: { type: 'BPE', vocab: {}, merges: [] } })).toThrow('my/tokenizer.json: model.type "BPE" is not supported: LEL reads WordPiece models');
    expect(bad({ normalizer: { type: 'Sequence', normalizers: [{ type: 'NFKC' }, { type: 'Precompiled', precompiled_charsmap: '' }] } })).toThrow(
      'my/tokenizer.json: normalizer.normalizers[1].type "Precompiled" is not supported (LEL reads: BertNormalizer, Sequence',
    );
    expect(bad({ normalizer: { type: 'Replace', pattern: { Regex: '\\s+' }, content: ' ' } })).toThrow(/normalizer\.pattern .* only \{"String": …\} patterns/);
    expect(bad({ pre_tokenizer: { type: 'Metaspace', replacement: '▁' } })).toThrow('my/tokenizer.json: pre_tokenizer.type "Metaspace" is not supported');
    expect(bad({ pre_tokenizer: { type: 'Punctuation', behavior: 'Sideways' } })).toThrow('pre_tokenizer.behavior must be one of');
    expect(bad({ post_processor: { type: 'RobertaProcessing', sep: ['</s>', 2], cls: ['<s>', 0] } })).toThrow('post_processor.type "RobertaProcessing" is not supported');
    expect(bad({ decoder: { type: 'ByteLevel' } })).toThrow('decoder.type "ByteLevel" is not supported');
    expect(bad({ model: { type: 'WordPiece', unk_token: '[UNK]', vocab: { '[UNK]': 0, a: 2 } }, added_tokens: [] })).toThrow('model.vocab and added_tokens leave id 1 without a token');
    expect(bad({ added_tokens: [{ id: 5, content: '[X]', special: true }] })).toThrow('added_tokens[0] "[X]" has id 5, which model.vocab gives to "a"');
    expect(() => WordPieceTokenizer.fromTokenizerJson({ ...withVocab, normalizer: { type: 'NFD' } }, { lowercase: false })).toThrow(
      'normalizer is a NFD, so the BERT normaliser options given (lowercase) cannot apply',
    );
    expect(() => WordPieceTokenizer.fromTokenizerJson('{"model": ', {}, 'x.json')).toThrow(/^x\.json: \(file\) is not valid JSON/);
  });
});
