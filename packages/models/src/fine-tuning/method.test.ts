import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import { describeMethodMatrix } from '@lel/core/testing';
import { BertForSequenceClassification } from '../bert/sequence-classification';
import { TINY_BERT } from '../bert/tiny-bert.fixture';
import { WordPieceTokenizer } from '../tokenizer/wordpiece';
import { Rng } from '@lel/core';
import { fineTuneClassifier } from './text-classification';

// Full fine-tuning of a BERT classifier (the finetune-full recipe) through runMethod in the shared matrix: leaks,
// checkpoint round trip, determinism, a bit-exact resume mid-run.
const vocab = ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]', 'good', 'great', 'fine', 'bad', 'awful', 'poor', 'movie'];
const texts = ['good movie', 'great movie', 'fine good', 'great great', 'bad movie', 'awful movie', 'poor bad', 'awful awful'];

describeMethodMatrix([
  {
    name: 'full fine-tuning through runMethod',
    method: fineTuneClassifier,
    config: { epochs: 2, batchSize: 4, maxLength: 8, lr: 1e-3, seed: 1 },
    data: () => ({ model: new BertForSequenceClassification(TINY_BERT, { numLabels: 2, rng: new Rng(5) }), tokenizer: new WordPieceTokenizer(vocab), train: { texts, labels: [1, 1, 1, 1, 0, 0, 0, 0] } }),
    steps: 4,
    resumeAt: 3,
  },
]);
