import * as tf from '@tensorflow/tfjs-core';
import { AdamW, constantLr, crossEntropy, fit, linearWithWarmup, type Callback, type FitResult, type LossParts, type ProgressMode } from '@lel/core';
import type { BertForSequenceClassification, WordPieceTokenizer } from '@lel/models';
import { applyPeft, type PeftModel } from './peft-model';
import type { PeftConfig } from './config';

/** Sentences and their class ids (e.g. @lel/datasets' `TextClassificationData`). */
export interface TextExamples {
  texts: readonly string[];
  labels: ArrayLike<number>;
}

/** Options of {@link fineTuneSequenceClassification}. */
export interface FineTuneOptions {
  /** A (pretrained) BERT classifier; modified in place. */
  model: BertForSequenceClassification;
  tokenizer: WordPieceTokenizer;
  train: TextExamples;
  /** Evaluation sets by name (accuracy of each is returned and logged as `<name>/accuracy`). */
  eval?: Record<string, TextExamples>;
  /** The method; `null` = full fine-tuning (every parameter trains). */
  peft: PeftConfig | null;
  /**
   * Peak learning rate. Default: 1e-3 for BitFit/RelBitFit (official BitFit `--learning_rate`), 5e-4 for
   * LoRA/KronA (LoRA's GLUE range, RoBERTa-base), 2e-5 for full fine-tuning (BERT paper / HF run_glue).
   */
  lr?: number;
  /** Default 16 (official BitFit). */
  epochs?: number;
  /** Default 8 (official BitFit). */
  batchSize?: number;
  /** Tokens per example, special tokens included. Default 64 (official: 128). */
  maxLength?: number;
  /** Global gradient-norm clip (official BitFit 1.0). */
  gradClipNorm?: number;
  /** AdamW weight decay (official BitFit 0). */
  weightDecay?: number;
  /** `constant` (official BitFit) or `linear` decay with 6% warm-up (HF default for full fine-tuning). Default `constant`. */
  schedule?: 'constant' | 'linear';
  /** Seeds the data order and dropout. Default 0. */
  seed?: number;
  /** Adapter initialisation seed (default: `seed`). */
  adapterSeed?: number;
  /** Run folder for metrics.jsonl and checkpoints (none by default). */
  runDir?: string;
  /** Default `none`. */
  progress?: ProgressMode;
  /** Evaluate every epoch (default: only at the end). */
  evalEveryEpoch?: boolean;
  /** Reshuffle the training examples every epoch (default true); false keeps their order (reproducible batches). */
  shuffle?: boolean;
  /** Extra `fit` callbacks (e.g. `@lel/swa`'s `SwaCallback`, a per-step loss recorder). */
  callbacks?: Callback[];
}

/** What {@link fineTuneSequenceClassification} returns. */
export interface FineTuneResult {
  /** The PEFT wrapper (null for full fine-tuning). */
  peft: PeftModel<BertForSequenceClassification> | null;
  fit: FitResult;
  /** Final accuracy of every evaluation set. */
  accuracy: Record<string, number>;
  trainable: number;
  all: number;
  /** Mean wall time of a training step, ms. */
  stepMs: number;
}

interface Batch {
  inputIds: tf.Tensor;
  attentionMask: tf.Tensor;
  tokenTypeIds: tf.Tensor;
  labels: tf.Tensor;
}

function encode(tokenizer: WordPieceTokenizer, texts: readonly string[], labels: readonly number[], maxLength: number): Batch {
  const enc = tokenizer.encodeBatch(texts, { maxLength, truncation: 'longest_first', padding: 'longest' });
  const t = enc.inputIds[0]!.length;
  return {
    inputIds: tf.tensor2d(enc.inputIds, [texts.length, t], 'int32'),
    attentionMask: tf.tensor2d(enc.attentionMask, [texts.length, t], 'int32'),
    tokenTypeIds: tf.tensor2d(enc.tokenTypeIds, [texts.length, t], 'int32'),
    labels: tf.tensor1d(labels as number[], 'int32'),
  };
}

/** Accuracy of `model` (eval mode) on `data`, in batches. */
export function evaluateAccuracy(model: BertForSequenceClassification, tokenizer: WordPieceTokenizer, data: TextExamples, options: { batchSize?: number; maxLength?: number } = {}): number {
  const bs = options.batchSize ?? 64;
  const wasTraining = model.training;
  model.eval();
  let correct = 0;
  for (let i = 0; i < data.texts.length; i += bs) {
    const texts = data.texts.slice(i, i + bs);
    const labels = Array.from({ length: texts.length }, (_, j) => data.labels[i + j]!);
    const b = encode(tokenizer, texts, labels, options.maxLength ?? 64);
    const pred = tf.tidy(() => tf.argMax(model.forward(b).logits, -1));
    const p = pred.dataSync();
    labels.forEach((l, j) => (correct += p[j] === l ? 1 : 0));
    tf.dispose([pred, b.inputIds, b.attentionMask, b.tokenTypeIds, b.labels]);
  }
  model.train(wasTraining);
  return data.texts.length === 0 ? 0 : correct / data.texts.length;
}

