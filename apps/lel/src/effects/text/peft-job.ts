import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { setGlobalSeed } from '@lel/core';
import { CachedLogits } from '@lel/distill';
import type { TextClassificationData } from '@lel/datasets';
import { type BertForSequenceClassification } from '@lel/models';
import { loadPretrainedBert } from '@lel/models/node';
import { fineTuneSequenceClassification } from '@lel/peft';
import type { PeftArm } from './peft-arms';
import { epochsFor } from './peft-arms';
import { fewLabels, type SentimentTask } from './sentiment-task';
import { scoreText, type TextScore } from './text-eval';

/** Settings shared by every fine-tuning job of the text effects (spread into `fineTuneSequenceClassification`'s options). */
export const TEXT_JOB = { batchSize: 16, maxLength: 48, schedule: 'linear' as const, weightDecay: 0, gradClipNorm: 1 };

/** What one PEFT job measured. */
export interface PeftJobResult {
  dev?: TextScore;
  /** The model's score on the whole training pool (when its logits were cached for KD). */
  pool?: TextScore;
  test?: TextScore;
  train: TextScore;
  trainable: number;
  all: number;
  adapterBytes: number;
  steps: number;
  seconds: number;
}

/**
 * Fine-tune the encoder at `encoderDir` with one PEFT arm (or fully) on N labels per class with `seed` (the same
 * labelled subset, classifier initialisation, data order and dropout for every arm of a seed), through
 * `@lel/peft`'s recipe, and score it on the dev set (and the test set unless `devOnly`).
 */
export async function runPeftJob(o: {
  encoderDir: string;
  task: SentimentTask;
  arm: PeftArm;
  perClass: number | 'all';
  seed: number;
  lr: number;
  /** Score the dev split only (the learning-rate sweep); otherwise the test split and the training labels. */
  devOnly: boolean;
  /** Override the epochs of `epochsFor(perClass)` (smoke tests). */
  epochs?: number;
  /** Write the fine-tuned model's logits on the whole training pool here (a KD teacher cache, `@lel/distill`'s CachedLogits). */
  poolLogits?: { path: string; fingerprint: string };
}): Promise<PeftJobResult> {
  const t0 = performance.now();
  const { labeled } = fewLabels(o.task, o.perClass, o.seed);
  // The classifier's fresh weights come from the global generator: same seed, same head for every arm.
  setGlobalSeed(o.seed);
  const { model, tokenizer } = await loadPretrainedBert(o.encoderDir, { numLabels: 2 });
  const bert = model as BertForSequenceClassification;
  const epochs = o.epochs ?? epochsFor(o.perClass);
  try {
    const r = await fineTuneSequenceClassification({
      model: bert,
      tokenizer: tokenizer!,
      train: labeled,
      peft: o.arm.peft,
      lr: o.lr,
      epochs,
      ...TEXT_JOB,
      seed: o.seed,
    });
    bert.eval();
    const score = (d: TextClassificationData) => scoreText((x) => bert.forward(x).logits, tokenizer!, d, { maxLength: TEXT_JOB.maxLength });
    let adapterBytes = 4 * r.trainable;
    if (r.peft) {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lel-adapter-'));
      try {
        const files = await r.peft.saveAdapter(dir);
        adapterBytes = files.filter((f) => f.endsWith('.safetensors')).reduce((s, f) => s + fs.statSync(f).size, 0);
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    }
    const out: PeftJobResult = {
      ...(o.devOnly ? { dev: await score(o.task.dev) } : {}),
      train: await score(labeled),
      trainable: r.trainable,
      all: r.all,
      adapterBytes,
      steps: Math.ceil(labeled.texts.length / TEXT_JOB.batchSize) * epochs,
      seconds: 0,
    };
    if (!o.devOnly) out.test = await score(o.task.test);
    if (o.poolLogits) {
      const pool = await scoreText((x) => bert.forward(x).logits, tokenizer!, o.task.pool, { maxLength: TEXT_JOB.maxLength, logits: true });
      const cache = new CachedLogits(tf.tensor2d(pool.logits!, [o.task.pool.texts.length, 2]), o.poolLogits.fingerprint);
      await cache.save(o.poolLogits.path);
      cache.dispose();
      out.pool = { accuracy: pool.accuracy, loss: pool.loss };
    }
    out.seconds = (performance.now() - t0) / 1000;
    r.peft?.dispose();
    return out;
  } finally {
    bert.dispose();
  }
}
