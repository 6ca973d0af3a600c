import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import { crossEntropy } from '@lel/core';
import { describeMethodMatrix } from '@lel/core/testing';
import type { MethodCase, MethodRunCase } from '@lel/core/testing';
import { WordPieceTokenizer, type TextClassifierData } from '@lel/models';
import { peftFineTune, type PeftFineTuneInfo } from './train';
import { applyPeft } from './peft-model';
import type { PeftConfig } from './config';
import { tinyBatch, tinyBert } from './test-utils.fixture';

// The shared method matrix on a tiny BERT, one row per PEFT method: the frozen base must stay bit-identical.
const configs: Record<string, PeftConfig> = {
  bitfit: { method: 'bitfit' },
  relbitfit: { method: 'relbitfit' },
  krona: { method: 'krona' },
  lora: { method: 'lora' },
};

const rows: MethodCase[] = Object.entries(configs).map(([name, config]) => ({
  name: `peft ${name}`,
  setup: (seed: number) => {
    const model = tinyBert(seed);
    applyPeft(model, config);
    const b = tinyBatch();
    return {
      model,
      loss: () => crossEntropy(model.forward(b).logits, b.labels) as tf.Scalar,
      dispose: () => tf.dispose([b.inputIds, b.attentionMask, b.labels]),
    };
  },
}));

/** The whole fine-tuning through runMethod (the peft-* recipes): the PEFT method applied by the method itself. */
function runRow(name: string, peft: PeftConfig): MethodRunCase<TextClassifierData> {
  // The wrapper in `info` keeps copies of the base values it owns (to unload): the caller frees them.
  const vocab = ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]', 'good', 'great', 'fine', 'bad', 'awful', 'poor', 'movie'];
  const texts = ['good movie', 'great movie', 'fine good', 'great great', 'bad movie', 'awful movie', 'poor bad', 'awful awful'];
  return {
    name: `peft ${name} through runMethod`,
    method: peftFineTune,
    config: { peft, epochs: 2, batchSize: 4, maxLength: 8, seed: 2 },
    data: () => ({ model: tinyBert(3), tokenizer: new WordPieceTokenizer(vocab), train: { texts, labels: [1, 1, 1, 1, 0, 0, 0, 0] } }),
    disposeInfo: (info: PeftFineTuneInfo) => info.peft?.dispose(),
    steps: 4,
    resumeAt: 3,
  };
}

describeMethodMatrix([...rows, runRow('lora', { method: 'lora', r: 2 }), runRow('bitfit', { method: 'bitfit' })]);
