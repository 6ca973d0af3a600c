import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { Rng, useBackend } from '@lel/core';
import { beforeAll, describe, expect, test } from 'vitest';
import { loadPretrainedBert, saveBertPretrained } from '../bert/pretrained';
import { WordPieceTokenizer } from '../tokenizer/wordpiece';
import { maskTokens } from './mask-tokens';
import { chunkCorpus, pretrainMlm } from './mlm-pretrain';

beforeAll(async () => {
  await useBackend('wasm');
});

describe('maskTokens', () => {
  test('selects ≈15% of non-special tokens, 80/10/10 corruption, never special tokens', () => {
    const rows = Array.from({ length: 200 }, () => [2, ...Array.from({ length: 48 }, (_, j) => 10 + (j % 40)), 3]);
    const m = maskTokens(rows, new Rng(0), { specialIds: new Set([0, 2, 3]), maskId: 4, vocabSize: 60 });
    const n = 200 * 48;
    expect(m.positions.length / n).toBeGreaterThan(0.13);
    expect(m.positions.length / n).toBeLessThan(0.17);
    let masked = 0;
    let same = 0;
    m.positions.forEach((flat, i) => {
      const [b, j] = [Math.floor(flat / 50), flat % 50];
      expect(j).not.toBe(0);
      expect(j).not.toBe(49);
      expect(m.labels[i]).toBe(rows[b]![j]);
      const v = m.inputIds[b]![j]!;
      if (v === 4) masked++;
      else if (v === rows[b]![j]) same++;
    });
    expect(masked / m.positions.length).toBeGreaterThan(0.75);
    expect(masked / m.positions.length).toBeLessThan(0.85);
    expect(same / m.positions.length).toBeGreaterThan(0.07);
    // Untouched positions keep their ids.
    const sel = new Set(m.positions);
    rows.forEach((r, b) => r.forEach((id, j) => { if (!sel.has(b * 50 + j)) expect(m.inputIds[b]![j]).toBe(id); }));
  });

  test('always selects at least one token', () => {
    const m = maskTokens([[2, 10, 3]], new Rng(1), { specialIds: new Set([2, 3]), maskId: 4, vocabSize: 20, maskProb: 0 });
    expect(m.positions).toEqual([1]);
    expect(m.labels).toEqual([10]);
  });
});

describe('pretrainMlm', () => {
  const texts = [
    'the cat sat on the mat. the dog sat on the log.',
    'a cat and a dog are friends. the cat likes the dog.',
    'the mat is red and the log is brown. cats sit on mats.',
    'dogs sit on logs and cats sit on mats every day.',
  ];

  test('chunks the token stream into [CLS] … [SEP] rows', () => {
    const tok = new WordPieceTokenizer(['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]', 'a', 'b']);
    expect(chunkCorpus(['a b a b a', 'b a'], tok, 5)).toEqual([
      [2, 5, 6, 5, 3],
      [2, 6, 5, 6, 3],
      [2, 5, 3, 0, 0],
    ]);
  });

  test('the MLM loss falls, and the saved model loads as a classifier with only the head new', async () => {
    const before = tf.memory().numTensors;
    const { model, tokenizer, losses } = await pretrainMlm({
      texts,
      vocabSize: 80,
      config: { hiddenSize: 32, numHiddenLayers: 1, numAttentionHeads: 2, intermediateSize: 64, maxPositionEmbeddings: 16 },
      seqLength: 16,
      batchSize: 8,
      steps: 60,
      lr: 3e-3,
      seed: 0,
    });
    expect(losses).toHaveLength(60);
    const mean = (a: number[]) => a.reduce((s, v) => s + v, 0) / a.length;
    expect(mean(losses.slice(-10))).toBeLessThan(mean(losses.slice(0, 10)) - 0.5);
    const dir = await mkdtemp(join(tmpdir(), 'lel-mlm-'));
    try {
      await saveBertPretrained(model, dir, { tokenizer });
      const loaded = await loadPretrainedBert(dir, { numLabels: 2 });
      expect(loaded.report.newlyInitialized).toEqual(['classifier.weight', 'classifier.bias']);
      expect(loaded.report.ignored.some((n) => n.startsWith('cls.predictions'))).toBe(true);
      expect(loaded.tokenizer!.vocab).toEqual(tokenizer.vocab);
      loaded.model.dispose();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
    model.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  test('init continues pretraining the given model with its tokenizer', async () => {
    const config = { hiddenSize: 32, numHiddenLayers: 1, numAttentionHeads: 2, intermediateSize: 64, maxPositionEmbeddings: 16 };
    const first = await pretrainMlm({ texts, vocabSize: 80, config, seqLength: 16, batchSize: 8, steps: 40, lr: 3e-3, seed: 0 });
    const mean = (a: number[]) => a.reduce((s, v) => s + v, 0) / a.length;
    const again = await pretrainMlm({ texts, init: first.model, tokenizer: first.tokenizer, seqLength: 16, batchSize: 8, steps: 10, lr: 1e-3, seed: 1 });
    expect(again.model).toBe(first.model);
    // Starts where the first run ended, not from a fresh model's ≈ ln(vocab).
    expect(mean(again.losses)).toBeLessThan(mean(first.losses.slice(0, 10)) - 0.3);
    const other = new WordPieceTokenizer(['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]', 'the']);
    await expect(pretrainMlm({ texts, init: first.model, tokenizer: other, steps: 1, seqLength: 16 })).rejects.toThrow(/vocabulary/);
    first.model.dispose();
  });
});
