import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { setGlobalSeed, useBackend } from '@lel/core';
import { readSafetensorsFile } from '@lel/core/node';
import { expectNoLeaks } from '@lel/core/testing';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { bertWeightsToHf, loadBertWeights } from './checkpoint';
import { bertConfigFromHf, type BertConfig } from './config';
import { BertForMaskedLM } from './masked-lm';
import { BertModel } from './model';
import { loadBertWeightsFromFile, loadPretrainedBert, readBertCheckpoint, saveBertPretrained } from './pretrained';
import { BertForSequenceClassification } from './sequence-classification';
import { TINY_BERT } from './tiny-bert.fixture';

const TINY: Partial<BertConfig> = TINY_BERT;
const fixture = (f: string) => new URL(`../fixtures/models/${f}`, import.meta.url).pathname;

function batch() {
  return {
    inputIds: tf.tensor2d([[2, 11, 12, 13, 3], [2, 20, 3, 0, 0]], [2, 5], 'int32'),
    attentionMask: tf.tensor2d([[1, 1, 1, 1, 1], [1, 1, 1, 0, 0]], [2, 5], 'int32'),
    tokenTypeIds: tf.tensor2d([[0, 0, 0, 1, 1], [0, 0, 0, 0, 0]], [2, 5], 'int32'),
  };
}

