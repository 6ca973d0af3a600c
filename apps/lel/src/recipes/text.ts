import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import { ConfusionMatrix, accuracy, f1Binary, readArray, type Module } from '@lel/core';
import { type TextClassificationData } from '@lel/datasets';
import { loadTextCorpus } from '@lel/datasets/node';
import { DataConfigError } from '../data/detect';
import type { TextData } from '../data/sections';
import { resolveTextData } from '../data/text-data';
import { pretrainMlm, type BertForSequenceClassification, type WordPieceTokenizer } from '@lel/models';
import { SHIPPED_BERTS, loadPretrainedBert, pretrainedBertPath, saveBertPretrained, type ShippedBert } from '@lel/models/node';
import type { EvalResult, PredictRequest, Prediction } from './types';

/**
 * The text recipes' `data:` section (the data sources': CSV / TSV / JSONL files or the embedded reviews and e-mails,
 * a label budget such as `perClass: 16`, dev and test parts, `maxLength`).
 */
export { TextData } from '../data/sections';

/** Where the keys of the former embedded-reviews `data` section live now. */
export const REVIEW_DATA_MOVED: Record<string, string> = {
  'data.domain': 'moved to data.labelled.domain (data.labelled: { source: sentiment, domain, heldOut, perClass })',
  'data.perClass': 'moved to data.labelled.perClass (the label budget of any labelled source)',
  'data.testSize': 'moved to data.labelled.heldOut (held-out reviews of the embedded sentiment data: the dev part)',
};

/**
 * Where the BERT comes from: the name of a BERT shipped with @lel/models (default `bert-mini-lel`: hidden 128,
 * 2 layers, masked-LM pretrained on the embedded corpora, see packages/models/pretrained/bert-mini-lel/README.md),
 * `pretrain` = a (short) masked-LM pretraining on the embedded corpus inside the run (saved to
 * `<run>/pretrained/` in Hugging Face layout; `bert.pretrain.*` set it up), or the path of a Hugging Face BERT
 * folder (config.json, model.safetensors, vocab.txt) — e.g. a previous run's `pretrained/`.
 */
export const BertSource = z
  .object({
    from: z.string().min(1).default('bert-mini-lel'),
    pretrain: z
      .object({
        steps: z.number().int().min(1).default(40),
        vocabSize: z.number().int().min(200).default(2000),
        /** Corpus documents used (vocabulary and MLM). */
        maxDocuments: z.number().int().min(1).default(60),
        seqLength: z.number().int().min(8).default(64),
        batchSize: z.number().int().min(1).default(16),
        lr: z.number().positive().default(1e-3),
        hiddenSize: z.number().int().min(8).default(64),
        layers: z.number().int().min(1).default(2),
        heads: z.number().int().min(1).default(2),
        intermediateSize: z.number().int().min(8).default(128),
      })
      .strict()
      .prefault({}),
  })
  .strict()
  .prefault({});
export type BertSource = z.output<typeof BertSource>;

/** Whether `bert.from` names a BERT shipped with @lel/models. */
export function isShippedBert(from: string): from is ShippedBert {
  return (SHIPPED_BERTS as readonly string[]).includes(from);
}

/** Folder of the pretrained BERT a run fine-tunes. */
export function pretrainedDir(bert: BertSource, runDir: string): string {
  if (bert.from === 'pretrain') return path.join(runDir, 'pretrained');
  return isShippedBert(bert.from) ? pretrainedBertPath(bert.from) : bert.from;
}

