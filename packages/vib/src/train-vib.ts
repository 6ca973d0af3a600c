import * as tf from '@tensorflow/tfjs-core';
import { AdamW, crossEntropy, fit, linearWithWarmup, Rng, setGlobalSeed, validateConfig } from '@lel/core';
import type { FitResult, NamedParameter, ProgressMode } from '@lel/core';
import { BertForSequenceClassification } from '@lel/models';
import type { BertConfig, BertInputs, WordPieceTokenizer } from '@lel/models';
import { VibClassifier, vibBert } from './classifier';
import { VibConfigSchema } from './config';
import type { VibConfig } from './config';
import { vibLoss } from './vib-loss';

/** Labelled texts (labels: class indices). */
export interface TextTask {
  texts: readonly string[];
  labels: ArrayLike<number>;
}

/** 'vib': VIBERT; 'deterministic': its β = 0 ablation (MLP and μ, no sampling, no KL); 'plain': BERT + dropout + linear. */
export type TextMethod = 'vib' | 'deterministic' | 'plain';

/** A fine-tuned text classifier of {@link fineTuneText}. */
export type TextClassifier = VibClassifier<BertInputs> | BertForSequenceClassification;

/** Options of {@link fineTuneText}. */
export interface FineTuneTextOptions {
  method: TextMethod;
  tokenizer: WordPieceTokenizer;
  /** BERT size (vocabSize comes from the tokenizer). */
  bert: Partial<BertConfig>;
  /** Pretrained encoder weights by BertModel name (`embeddings.*`, `encoder.*`, `pooler.*`); extra names (an MLM head) are ignored. */
  encoderWeights?: Map<string, tf.Tensor>;
  /** Number of classes (default 2). */
  numLabels?: number;
  /** VIBERT options (see {@link VibConfigSchema}); `method` overrides `deterministic`. */
  config?: Partial<VibConfig>;
  /** Evaluated after every epoch (accuracy and CE, eval mode), logged as `val_acc` and `val_loss`. */
  validation?: TextTask;
  progress?: ProgressMode;
  runDir?: string;
}

type Encoded = { ids: number[][]; masks: number[][] };

function encodeAll(tokenizer: WordPieceTokenizer, texts: readonly string[], maxLength: number): Encoded {
  const enc = texts.map((t) => tokenizer.encode(t, { maxLength, truncation: 'longest_first' }));
  return { ids: enc.map((e) => e.inputIds), masks: enc.map((e) => e.attentionMask) };
}

/** Pad rows idx of `enc` to their longest length; int32 [B, T] tensors. */
function toInputs(enc: Encoded, idx: readonly number[], padId: number): BertInputs {
  const t = Math.max(1, ...idx.map((i) => enc.ids[i]!.length));
  const ids = new Int32Array(idx.length * t).fill(padId);
  const mask = new Int32Array(idx.length * t);
  idx.forEach((i, r) => {
    ids.set(enc.ids[i]!, r * t);
    mask.set(enc.masks[i]!, r * t);
  });
  return { inputIds: tf.tensor2d(ids, [idx.length, t], 'int32'), attentionMask: tf.tensor2d(mask, [idx.length, t], 'int32') };
}

function logitsOf(model: TextClassifier, inputs: BertInputs): tf.Tensor2D {
  const out = model.forward(inputs) as unknown as Record<string, unknown>;
  const logits = out.logits as tf.Tensor2D;
  tf.dispose(Object.values(out).filter((v): v is tf.Tensor => v instanceof tf.Tensor && v !== logits));
  return logits;
}

/**
 * Accuracy and mean cross-entropy of a text classifier in eval mode (VIB: classifier on μ, no sampling); the
 * model's previous mode is restored.
 */
export function evaluateText(model: TextClassifier, tokenizer: WordPieceTokenizer, data: TextTask, options: { maxLength?: number; batchSize?: number } = {}): { accuracy: number; loss: number } {
  const n = data.texts.length;
  if (n === 0) throw new Error('evaluateText: data has no texts');
  if (data.labels.length !== n) throw new Error(`evaluateText: data has ${data.labels.length} labels for ${n} texts`);
  return evaluateEncoded(model, encodeAll(tokenizer, data.texts, options.maxLength ?? 128), data.labels, tokenizer.padId, options.batchSize ?? 64);
}

function evaluateEncoded(model: TextClassifier, enc: Encoded, labels: ArrayLike<number>, padId: number, bs: number): { accuracy: number; loss: number } {
  const n = labels.length;
  const wasTraining = model.training;
  model.eval();
  let correct = 0;
  let lossSum = 0;
  try {
    for (let s = 0; s < n; s += bs) {
      const idx = Array.from({ length: Math.min(bs, n - s) }, (_, k) => s + k);
      const [c, l] = tf.tidy(() => {
        const inputs = toInputs(enc, idx, padId);
        const y = tf.tensor1d(idx.map((i) => labels[i]!), 'int32');
        const logits = logitsOf(model, inputs);
        const hits = tf.sum(tf.cast(tf.equal(tf.argMax(logits, -1), y), 'float32'));
        const ce = crossEntropy(logits, y, { reduction: 'sum' });
        return [hits.dataSync()[0]!, ce.dataSync()[0]!];
      });
      correct += c;
      lossSum += l;
    }
  } finally {
    model.train(wasTraining);
  }
  return { accuracy: correct / n, loss: lossSum / n };
}

