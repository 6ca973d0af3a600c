import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { Rng, crossEntropy, useBackend } from '@lel/core';
import { beforeAll, describe, expect, test } from 'vitest';
import { chunkCorpus } from '../pretraining/mlm-pretrain';
import { maskTokens } from '../pretraining/mask-tokens';
import type { WordPieceTokenizer } from '../tokenizer/wordpiece';
import { BertForMaskedLM } from './masked-lm';
import { loadBertWeightsFromFile, loadPretrainedBert } from './pretrained';
import { SHIPPED_BERTS, modelsPackageRoot, pretrainedBertPath } from './shipped';

beforeAll(async () => {
  await useBackend('wasm');
});

// Text the model never saw (written for this test): State-of-the-Union-like prose and review-like sentences.
const HELD_OUT = [
  'The state of our union is strong, and the congress must now act to secure the future of every family in this nation.',
  'We will work with our allies to keep the peace, to strengthen our economy, and to bring our troops home with honor.',
  'I ask the members of this congress to pass a budget that reduces the deficit and invests in our schools and our people.',
  'The government has a duty to protect the rights of all citizens and to ensure that the law applies equally to every american.',
  'The food was great and the service was friendly, I will definitely come back to this place again.',
  'This phone stopped working after two days and the customer service was terrible.',
  'A wonderful movie with a great cast, one of the best films I have seen this year.',
];

/** Mean masked-LM cross-entropy over a few fixed maskings of the held-out text. */
function heldOutMlmLoss(model: BertForMaskedLM, tokenizer: WordPieceTokenizer): number {
  const seq = 64;
  const rows = chunkCorpus(HELD_OUT, tokenizer, seq);
  const rng = new Rng('shipped-bert-held-out');
  const specialIds = new Set([tokenizer.clsId, tokenizer.sepId, tokenizer.padId]);
  let total = 0;
  const repeats = 8;
  for (let r = 0; r < repeats; r++) {
    const m = maskTokens(rows, rng, { specialIds, maskId: tokenizer.maskId, vocabSize: tokenizer.vocabSize });
    total += tf.tidy(() => {
      const inputIds = tf.tensor2d(m.inputIds, [rows.length, seq], 'int32');
      const attentionMask = tf.tensor2d(rows.map((row) => row.map((id) => (id === tokenizer.padId ? 0 : 1))), [rows.length, seq], 'int32');
      const logits = model.mlmLogits({ inputIds, attentionMask }, tf.tensor1d(m.positions, 'int32'));
      return crossEntropy(logits, tf.tensor1d(m.labels, 'int32')).dataSync()[0]!;
    });
  }
  return total / repeats;
}