/** Pretrain (or reuse) the BERT of a run; returns its folder. */
export async function ensurePretrained(bert: BertSource, runDir: string, seed: number, log: (l: string) => void): Promise<string> {
  const dir = pretrainedDir(bert, runDir);
  if (fs.existsSync(path.join(dir, 'config.json'))) {
    if (isShippedBert(bert.from)) log(`[bert] using ${bert.from} shipped with @lel/models (${dir}), masked-LM pretrained on the embedded corpora by \`pnpm --filter @lel/models pretrain:mlm\` (see its README.md)`);
    return dir;
  }
  if (bert.from !== 'pretrain') throw new Error(`bert.from: ${dir} has no config.json (give a Hugging Face BERT folder, ${SHIPPED_BERTS.map((n) => `"${n}"`).join(', ')} or "pretrain")`);
  const p = bert.pretrain;
  const texts = loadTextCorpus({ maxDocuments: p.maxDocuments }).map((d) => d.text);
  log(`[bert] masked-LM pretraining on ${texts.length} corpus documents: ${p.steps} steps, vocabulary ${p.vocabSize}, hidden ${p.hiddenSize}×${p.layers} layers`);
  const started = Date.now();
  const r = await pretrainMlm({
    texts,
    vocabSize: p.vocabSize,
    steps: p.steps,
    batchSize: p.batchSize,
    seqLength: p.seqLength,
    lr: p.lr,
    seed,
    config: { hiddenSize: p.hiddenSize, numHiddenLayers: p.layers, numAttentionHeads: p.heads, intermediateSize: p.intermediateSize, maxPositionEmbeddings: Math.max(p.seqLength, 64) },
    onStep: (s, loss) => {
      if ((s + 1) % Math.max(1, Math.floor(p.steps / 5)) === 0) log(`[bert] MLM step ${s + 1}/${p.steps} loss ${loss.toFixed(3)}`);
    },
  });
  try {
    await saveBertPretrained(r.model, dir, { tokenizer: r.tokenizer });
  } finally {
    r.model.dispose();
  }
  log(`[bert] pretrained in ${((Date.now() - started) / 1000).toFixed(1)} s (MLM loss ${r.losses[0]?.toFixed(3)} → ${r.losses.at(-1)?.toFixed(3)}), saved to ${dir}`);
  return dir;
}

/** A sequence classifier with its tokenizer. */
export interface TextClassifier {
  model: BertForSequenceClassification;
  tokenizer: WordPieceTokenizer;
}

/** Load the pretrained BERT with a fresh 2-label classification head. */
export async function loadClassifier(dir: string, numLabels: number): Promise<TextClassifier> {
  const p = await loadPretrainedBert(dir, { numLabels });
  if (!p.tokenizer) throw new Error(`${dir} has no vocab.txt or tokenizer.json`);
  return { model: p.model, tokenizer: p.tokenizer };
}

/** The parts of a run's text data: training examples, the dev part (model selection) and the reported part. */
export interface TextSets {
  train: TextClassificationData;
  /** Evaluated during training: picks `best/` and drives early stopping. */
  dev: TextClassificationData;
  /** Reported at the end: the test part, or the dev part when there is none. */
  test: TextClassificationData;
  labelNames: string[];
  describe: string;
}

/**
 * The text data of a run from its `data:` section: the labelled source with its label budget, the dev part (the
 * source's held-out part, a file, or a stratified carve) and the test part. With `runDir` the split and label map
 * are recorded in `<run>/data/` on the first call and read back later (resume, eval, predict).
 */
export function textSets(section: TextData, runDir?: string): TextSets {
  const d = resolveTextData(section, runDir ? { runDir } : {});
  const train = d.parts.labelled;
  if (!train || train.texts.length === 0) throw new DataConfigError('data.labelled', 'no labelled text is left for training (check the label budget: fraction / count / perClass)');
  const dev = d.parts.dev ?? d.parts.test;
  if (!dev) throw new DataConfigError('data.dev', 'the run needs held-out texts to evaluate on: give data.dev (a file), or keep data.dev "auto" with data.devFraction > 0');
  return { train, dev, test: d.parts.test ?? dev, labelNames: d.labelNames, describe: d.describe.join('; ') };
}

/** A tokenised batch (the training loop disposes its tensors). */
export interface TextBatch {
  inputIds: tf.Tensor2D;
  attentionMask: tf.Tensor2D;
  labels: tf.Tensor1D;
}

