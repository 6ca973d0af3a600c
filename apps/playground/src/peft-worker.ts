// One arm of the PEFT demo in a Web Worker: the pretrained BERT shipped with the page (@lel/models'
// bert-mini-lel, fetched from the page's own files) gets a fresh 2-class head and is fine-tuned on the sentences the
// person typed with `runMethod(peftFineTune, …)`: LoRA or BitFit (arm `method`), or a baseline (head only, or full
// fine-tuning). Both arms start from the same weights and head; accuracy on held-out sentences after every epoch.
import * as tf from '@tensorflow/tfjs-core';
import { parseSafetensors, Rng, runMethod } from '@lel/core';
import { BertForSequenceClassification, bertConfigFromHf, loadBertWeights, textAccuracy, textPredictor, WordPieceTokenizer } from '@lel/models';
import { peftFineTune } from '@lel/peft';
import { startBackend } from './backend';
import { MAX_LENGTH, peftConfig } from './peft-config';
import type { PeftTrainRequest, PeftWorkerMessage } from './peft-protocol';
import { BERT_DIR } from './shipped';
import { errorText, safetensorsOf, stepReporter } from './weights';

const post = (m: PeftWorkerMessage, transfer: Transferable[] = []) => (self as unknown as Worker).postMessage(m, transfer);

async function fetchOk(baseUrl: string, file: string): Promise<Response> {
  const url = new URL(`${BERT_DIR}/${file}`, baseUrl).href;
  const res = await fetch(url);
  if (!res.ok) throw new Error(`${url}: HTTP ${res.status}`);
  return res;
}

/** The shipped BERT with a fresh 2-class head (seeded: the same head in both arms) and its tokenizer. */
async function loadBert(baseUrl: string, seed: number): Promise<{ model: BertForSequenceClassification; tokenizer: WordPieceTokenizer }> {
  const [config, weights, vocab] = await Promise.all([fetchOk(baseUrl, 'config.json').then((r) => r.json()), fetchOk(baseUrl, 'model.safetensors').then((r) => r.arrayBuffer()), fetchOk(baseUrl, 'vocab.txt').then((r) => r.text())]);
  const model = new BertForSequenceClassification(bertConfigFromHf(config as Record<string, unknown>), { numLabels: 2, rng: new Rng(`playground-bert-head/${seed}`) });
  loadBertWeights(model, parseSafetensors(new Uint8Array(weights), { file: `${BERT_DIR}/model.safetensors` }).tensors);
  return { model, tokenizer: WordPieceTokenizer.fromVocabTxt(vocab) };
}

async function train(req: PeftTrainRequest): Promise<void> {
  const backend = await startBackend(req.backend);
  const { model, tokenizer } = await loadBert(req.baseUrl, req.seed);
  // Head only: the whole BERT frozen before the run, so only the classifier is among the trainable parameters.
  if (req.method === 'head') model.freeze((name: string) => !name.startsWith('classifier.'));
  const config = peftConfig(req);
  tf.engine().startScope();
  try {
    const run = await runMethod(peftFineTune, config, { model, tokenizer, train: req.train, eval: { test: req.test } }, {
      progress: 'none',
      callbacks: [
        {
          // The trainable parameters once the method is applied, and the score before fine-tuning (a fresh head).
          async onTrainStart() {
            const c = model.countParameters();
            post({ type: 'ready', arm: req.arm, backend: backend.name, notes: backend.notes, trainable: c.trainable, all: c.all });
            const accuracy = await textAccuracy(model, tokenizer, req.test, { maxLength: MAX_LENGTH });
            post({ type: 'eval', arm: req.arm, step: 0, epoch: 0, accuracy, probes: req.probes.length > 0 ? await predict(req.probes) : [] });
          },
          async onEvaluate(metrics, ctx) {
            const probs = req.probes.length > 0 ? await predict(req.probes) : [];
            post({ type: 'eval', arm: req.arm, step: ctx.step, epoch: ctx.epoch + 1, accuracy: metrics['test/accuracy'] ?? NaN, probes: probs });
          },
        },
        stepReporter((s) => post({ type: 'step', arm: req.arm, ...s })),
      ],
      evalEvery: { epochs: 1 },
    });
    const { bytes } = await safetensorsOf(model.stateDict(), { format: 'lel-playground', arm: req.arm, method: req.method, config: JSON.stringify(config) });
    model.dispose();
    post({ type: 'done', arm: req.arm, steps: run.result.steps, weights: bytes }, [bytes.buffer]);
  } finally {
    tf.engine().endScope();
  }

  async function predict(texts: string[]): Promise<number[]> {
    const p = textPredictor(model, tokenizer, { maxLength: MAX_LENGTH, padding: 'longest' });
    const out = await p(texts);
    return Array.from(out, (row) => row[1] ?? NaN);
  }
}

self.onmessage = (e: MessageEvent<PeftTrainRequest>) => {
  if (e.data?.type !== 'train') return;
  train(e.data).catch((err: unknown) => post({ type: 'error', arm: e.data.arm, message: errorText(err) }));
};