function defaultLr(peft: PeftConfig | null): number {
  if (peft === null) return 2e-5;
  return peft.method === 'bitfit' || peft.method === 'relbitfit' ? 1e-3 : 5e-4;
}

/**
 * Fine-tune a BERT sequence classifier with a PEFT method (or fully) on core's `fit`: cross-entropy on
 * the [CLS] head, AdamW (official BitFit: lr 1e-3, no weight decay, clip 1.0, batch 8, constant lr),
 * data reshuffled every epoch from `seed`, accuracy on every evaluation set at the end.
 */
export async function fineTuneSequenceClassification(o: FineTuneOptions): Promise<FineTuneResult> {
  if (o.train.texts.length !== o.train.labels.length) throw new Error(`fineTune: train has ${o.train.texts.length} texts but ${o.train.labels.length} labels`);
  if (o.train.texts.length === 0) throw new Error('fineTune: train is empty');
  const seed = o.seed ?? 0;
  const batchSize = o.batchSize ?? 8;
  const maxLength = o.maxLength ?? 64;
  const epochs = o.epochs ?? 16;
  const lr = o.lr ?? defaultLr(o.peft);
  const model = o.model;
  const peft = o.peft ? applyPeft(model, { seed: o.adapterSeed ?? seed, ...o.peft }) : null;
  model.train();
  const params = model.trainableParameters();
  const optimizer = new AdamW(params, { lr, weightDecay: o.weightDecay ?? 0 });
  const stepsPerEpoch = Math.ceil(o.train.texts.length / batchSize);
  const total = stepsPerEpoch * epochs;
  const schedule = o.schedule === 'linear' ? linearWithWarmup({ baseLr: lr, warmupSteps: Math.round(0.06 * total), totalSteps: total }) : constantLr({ baseLr: lr });
  const n = o.train.texts.length;
  const stepTimes: number[] = [];
  let t0 = 0;
  const evaluate = () => {
    const out: Record<string, number> = {};
    for (const [name, d] of Object.entries(o.eval ?? {})) out[`${name}/accuracy`] = evaluateAccuracy(model, o.tokenizer, d, { maxLength });
    return out;
  };
  try {
    const result = await fit<Batch>({
      model,
      optimizer,
      schedule,
      epochs,
      seed,
      gradClipNorm: o.gradClipNorm ?? 1.0,
      runDir: o.runDir,
      progress: o.progress ?? 'none',
      stepsPerEpoch,
      batchSize: (b) => b.labels.shape[0]!,
      data: {
        labeled: function* (_epoch, rng) {
          const order = o.shuffle === false ? Array.from({ length: n }, (_, i) => i) : rng.permutation(n);
          for (let i = 0; i < n; i += batchSize) {
            const idx = Array.from(order.slice(i, i + batchSize));
            yield encode(o.tokenizer, idx.map((j) => o.train.texts[j]!), idx.map((j) => o.train.labels[j]!), maxLength);
          }
        },
      },
      step: (b): LossParts => {
        const out = model.forward(b);
        // One tensor per part: core's computeGradients disposes parts separately from `total`.
        return { total: crossEntropy(out.logits, b.labels) as tf.Scalar };
      },
      callbacks: [
        ...(o.callbacks ?? []),
        {
          onStepStart: () => {
            t0 = performance.now();
          },
          onStepEnd: () => {
            stepTimes.push(performance.now() - t0);
          },
        },
      ],
      evaluate: o.evalEveryEpoch && o.eval ? evaluate : undefined,
    });
    const metrics = evaluate();
    const accuracy = Object.fromEntries(Object.entries(metrics).map(([k, v]) => [k.replace(/\/accuracy$/, ''), v]));
    const c = model.countParameters();
    // Skip the first (warm-up, kernel compilation) steps when there are enough.
    const timed = stepTimes.length > 10 ? stepTimes.slice(5) : stepTimes;
    const stepMs = timed.reduce((s, v) => s + v, 0) / Math.max(1, timed.length);
    model.eval();
    return { peft, fit: result, accuracy, trainable: c.trainable, all: c.all, stepMs };
  } finally {
    optimizer.dispose();
  }
}
