import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import * as tf from '@tensorflow/tfjs-core';
import { useBackend } from '@lel/core';
import { WordPieceTokenizer } from '@lel/models';
import { beforeAll, describe, expect, test } from 'vitest';
import { fineTuneSequenceClassification } from './train';
import { snapshot, tinyBert } from './test-utils.fixture';

const WORDS = ['good', 'great', 'fine', 'bad', 'awful', 'poor', 'movie', 'food', 'the', 'was', 'very'];
const tokenizer = new WordPieceTokenizer(['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]', ...WORDS]);
const pos = ['good', 'great', 'fine'];
const neg = ['bad', 'awful', 'poor'];
const texts: string[] = [];
const labels: number[] = [];
for (let i = 0; i < 24; i++) {
  const y = i % 2;
  texts.push(`the ${i % 3 === 0 ? 'movie' : 'food'} was ${i % 4 === 0 ? 'very ' : ''}${(y ? pos : neg)[i % 3]}`);
  labels.push(y);
}

describe('fineTuneSequenceClassification', () => {
  beforeAll(async () => {
    await useBackend('wasm');
  });

  test('full fine-tuning (peft: null) learns the toy task', async () => {
    const model = tinyBert(3);
    const r = await fineTuneSequenceClassification({ model, tokenizer, train: { texts, labels }, eval: { train: { texts, labels } }, peft: null, epochs: 8, lr: 5e-3, seed: 1 });
    expect(r.peft).toBeNull();
    expect(r.trainable).toBe(r.all);
    expect(r.accuracy['train']).toBeGreaterThanOrEqual(0.9);
    model.dispose();
  });

  test('BitFit recipe changes only its parameters, reports counts and step time, leaks nothing', async () => {
    const model = tinyBert(3);
    const before = snapshot(model);
    const tensors = tf.memory().numTensors;
    const r = await fineTuneSequenceClassification({ model, tokenizer, train: { texts, labels }, eval: { train: { texts, labels } }, peft: { method: 'bitfit' }, epochs: 12, lr: 1e-2, seed: 1 });
    expect(r.fit.steps).toBe(12 * 3);
    expect(r.trainable).toBe(354);
    expect(r.stepMs).toBeGreaterThan(0);
    const intended = new Set(r.peft!.trainableParameterNames());
    for (const [n, v] of snapshot(model)) if (!intended.has(n)) expect(v, n).toEqual(before.get(n));
    r.peft!.dispose();
    expect(tf.memory().numTensors).toBe(tensors);
    model.dispose();
  });
});
