import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { Rng, useBackend } from '@lel/core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { BertForPreTraining } from '../bert/pre-training';
import { bertWeightsToHf } from '../bert/checkpoint';
import { loadBertWeightsFromFile, saveBertPretrained } from '../bert/pretrained';
import { pretrainedBertPath } from '../bert/shipped';
import { WordPieceTokenizer } from '../tokenizer/wordpiece';
import { heldOutPretrainingLoss } from './held-out';
import { pretrainBert } from './pretrain-bert';
import { samplePairs } from './sentence-pairs';

const VOCAB = ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]', ...Array.from({ length: 45 }, (_, i) => `w${i}`)];
// Dropout off: the comparisons below are exact (data-parallel workers draw dropout masks from their own generators).
const CONFIG = { vocabSize: VOCAB.length, hiddenSize: 16, numHiddenLayers: 1, numAttentionHeads: 2, intermediateSize: 32, maxPositionEmbeddings: 32, hiddenDropoutProb: 0, attentionProbsDropoutProb: 0 };
// Documents of ascending runs, so "B continues A" is visible in the ids.
const DOCS = Array.from({ length: 12 }, (_, d) => Array.from({ length: 20 + d }, (_, i) => 5 + ((d * 7 + i) % 45)));
const tokenizer = new WordPieceTokenizer(VOCAB);
const dirs: string[] = [];
const tmp = () => {
  const d = mkdtempSync(join(tmpdir(), 'lel-pretrain-'));
  dirs.push(d);
  return d;
};

beforeAll(async () => {
  await useBackend('cpu');
});
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

const weights = async (m: BertForPreTraining) => Promise.all(m.trainableParameters().map(async ([, p]) => Array.from(await p.variable.data())));
const run = (model: BertForPreTraining, extra: Partial<Parameters<typeof pretrainBert>[0]> = {}) =>
  pretrainBert({ model, tokenizer, docs: DOCS, steps: 6, batchSize: 4, half: 6, lr: 1e-3, warmupSteps: 2, workers: 0, ...extra });

describe('MLM + NSP pretraining', () => {
  test('samplePairs: [CLS] A [SEP] B [SEP], type ids, label 0 iff B continues A in its document', () => {
    const b = samplePairs(DOCS, new Rng(3), { batchSize: 32, half: 5, tokens: { clsId: 2, sepId: 3, padId: 0 } });
    expect(b.inputIds[0]!.length).toBe(13);
    expect(new Set(b.nextSentenceLabels)).toEqual(new Set([0, 1]));
    b.inputIds.forEach((ids, i) => {
      expect([ids[0], ids[6], ids[12]]).toEqual([2, 3, 3]);
      expect(b.tokenTypeIds[i]).toEqual([0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1]);
      const a = ids.slice(1, 6);
      const next = ids.slice(7, 12);
      const continues = DOCS.some((d) => d.some((_, s) => d.slice(s, s + 5).join() === a.join() && d.slice(s + 5, s + 10).join() === next.join()));
      if (b.nextSentenceLabels[i] === 0) expect(continues).toBe(true);
    });
  });

  test('BertForPreTraining has exactly the tensor names of the shipped checkpoint (HF BertForPreTraining) and round-trips in F16', async () => {
    const file = readFileSync(join(pretrainedBertPath('bert-l4-h256-lel'), 'model.safetensors'));
    const shipped = Object.keys(JSON.parse(file.subarray(8, 8 + Number(file.readBigUInt64LE(0))).toString('utf8')) as object).filter((k) => k !== '__metadata__');
    // Same layer count as the shipped encoder, tiny widths: the names do not depend on the sizes.
    const small = { ...CONFIG, numHiddenLayers: 4 };
    const m = new BertForPreTraining(small, { rng: new Rng(4) });
    const again = new BertForPreTraining(small, { rng: new Rng(5) });
    const dir = tmp();
    try {
      expect([...(await bertWeightsToHf(m)).keys()].sort()).toEqual(shipped.sort());
      await saveBertPretrained(m, dir, { dtype: 'F16' });
      const report = await loadBertWeightsFromFile(again, dir);
      expect(report.newlyInitialized).toEqual([]);
      const [a, b] = [await weights(m), await weights(again)];
      // F16 storage: values within half-precision rounding.
      expect(Math.max(...a.flatMap((w, i) => w.map((v, j) => Math.abs(v - b[i]![j]!) / Math.max(1e-3, Math.abs(v)))))).toBeLessThan(1e-3);
    } finally {
      m.dispose();
      again.dispose();
    }
  });

  test('trains (held-out MLM + NSP loss falls) and resumes bit-exactly from its checkpoint', async () => {
    const fresh = () => new BertForPreTraining(CONFIG, { rng: new Rng(1) });
    const whole = fresh();
    const before = await heldOutPretrainingLoss(whole, tokenizer, DOCS, { batches: 2, batchSize: 8, half: 6 });
    const r = await run(whole, { steps: 20, lr: 3e-3 });
    expect(r.steps).toBe(20);
    const after = await heldOutPretrainingLoss(whole, tokenizer, DOCS, { batches: 2, batchSize: 8, half: 6 });
    expect(after.mlm + after.nsp).toBeLessThan(before.mlm + before.nsp);
    whole.dispose();

    // A 9-step pretraining stopped after 6 steps (a budgeted session), then resumed by a second "process" (a
    // fresh model, the same run folder) must equal the uninterrupted run; checkpoints do not change the training.
    const dir = tmp();
    const b = fresh();
    await run(b, { steps: 9, stopAfter: 6, runDir: dir, checkpointEvery: 3 });
    const a = fresh();
    await run(a, { steps: 9, stopAfter: 6 });
    const c = fresh();
    await run(c, { steps: 9, runDir: dir, resume: 'last', checkpointEvery: 3 });
    const d = fresh();
    await run(d, { steps: 9 });
    expect(await weights(b)).toEqual(await weights(a));
    expect(await weights(c)).toEqual(await weights(d));
    expect(await weights(c)).not.toEqual(await weights(b));
    tf.dispose([a, b, c, d].map((m) => m.dispose()) as never);
  }, 180_000);

  test('2 data-parallel workers give the same training as one thread (to float rounding)', async () => {
    const one = new BertForPreTraining(CONFIG, { rng: new Rng(2) });
    const two = new BertForPreTraining(CONFIG, { rng: new Rng(2) });
    try {
      await run(one, { steps: 3 });
      await run(two, { steps: 3, workers: 2, backend: 'cpu' });
      const [w1, w2] = [await weights(one), await weights(two)];
      const diff = Math.max(...w1.flatMap((w, i) => w.map((v, j) => Math.abs(v - w2[i]![j]!))));
      expect(diff).toBeLessThan(1e-5);
    } finally {
      one.dispose();
      two.dispose();
    }
  }, 400_000);
});