describe('shipped BERT (pretrained/bert-mini-lel)', () => {
  test('pretrainedBertPath resolves inside the package and rejects unknown names', () => {
    const dir = pretrainedBertPath('bert-mini-lel');
    expect(path.isAbsolute(dir)).toBe(true);
    expect(dir).toBe(path.join(modelsPackageRoot(), 'pretrained', 'bert-mini-lel'));
    for (const f of ['config.json', 'model.safetensors', 'vocab.txt', 'README.md']) expect(fs.existsSync(path.join(dir, f))).toBe(true);
    expect(SHIPPED_BERTS).toContain('bert-mini-lel');
    expect(() => pretrainedBertPath('nope' as 'bert-mini-lel')).toThrow(/unknown model/);
    // Small enough to ship in the npm package.
    expect(fs.statSync(path.join(dir, 'model.safetensors')).size).toBeLessThan(8 * 1024 * 1024);
  });

  test('loads with loadPretrainedBert: shapes, tokenizer, fresh classifier head only', async () => {
    const { model, tokenizer, config, report } = await loadPretrainedBert(pretrainedBertPath(), { numLabels: 2 });
    try {
      expect(tokenizer).not.toBeNull();
      expect(config.vocabSize).toBe(tokenizer!.vocabSize);
      expect(config.hiddenSize).toBe(128);
      expect(config.numHiddenLayers).toBe(2);
      expect(report.newlyInitialized.sort()).toEqual(['classifier.bias', 'classifier.weight']);
      const enc = tokenizer!.encodeBatch(['the service was great', 'a dull and tedious film'], { maxLength: 16, padding: 'max_length' });
      const out = model.forward({ inputIds: tf.tensor2d(enc.inputIds, [2, 16], 'int32'), attentionMask: tf.tensor2d(enc.attentionMask, [2, 16], 'int32') });
      expect(out.lastHiddenState.shape).toEqual([2, 16, 128]);
      expect(out.logits.shape).toEqual([2, 2]);
      tf.dispose(Object.values(out) as tf.Tensor[]);
    } finally {
      model.dispose();
    }
  });

  test('its masked-LM loss on held-out text is far below a freshly initialised model’s', async () => {
    const dir = pretrainedBertPath();
    const { model: base, tokenizer, config } = await loadPretrainedBert(dir);
    base.dispose();
    const trained = new BertForMaskedLM(config, { rng: new Rng(1) });
    const fresh = new BertForMaskedLM(config, { rng: new Rng(1) });
    try {
      const report = await loadBertWeightsFromFile(trained, dir);
      expect(report.newlyInitialized).toEqual([]);
      trained.eval();
      fresh.eval();
      const lTrained = heldOutMlmLoss(trained, tokenizer!);
      const lFresh = heldOutMlmLoss(fresh, tokenizer!);
      expect(lFresh).toBeGreaterThan(Math.log(config.vocabSize) - 0.5);
      // Measured: 5.22 (bert-mini-lel) vs 8.06 (fresh ≈ ln 3000).
      expect(lTrained).toBeLessThan(lFresh - 2);
    } finally {
      trained.dispose();
      fresh.dispose();
    }
  });
});

describe('shipped BERT (pretrained/bert-l4-h256-lel)', () => {
  test('is listed, lives in the package, stores F16 weights with both pretraining heads, and stays small', async () => {
    const dir = pretrainedBertPath('bert-l4-h256-lel');
    expect(SHIPPED_BERTS).toContain('bert-l4-h256-lel');
    for (const f of ['config.json', 'model.safetensors', 'vocab.txt', 'tokenizer_config.json', 'README.md', 'pretraining.json']) expect(fs.existsSync(path.join(dir, f))).toBe(true);
    const file = path.join(dir, 'model.safetensors');
    expect(fs.statSync(file).size).toBeLessThan(14 * 1024 * 1024);
    const bytes = fs.readFileSync(file);
    const header = JSON.parse(bytes.subarray(8, 8 + Number(bytes.readBigUInt64LE(0))).toString('utf8')) as Record<string, { dtype: string }>;
    const names = Object.keys(header).filter((k) => k !== '__metadata__');
    expect(new Set(names.map((k) => header[k]!.dtype))).toEqual(new Set(['F16']));
    expect(names).toContain('cls.seq_relationship.weight');
    expect(names).toContain('cls.predictions.transform.dense.weight');
  });

  test('loads through the HF loader (4 × 256, 12,000 tokens) and beats bert-mini-lel on held-out masked LM', async () => {
    const dir = pretrainedBertPath('bert-l4-h256-lel');
    const { model, tokenizer, config, report } = await loadPretrainedBert(dir, { numLabels: 2 });
    const mlm = new BertForMaskedLM(config, { rng: new Rng(1) });
    try {
      expect([config.numHiddenLayers, config.hiddenSize, config.numAttentionHeads, config.intermediateSize, config.vocabSize]).toEqual([4, 256, 4, 1024, 12000]);
      expect(tokenizer!.vocabSize).toBe(12000);
      expect(report.newlyInitialized.sort()).toEqual(['classifier.bias', 'classifier.weight']);
      expect(report.ignored).toContain('cls.seq_relationship.weight');
      await loadBertWeightsFromFile(mlm, dir);
      mlm.eval();
      // Measured: 2.74 here vs bert-mini-lel's 5.22 on the same sentences (different vocabularies).
      expect(heldOutMlmLoss(mlm, tokenizer!)).toBeLessThan(4.5);
    } finally {
      model.dispose();
      mlm.dispose();
    }
  });
});
