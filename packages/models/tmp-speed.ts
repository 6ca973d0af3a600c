import * as tf from '@tensorflow/tfjs-core';
import { useBackend, computeGradients, crossEntropy, AdamW } from '@lel/core';
import { loadSentiment } from '@lel/datasets/node';
import type { BertForSequenceClassification } from './src/index';
import { loadPretrainedBert } from './src/node';
await useBackend((process.argv[2] ?? 'wasm') as 'wasm');
const { model, tokenizer } = await loadPretrainedBert('/work/shared/pretrained/bert-l4-h256-gpu', { numLabels: 2 });
const m = model as BertForSequenceClassification;
const d = loadSentiment({ domain: 'amazon' });
const enc = (i0: number, n: number) => { const e = tokenizer!.encodeBatch(d.texts.slice(i0, i0 + n), { maxLength: 48 }); return { inputIds: tf.tensor2d(e.inputIds, undefined, 'int32'), attentionMask: tf.tensor2d(e.attentionMask, undefined, 'int32'), tokenTypeIds: tf.tensor2d(e.tokenTypeIds, undefined, 'int32'), T: e.inputIds[0]!.length }; };
m.train();
for (const mode of ['full', 'bias']) {
  m.unfreeze?.();
  if (mode === 'bias') m.freeze(/^(?!.*bias)(?!classifier)/);
  const params = m.trainableParameters();
  const opt = new AdamW(params, { lr: 1e-5 });
  const ts: number[] = [];
  for (let s = 0; s < 6; s++) {
    const b = enc(s * 16, 16); const y = tf.tensor1d(Array.from({ length: 16 }, (_, i) => d.labels[s * 16 + i]!), 'int32');
    const t0 = performance.now();
    const { grads } = await computeGradients(() => crossEntropy(m.forward(b).logits, y) as tf.Scalar, params);
    opt.step(grads); tf.dispose([...grads.values()]);
    ts.push(performance.now() - t0);
    tf.dispose([b.inputIds, b.attentionMask, b.tokenTypeIds, y]);
  }
  console.log(mode, params.length, 'ms/step', ts.map((x) => x.toFixed(0)).join(' '));
  opt.dispose();
}
m.eval();
const t0 = performance.now();
for (let s = 0; s < 4; s++) { const b = enc(s * 64, 64); const o = tf.tidy(() => tf.argMax(m.forward(b).logits, -1)); await o.data(); o.dispose(); tf.dispose([b.inputIds, b.attentionMask, b.tokenTypeIds]); }
console.log('eval ms/64', ((performance.now() - t0) / 4).toFixed(0));