let dir = '';
beforeAll(async () => {
  await useBackend('cpu');
  setGlobalSeed(1);
  dir = await mkdtemp(join(tmpdir(), 'lel-bert-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('BertModel', () => {
  test('uses Hugging Face parameter names (minus bert.)', () => {
    const m = new BertForSequenceClassification(TINY, { numLabels: 3 });
    const names = m.namedParameters().map(([n]) => n);
    expect(names).toContain('embeddings.word_embeddings.weight');
    expect(names).toContain('embeddings.LayerNorm.weight');
    expect(names).toContain('encoder.layer.0.attention.self.query.weight');
    expect(names).toContain('encoder.layer.1.attention.output.LayerNorm.bias');
    expect(names).toContain('encoder.layer.1.intermediate.dense.weight');
    expect(names).toContain('encoder.layer.1.output.dense.bias');
    expect(names).toContain('pooler.dense.weight');
    expect(names).toContain('classifier.weight');
    expect(m.getParameter('encoder.layer.0.intermediate.dense.weight').shape).toEqual([16, 32]);
    expect(m.getParameter('classifier.weight').shape).toEqual([16, 3]);
    m.dispose();
  });

  test('forward shapes, no leaks, padding does not change the unpadded rows', async () => {
    const m = new BertForSequenceClassification(TINY, { numLabels: 3 }).eval();
    const b = batch();
    await expectNoLeaks(() => {
      const out = m.forward(b, { outputHiddenStates: true });
      expect(out.lastHiddenState.shape).toEqual([2, 5, 16]);
      expect(out.poolerOutput.shape).toEqual([2, 16]);
      expect(out.logits.shape).toEqual([2, 3]);
      expect(out.hiddenStates).toHaveLength(3);
      // Row 1 alone at its true length must give the same first-token state as when padded.
      const ids = tf.tensor2d([[2, 20, 3]], [1, 3], 'int32');
      const alone = m.forward({ inputIds: ids });
      const a = tf.slice(alone.lastHiddenState, [0, 0, 0], [1, 3, 16]);
      const p = tf.slice(out.lastHiddenState, [1, 0, 0], [1, 3, 16]);
      const diff = tf.tidy(() => tf.max(tf.abs(tf.sub(a, p))));
      expect(diff.dataSync()[0]).toBeLessThan(1e-4);
      tf.dispose([diff, a, p, ids, alone as never, out as never]);
    });
    tf.dispose(Object.values(b));
    m.dispose();
  });

  test('rejects inputs longer than maxPositionEmbeddings and mismatched masks', () => {
    const m = new BertModel(TINY);
    const long = tf.zeros([1, 25], 'int32');
    expect(() => m.forward({ inputIds: long })).toThrow(/maxPositionEmbeddings 24/);
    const ids = tf.zeros([1, 4], 'int32');
    const mask = tf.ones([1, 5], 'int32');
    expect(() => m.forward({ inputIds: ids, attentionMask: mask })).toThrow(/attentionMask has shape \[1,5\]/);
    tf.dispose([long, ids, mask]);
    m.dispose();
  });

  test('gradients reach every parameter; frozen parameters are skipped', () => {
    const m = new BertForSequenceClassification({ ...TINY, hiddenDropoutProb: 0, attentionProbsDropoutProb: 0 }, { numLabels: 2 });
    const b = batch();
    expect(m.freeze(/^embeddings\./)).toBe(5);
    const trainable = m.trainableParameters();
    expect(trainable.some(([n]) => n.startsWith('embeddings.'))).toBe(false);
    const vars = trainable.map(([, p]) => p.variable);
    const { grads } = tf.variableGrads(() => {
      const out = m.forward(b);
      return tf.sum(tf.square(out.logits)) as tf.Scalar;
    }, vars);
    for (const [name, p] of trainable) {
      const g = grads[p.variable.name];
      expect(g, name).toBeDefined();
      expect(tf.sum(tf.abs(g!)).dataSync()[0], name).toBeGreaterThan(0);
    }
    tf.dispose(grads);
    tf.dispose(Object.values(b));
    m.dispose();
  });
});

describe('checkpoints', () => {
  test('save → load round trip (single file and sharded) gives equal outputs and HF layouts', async () => {
    const m = new BertForSequenceClassification(TINY, { numLabels: 3 }).eval();
    const b = batch();
    const ref = m.forward(b);
    await saveBertPretrained(m, join(dir, 'single'));
    await saveBertPretrained(m, join(dir, 'sharded'), { maxShardBytes: 8000 });
    const index = JSON.parse(await readFile(join(dir, 'sharded', 'model.safetensors.index.json'), 'utf8')) as { weight_map: Record<string, string> };
    expect(new Set(Object.values(index.weight_map)).size).toBeGreaterThan(2);
    const { tensors } = await readSafetensorsFile(join(dir, 'single', 'model.safetensors'));
    expect(tensors.get('bert.encoder.layer.0.intermediate.dense.weight')!.shape).toEqual([32, 16]);
    expect(tensors.get('classifier.weight')!.shape).toEqual([3, 16]);
    const cfg = JSON.parse(await readFile(join(dir, 'single', 'config.json'), 'utf8')) as Record<string, unknown>;
    expect(cfg['architectures']).toEqual(['BertForSequenceClassification']);
    expect(bertConfigFromHf(cfg)).toEqual(m.config);
    for (const sub of ['single', 'sharded']) {
      const { model, report } = await loadPretrainedBert(join(dir, sub), { numLabels: 3 });
      model.eval();
      expect(report.newlyInitialized).toEqual([]);
      const out = model.forward(b);
      expect(out.logits.arraySync()).toEqual(ref.logits.arraySync());
      expect(out.lastHiddenState.arraySync()).toEqual(ref.lastHiddenState.arraySync());
      tf.dispose(out as never);
      model.dispose();
    }
    tf.dispose([ref as never, ...Object.values(b)]);
    m.dispose();
  });

  test('a BertModel file leaves a classifier newly initialised; pretraining heads are ignored', async () => {
    const m = new BertForSequenceClassification(TINY, { numLabels: 2 });
    const r1 = await loadBertWeightsFromFile(m, fixture('tiny-bert-noprefix.safetensors'));
    expect(r1.newlyInitialized).toEqual(['classifier.weight', 'classifier.bias']);
    const base = new BertModel(TINY);
    const r2 = await loadBertWeightsFromFile(base, fixture('tiny-bert-legacy.safetensors'));
    expect(r2.ignored).toContain('bert.embeddings.position_ids');
    expect(r2.ignored).toContain('cls.predictions.transform.dense.weight');
    expect(r2.loaded).toContain('embeddings.LayerNorm.weight');
    // The MLM model does take the cls.* weights from the same file.
    const mlm = new BertForMaskedLM(TINY);
    const r3 = await loadBertWeightsFromFile(mlm, fixture('tiny-bert-legacy.safetensors'));
    expect(r3.loaded).toContain('cls.predictions.transform.LayerNorm.weight');
    expect(r3.newlyInitialized).toEqual([]);
    m.dispose();
    base.dispose();
    mlm.dispose();
  });

  test('mis-shaped checkpoints are refused with the full list and nothing is changed', async () => {
    const m = new BertModel({ ...TINY, intermediateSize: 8 });
    const before = m.getParameter('embeddings.word_embeddings.weight').variable.arraySync();
    const err = await loadBertWeightsFromFile(m, fixture('tiny-bert.safetensors')).catch((e: Error) => e);
    expect(err).toBeInstanceOf(Error);
    const msg = (err as Error).message;
    expect(msg).toMatch(/mis-shaped: bert\.encoder\.layer\.0\.intermediate\.dense\.weight → encoder\.layer\.0\.intermediate\.dense\.weight: model \[16,8\], checkpoint \[32,16\]/);
    // Every mis-shaped tensor is listed, not just the first: 2 layers × (intermediate w, b; output w).
    expect(msg.match(/mis-shaped/g)).toHaveLength(6);
    expect(m.getParameter('embeddings.word_embeddings.weight').variable.arraySync()).toEqual(before);
    m.dispose();
  });

  test('strict loading refuses missing backbone weights and unknown tensors', async () => {
    const tensors = await readBertCheckpoint(fixture('tiny-bert.safetensors'));
    const m = new BertModel(TINY);
    const partial = new Map(tensors);
    partial.delete('bert.pooler.dense.bias');
    partial.set('bert.encoder.layer.0.attention.self.rotary.weight', { dtype: 'F32', shape: [1], data: new Float32Array(1) });
    let msg = '';
    try {
      loadBertWeights(m, partial);
    } catch (e) {
      msg = (e as Error).message;
    }
    expect(msg).toMatch(/missing: +pooler\.dense\.bias/);
    expect(msg).toMatch(/unexpected: bert\.encoder\.layer\.0\.attention\.self\.rotary\.weight/);
    const report = loadBertWeights(m, partial, { strict: false });
    expect(report.newlyInitialized).toEqual(['pooler.dense.bias']);
    expect(report.ignored).toContain('bert.encoder.layer.0.attention.self.rotary.weight');
    m.dispose();
  });

  test('bertWeightsToHf names BertModel weights without a prefix', async () => {
    const m = new BertModel(TINY);
    const w = await bertWeightsToHf(m);
    expect([...w.keys()]).toContain('embeddings.word_embeddings.weight');
    expect(w.get('encoder.layer.0.output.dense.weight')!.shape).toEqual([16, 32]);
    m.dispose();
  });

  test('a folder without weights gives a clear error', async () => {
    await writeFile(join(dir, 'config.json'), '{}');
    await expect(readBertCheckpoint(dir)).rejects.toThrow(/neither model\.safetensors nor model\.safetensors\.index\.json/);
  });
});

describe('BertForMaskedLM', () => {
  test('decodes only the masked positions, with a decoder tied to the word embeddings', async () => {
    const m = new BertForMaskedLM(TINY).eval();
    const b = batch();
    const pos = tf.tensor1d([1, 6], 'int32');
    await expectNoLeaks(() => {
      const all = m.mlmLogits(b);
      const some = m.mlmLogits(b, pos);
      expect(all.shape).toEqual([2, 5, 60]);
      expect(some.shape).toEqual([2, 60]);
      const diff = tf.tidy(() => tf.max(tf.abs(tf.sub(tf.gather(tf.reshape(all, [10, 60]), pos), some))));
      expect(diff.dataSync()[0]).toBeLessThan(1e-5);
      tf.dispose([all, some, diff]);
    });
    expect(m.namedParameters().some(([n]) => n.includes('decoder'))).toBe(false);
    tf.dispose([pos, ...Object.values(b)]);
    m.dispose();
  });
});
