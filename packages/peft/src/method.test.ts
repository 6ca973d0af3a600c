import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import { crossEntropy } from '@lel/core';
import { describeMethodMatrix } from '@lel/core/testing';
import type { MethodCase } from '@lel/core/testing';
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

describeMethodMatrix(rows);