/**
 * Fine-tune BERT on a text classification task with VIBERT (Mahabadi et al., ICLR 2021), its deterministic
 * ablation, or plain fine-tuning — the official recipe on `fit`: AdamW (eps 1e-8, no weight decay by default),
 * linear schedule, gradient clipping 1.0, S = 5 samples, β annealed linearly per (1-based) epoch. Like the
 * official `set_seed`, it seeds the process-wide generator (BERT's dropout masks) with `config.seed`, so a run is
 * reproducible whatever ran before it.
 */
export async function fineTuneText(
  train: TextTask,
  options: FineTuneTextOptions,
): Promise<{ model: TextClassifier; result: FitResult; config: VibConfig }> {
  const config = validateConfig(VibConfigSchema, { ...options.config, deterministic: options.method === 'deterministic' });
  const n = train.texts.length;
  if (n === 0) throw new Error('fineTuneText: train has no texts');
  if (train.labels.length !== n) throw new Error(`fineTuneText: train has ${train.labels.length} labels for ${n} texts`);
  if (!['vib', 'deterministic', 'plain'].includes(options.method)) throw new Error(`fineTuneText: method must be 'vib', 'deterministic' or 'plain', got ${JSON.stringify(options.method)}`);
  const numLabels = options.numLabels ?? 2;
  const tok = options.tokenizer;
  setGlobalSeed(`vib-train/${config.seed}`);
  const initRng = new Rng(`vib-init/${config.seed}`);
  const bertCfg = { ...options.bert, vocabSize: tok.vocabSize };
  const model: TextClassifier =
    options.method === 'plain'
      ? new BertForSequenceClassification(bertCfg, { numLabels, rng: initRng })
      : vibBert(bertCfg, numLabels, {
          bert: { rng: initRng },
          head: { ibDim: config.ibDim, activation: config.activation, dropout: config.dropout, sampleSize: config.sampleSize, deterministic: config.deterministic, initStd: config.headInitStd, rng: initRng },
        });
  if (options.encoderWeights) {
    const prefix = model instanceof VibClassifier ? 'encoder.' : '';
    const mine = new Set(model.stateDict().keys());
    const wanted = new Map([...options.encoderWeights].map(([k, v]) => [prefix + k, v] as const).filter(([k]) => mine.has(k)));
    if (wanted.size === 0) throw new Error('fineTuneText: encoderWeights has no tensor named like a BertModel parameter');
    model.loadStateDict(wanted, { strict: false });
  }
  model.train();
  const enc = encodeAll(tok, train.texts, config.maxLength);
  const bs = Math.min(config.batchSize, n);
  const stepsPerEpoch = Math.ceil(n / bs);
  const optimizer = new AdamW(model.trainableParameters() as NamedParameter[], { lr: config.lr, eps: 1e-8, weightDecay: config.weightDecay });
  const schedule = linearWithWarmup({ baseLr: config.lr, warmupSteps: config.warmupSteps, totalSteps: stepsPerEpoch * config.epochs });
  const val = options.validation;
  if (val && val.labels.length !== val.texts.length) throw new Error(`fineTuneText: validation has ${val.labels.length} labels for ${val.texts.length} texts`);
  const valEnc = val ? encodeAll(tok, val.texts, config.maxLength) : undefined;
  try {
    const result = await fit({
      model,
      optimizer,
      schedule,
      epochs: config.epochs,
      seed: config.seed,
      config,
      gradClipNorm: config.gradClipNorm,
      progress: options.progress ?? 'none',
      ...(options.runDir ? { runDir: options.runDir } : {}),
      data: {
        labeled: function* (_epoch, rng) {
          const order = rng.permutation(n);
          for (let s = 0; s < n; s += bs) {
            const idx = order.slice(s, s + bs);
            yield { inputs: toInputs(enc, idx, tok.padId), y: tf.tensor1d(idx.map((i) => train.labels[i]!), config.task === 'regression' ? 'float32' : 'int32') };
          }
        },
      },
      step: (batch, ctx) => {
        if (model instanceof VibClassifier) {
          const out = model.forward(batch.inputs, { rng: ctx.rng });
          return vibLoss(out, batch.y, { beta: config.deterministic ? 0 : config.beta, epoch: ctx.epoch + 1, klAnnealing: config.klAnnealing, task: config.task });
        }
        return { total: crossEntropy(logitsOf(model, batch.inputs), batch.y) as tf.Scalar };
      },
      ...(val
        ? {
            evaluate: () => {
              const r = evaluateEncoded(model, valEnc!, val.labels, tok.padId, 64);
              return { val_acc: r.accuracy, val_loss: r.loss };
            },
          }
        : {}),
    });
    return { model, result, config };
  } finally {
    optimizer.dispose();
  }
}
