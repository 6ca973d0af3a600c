// One BERT sequence-classification forward and a tokenizer call (scripts/check-a-la-carte.mjs).
export async function smoke(models, tf, modelsNode) {
  const cfg = { vocabSize: 32, hiddenSize: 8, numHiddenLayers: 1, numAttentionHeads: 2, intermediateSize: 16, maxPositionEmbeddings: 16 };
  const model = new models.BertForSequenceClassification(cfg, { numLabels: 2 });
  model.eval();
  const inputIds = tf.tensor2d([[2, 5, 7, 3]], [1, 4], 'int32');
  const out = model.forward({ inputIds });
  if (out.logits.shape.join() !== '1,2') throw new Error(`logits shape ${out.logits.shape}`);
  tf.dispose([inputIds, out.logits, out.lastHiddenState, out.poolerOutput]);
  model.dispose();
  const vocab = ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]', 'hello', 'world', '##s'];
  const tok = models.WordPieceTokenizer.fromVocabTxt(vocab.join('\n'));
  const enc = tok.encode('Hello worlds');
  if (enc.inputIds.join() !== '2,5,6,7,3') throw new Error(`tokenizer gave ${enc.inputIds}`);
  // The shipped BERT resolves inside the installed package (dist build) and is complete.
  const { existsSync } = await import('node:fs');
  const { join } = await import('node:path');
  const dir = modelsNode.pretrainedBertPath('bert-mini-lel');
  for (const f of ['config.json', 'model.safetensors', 'vocab.txt']) if (!existsSync(join(dir, f))) throw new Error(`pretrainedBertPath: ${dir} lacks ${f}`);
}
