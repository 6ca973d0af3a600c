import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import { Linear, Module, Rng, Sequential, Tanh } from '@lel/core';
import { describeMethodMatrix } from '@lel/core/testing';
import { VibClassifier, vibBert } from './classifier';
import { makeMilBags } from './bags';
import { milIbLoss } from './mil-loss';
import { milIb } from './train-mil';
import { vibert } from './train-vib';
import { WordPieceTokenizer } from '@lel/models';
import { BernoulliMaskMil } from './mil-model';
import { VibHead } from './vib-head';
import { vibLoss } from './vib-loss';

const TINY_BERT = { vocabSize: 30, hiddenSize: 16, numHiddenLayers: 1, numAttentionHeads: 2, intermediateSize: 32, maxPositionEmbeddings: 16 };

/** 6 bags of 3–5 instances of 6 random features (a bag is positive when it holds a class-1 instance). */
function milBags() {
  const rng = new Rng(21);
  const n = 40;
  const features = Float32Array.from({ length: n * 6 }, () => rng.normal());
  const labels = Int32Array.from({ length: n }, (_, i) => i % 4);
  return { bags: makeMilBags(features, labels, 6, { numBags: 6, bagSize: [3, 5], positiveClass: 1, seed: 'matrix' }), validation: makeMilBags(features, labels, 6, { numBags: 4, bagSize: [3, 5], positiveClass: 1, seed: 'matrix-val' }) };
}

// The shared method matrix: leaks, frozen parameters, safetensors round trip, finite loss, determinism; and the MIL
// methods through runMethod (one bag per step, dropout and mask noise, a bit-exact resume mid-epoch).
/** Eight short texts over a 12-token vocabulary, two classes (the tiny BERT of the matrix, vocabulary from the tokenizer). */
function vibTexts() {
  const vocab = ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]', 'good', 'great', 'fine', 'bad', 'awful', 'poor', 'movie'];
  const texts = ['good movie', 'great movie', 'fine good', 'great great', 'bad movie', 'awful movie', 'poor bad', 'awful awful'];
  const { vocabSize: _v, ...bert } = TINY_BERT;
  return { bert, tokenizer: new WordPieceTokenizer(vocab), train: { texts, labels: [1, 1, 1, 1, 0, 0, 0, 0] } };
}

describeMethodMatrix([
  { name: 'VIBERT through runMethod (the vib recipe)', method: vibert, config: { epochs: 2, batchSize: 4, ibDim: 6, sampleSize: 2, maxLength: 8, lr: 1e-3, seed: 4 }, data: vibTexts, steps: 4, resumeAt: 3 },
  { name: 'Bernoulli-mask IB MIL through runMethod', method: milIb, config: { inputDim: 6, hiddenDim: 8, attentionDim: 4, numSamples: 3, topK: 2, epochs: 2, lr: 1e-2, seed: 2 }, data: milBags, steps: 5, resumeAt: 4 },
  { name: 'CLAM-SB (useIb: false) through runMethod', method: milIb, config: { inputDim: 6, hiddenDim: 8, attentionDim: 4, useIb: false, epochs: 1, lr: 1e-2, seed: 3 }, data: milBags, steps: 4, resumeAt: 2 },
  {
    name: 'VIB head on an MLP encoder (encoder frozen)',
    setup: (seed) => {
      const rng = new Rng(seed);
      const encoder = new Sequential([new Linear(5, 8, { rng }), new Tanh()]);
      const model = new VibClassifier<tf.Tensor>(encoder, new VibHead(8, 3, { ibDim: 4, sampleSize: 3, rng }), (e, x) => (e as Sequential).forward(x));
      model.freeze(/^encoder\./);
      const x = rng.normalTensor([6, 5]);
      const y = tf.tensor1d([0, 1, 2, 0, 1, 2], 'int32');
      const noise = new Rng(seed + 100);
      return { model, loss: () => vibLoss(model.forward(x, { rng: noise }), y, { beta: 0.1, epoch: 2 }), dispose: () => tf.dispose([x, y]) };
    },
  },
  {
    name: 'VIBERT (tiny BERT, embeddings frozen)',
    setup: (seed) => {
      const rng = new Rng(seed);
      const model = vibBert(TINY_BERT, 2, { bert: { rng }, head: { ibDim: 6, sampleSize: 2, rng } });
      model.freeze(/^encoder\.embeddings\./);
      const inputIds = tf.tensor2d([[2, 5, 7, 9, 3, 0], [2, 11, 12, 3, 0, 0]], [2, 6], 'int32');
      const attentionMask = tf.tensor2d([[1, 1, 1, 1, 1, 0], [1, 1, 1, 1, 0, 0]], [2, 6], 'int32');
      const y = tf.tensor1d([1, 0], 'int32');
      const noise = new Rng(seed + 100);
      return {
        model,
        loss: () => vibLoss(model.forward({ inputIds, attentionMask }, { rng: noise }), y, { beta: 1e-3 }),
        dispose: () => tf.dispose([inputIds, attentionMask, y]),
      };
    },
  },
  {
    name: 'Bernoulli-mask IB MIL',
    setup: (seed) => milRow(seed, true),
  },
  {
    name: 'CLAM-SB without the IB',
    setup: (seed) => milRow(seed, false),
  },
]);

function milRow(seed: number, useIb: boolean): { model: Module; loss: () => ReturnType<typeof milIbLoss>; dispose: () => void } {
  const rng = new Rng(seed);
  const model = new BernoulliMaskMil({ inputDim: 6, hiddenDim: 8, attentionDim: 4, numSamples: 3, useIb, rng, dropoutRng: new Rng(seed + 1) });
  const x = rng.normalTensor([5, 6]);
  const y = tf.tensor1d([1], 'int32');
  const noise = new Rng(seed + 100);
  return { model, loss: () => milIbLoss(model.forward(x, { rng: noise }), y), dispose: () => tf.dispose([x, y]) };
}
