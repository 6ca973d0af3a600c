import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import { globalRng, Rng, useBackend } from '@lel/core';
import { BertModel, WordPieceTokenizer, trainWordPieceVocab } from '@lel/models';
import { beforeAll, describe, expect, test } from 'vitest';
import { makeMilBags } from './bags';
import { VibClassifier } from './classifier';
import { evaluateText, fineTuneText } from './train-vib';
import { evaluateMil, trainMilIb } from './train-mil';

beforeAll(async () => {
  await useBackend('wasm');
});

// A toy sentiment task: the class is carried by one word, so a tiny BERT learns it in a few epochs.
function toyText(n: number, seed: number) {
  const rng = new Rng(seed);
  const fillers = ['the', 'movie', 'food', 'was', 'really', 'quite', 'service', 'plot'];
  const texts: string[] = [];
  const labels: number[] = [];
  for (let i = 0; i < n; i++) {
    const y = i % 2;
    const words = Array.from({ length: 4 }, () => fillers[rng.int(fillers.length)]!);
    words.splice(rng.int(5), 0, y ? 'great' : 'awful');
    texts.push(words.join(' '));
    labels.push(y);
  }
  return { texts, labels: Int32Array.from(labels) };
}

describe('fineTuneText', () => {
  const train = toyText(32, 1);
  const val = toyText(32, 2);
  const tokenizer = new WordPieceTokenizer(trainWordPieceVocab([...train.texts, ...val.texts], { vocabSize: 60 }));
  const bert = { hiddenDropoutProb: 0, attentionProbsDropoutProb: 0, hiddenSize: 16, numHiddenLayers: 1, numAttentionHeads: 2, intermediateSize: 32, maxPositionEmbeddings: 16 };

  test('VIBERT learns a keyword task, logs task/kl parts and validation metrics, and leaks nothing', async () => {
    const before = tf.memory().numTensors;
    const { model, result, config } = await fineTuneText(train, {
      method: 'vib',
      tokenizer,
      bert,
      validation: val,
      config: { ibDim: 8, lr: 1e-2, epochs: 15, batchSize: 8, beta: 1e-3, maxLength: 16, dropout: 0, headInitStd: null },
    });
    expect(config.sampleSize).toBe(5);
    expect(model).toBeInstanceOf(VibClassifier);
    const last = result.history.filter((r) => r.type === 'eval').at(-1) as unknown as { val_acc: number };
    // A randomly initialised BERT from 32 sentences: chance is 0.5 (measured here: 0.75 after 60 steps).
    expect(last.val_acc).toBeGreaterThanOrEqual(0.65);
    const trainRecs = result.history.filter((r) => r.type === 'train') as unknown as { kl: number; task: number }[];
    expect(trainRecs.every((r) => Number.isFinite(r.kl) && r.kl >= 0)).toBe(true);
    expect(trainRecs.at(-1)!.task).toBeLessThan(trainRecs[0]!.task - 0.15);
    expect((await evaluateText(model, tokenizer, val, { maxLength: 16 })).accuracy).toBeCloseTo(last.val_acc, 6);
    model.dispose();
    expect(tf.memory().numTensors).toBe(before);
  }, 30_000);

  test('plain fine-tuning and pretrained encoder weights go through the same recipe', async () => {
    const pre = new BertModel({ ...bert, vocabSize: tokenizer.vocabSize }, { rng: new Rng(9) });
    const weights = pre.stateDict();
    const { model } = await fineTuneText(train, { method: 'plain', tokenizer, bert, encoderWeights: weights, config: { epochs: 1, batchSize: 16, maxLength: 16, lr: 1e-30 } });
    // lr 1e-30: the encoder keeps the pretrained values (the update vanishes in float32).
    const got = model.stateDict().get('embeddings.word_embeddings.weight')!;
    expect(Array.from(got.dataSync())).toEqual(Array.from(weights.get('embeddings.word_embeddings.weight')!.dataSync()));
    await expect(fineTuneText(train, { method: 'vib', tokenizer, bert, encoderWeights: new Map([['nope', tf.zeros([1])]]), config: { epochs: 1 } })).rejects.toThrow(/no tensor named like a BertModel parameter/);
    model.dispose();
    pre.dispose();
  }, 30_000);
});

describe('trainMilIb', () => {
  test('learns "contains the positive class" bags from Gaussian instances, with and without the IB', async () => {
    const rng = new Rng(4);
    const dim = 8;
    const n = 400;
    const labels = Int32Array.from({ length: n }, (_, i) => i % 4);
    const features = new Float32Array(n * dim);
    for (let i = 0; i < n; i++) for (let d = 0; d < dim; d++) features[i * dim + d] = rng.normal(d === labels[i] ? 2.5 : 0, 0.5);
    const bags = makeMilBags(features, labels, dim, { numBags: 80, positiveClass: 3, bagSize: [4, 8], seed: 1 });
    const [trainBags, valBags] = [bags.slice(0, 60), bags.slice(60)];
    for (const useIb of [true, false]) {
      const { model } = await trainMilIb(trainBags, { hiddenDim: 16, attentionDim: 8, epochs: 4, lr: 3e-3, useIb, topK: 4 });
      expect((await evaluateMil(model, valBags)).accuracy, `useIb ${useIb}`).toBeGreaterThanOrEqual(0.85);
      model.dispose();
    }
    await expect(trainMilIb([{ features: new Float32Array(0), n: 0, dim: 4, label: 0, positives: [] }])).rejects.toThrow(/bag 0 is empty/);
  }, 30_000);

  test('a run is reproducible whatever used the global generator before it', async () => {
    const rng = new Rng(5);
    const labels = Int32Array.from({ length: 40 }, (_, i) => i % 2);
    const features = Float32Array.from({ length: 40 * 3 }, () => rng.normal());
    const bags = makeMilBags(features, labels, 3, { numBags: 6, positiveClass: 1, bagSize: [2, 4], seed: 2 });
    const weights = async () => {
      const { model } = await trainMilIb(bags, { hiddenDim: 4, attentionDim: 2, epochs: 1, lr: 1e-2 });
      const w = Array.from(model.stateDict().get('fc.weight')!.dataSync());
      model.dispose();
      return w;
    };
    const a = await weights();
    globalRng().uniformArray(17); // a different history of the process-wide generator
    expect(await weights()).toEqual(a);
  });
});