/** Tokenise texts to fixed-length tensors. */
export function encodeTexts(tokenizer: WordPieceTokenizer, texts: readonly string[], maxLength: number): { inputIds: tf.Tensor2D; attentionMask: tf.Tensor2D } {
  const enc = tokenizer.encodeBatch(texts, { maxLength, truncation: true, padding: 'max_length' });
  return { inputIds: tf.tensor2d(enc.inputIds, [texts.length, maxLength], 'int32'), attentionMask: tf.tensor2d(enc.attentionMask, [texts.length, maxLength], 'int32') };
}

/** One epoch of shuffled batches of the train split. */
export function* textBatches(tokenizer: WordPieceTokenizer, set: TextClassificationData, batchSize: number, maxLength: number, order: number[]): Generator<TextBatch> {
  for (let s = 0; s < order.length; s += batchSize) {
    const idx = order.slice(s, s + batchSize);
    const enc = encodeTexts(tokenizer, idx.map((i) => set.texts[i]!), maxLength);
    yield { ...enc, labels: tf.tensor1d(idx.map((i) => set.labels[i]!), 'int32') };
  }
}

/** Class logits of a batch from a model that maps BERT inputs to `{ logits }` (or to logits). */
export type LogitsFn = (inputs: { inputIds: tf.Tensor2D; attentionMask: tf.Tensor2D }) => tf.Tensor2D;

/** Class probabilities for texts, in eval mode (read back asynchronously: every backend). */
export async function predictProba(logitsOf: LogitsFn, model: Module, tokenizer: WordPieceTokenizer, texts: readonly string[], maxLength: number, batchSize = 32): Promise<number[][]> {
  const was = model.training;
  model.eval();
  const out: number[][] = [];
  try {
    for (let s = 0; s < texts.length; s += batchSize) {
      const enc = encodeTexts(tokenizer, texts.slice(s, s + batchSize), maxLength);
      const probs = tf.tidy(() => tf.softmax(logitsOf(enc)));
      tf.dispose([enc.inputIds, enc.attentionMask]);
      out.push(...((await readArray(probs, { dispose: true })) as number[][]));
    }
  } finally {
    model.train(was);
  }
  return out;
}

/** Accuracy, F1 of the positive class (two labels) and the confusion matrix on a part (default: the reported one). */
export async function evaluateText(logitsOf: LogitsFn, model: Module, tokenizer: WordPieceTokenizer, sets: TextSets, maxLength: number, part: 'dev' | 'test' = 'test'): Promise<EvalResult> {
  const proba = await predictProba(logitsOf, model, tokenizer, sets[part].texts, maxLength);
  const pred = proba.map((p) => p.indexOf(Math.max(...p)));
  const truth = [...sets[part].labels];
  const cm = new ConfusionMatrix(sets.labelNames.length);
  cm.add(pred, truth);
  const metrics: Record<string, number> = { accuracy: accuracy(truth, pred) };
  if (sets.labelNames.length === 2) metrics.f1 = f1Binary(truth, pred).f1;
  return { metrics, classNames: sets.labelNames, confusion: cm.matrix.map((r) => [...r]) };
}

/** `lel predict` for text classifiers: each input is a text (or a file whose content is the text). */
export async function predictTexts(logitsOf: LogitsFn, model: Module, tokenizer: WordPieceTokenizer, labelNames: string[], request: PredictRequest, maxLength: number): Promise<Prediction[]> {
  const texts = request.inputs.map((i) => (fs.existsSync(i) && fs.statSync(i).isFile() ? fs.readFileSync(i, 'utf8') : i));
  const proba = await predictProba(logitsOf, model, tokenizer, texts, maxLength);
  return request.inputs.map((input, k) => {
    const p = proba[k]!;
    const probabilities = Object.fromEntries(labelNames.map((n, i) => [n, p[i]!]));
    return { input, probabilities, label: labelNames[p.indexOf(Math.max(...p))]! };
  });
}
