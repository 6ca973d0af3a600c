import * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import { crossEntropy, defineMethod, readAll, Rng, runMethod, setGlobalSeed, type LossParts, type TrainContext } from '@lel/core';
import type { FitResult, ProgressMode } from '@lel/core';
import { BertForSequenceClassification, TextFineTuneConfigSchema, textClassifierParts, textPredictor, type TextClassificationBatch, type TextInputs } from '@lel/models';
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
 * model's previous mode is restored. Counts are read back asynchronously (every backend).
 */
export async function evaluateText(model: TextClassifier, tokenizer: WordPieceTokenizer, data: TextTask, options: { maxLength?: number; batchSize?: number } = {}): Promise<{ accuracy: number; loss: number }> {
  const n = data.texts.length;
  if (n === 0) throw new Error('evaluateText: data has no texts');
  if (data.labels.length !== n) throw new Error(`evaluateText: data has ${data.labels.length} labels for ${n} texts`);
  return evaluateEncoded(model, encodeAll(tokenizer, data.texts, options.maxLength ?? 128), data.labels, tokenizer.padId, options.batchSize ?? 64);
}

async function evaluateEncoded(model: TextClassifier, enc: Encoded, labels: ArrayLike<number>, padId: number, bs: number): Promise<{ accuracy: number; loss: number }> {
  const n = labels.length;
  const wasTraining = model.training;
  model.eval();
  let correct = 0;
  let lossSum = 0;
  try {
    for (let s = 0; s < n; s += bs) {
      const idx = Array.from({ length: Math.min(bs, n - s) }, (_, k) => s + k);
      const [hitsT, ceT] = tf.tidy(() => {
        const inputs = toInputs(enc, idx, padId);
        const y = tf.tensor1d(idx.map((i) => labels[i]!), 'int32');
        const logits = logitsOf(model, inputs);
        const hits = tf.sum(tf.cast(tf.equal(tf.argMax(logits, -1), y), 'float32'));
        const ce = crossEntropy(logits, y, { reduction: 'sum' });
        return [hits, ce];
      });
      const [c, l] = await readAll([hitsT!, ceT!], { dispose: true });
      correct += c![0]!;
      lossSum += l![0]!;
    }
  } finally {
    model.train(wasTraining);
  }
  return { accuracy: correct / n, loss: lossSum / n };
}

/**
 * Config of {@link vibert}: VIBERT's options ({@link VibConfigSchema}, official defaults) plus the head (`vib`, or
 * `plain` BERT + dropout + linear) and the text fine-tuning keys of `@lel/models` that the official recipe fixes:
 * padding, decay groups, the warm-up as a fraction, shuffling; `gradClipNorm` may be null (no clipping).
 */
export const VibFineTuneConfigSchema = VibConfigSchema.extend({
  /** `vib`: VIBERT (or its β = 0 ablation with `deterministic`); `plain`: BERT + dropout + linear, plain CE. */
  head: z.enum(['vib', 'plain']).default('vib'),
  /** Gradient clipping norm (run_glue.py default 1.0); null: none. */
  gradClipNorm: z.number().positive().nullable().default(1.0),
  /** Linear-schedule warm-up steps (run_glue.py default 0); unset: `warmupFraction` of the total steps. */
  warmupSteps: z.number().int().nonnegative().optional(),
  warmupFraction: TextFineTuneConfigSchema.shape.warmupFraction,
  padding: TextFineTuneConfigSchema.shape.padding,
  /** AdamW decay on every parameter (ours, as the official `weight_decay` default 0 makes it moot); true: HF's groups. */
  noDecayOnBiasAndNorm: z.boolean().default(false),
  shuffle: TextFineTuneConfigSchema.shape.shuffle,
}).strict();
export type VibFineTuneConfig = z.output<typeof VibFineTuneConfigSchema>;
export type VibFineTuneConfigInput = z.input<typeof VibFineTuneConfigSchema>;

/** The data of {@link vibert}: texts, the tokenizer, and a classifier — given, or built here from a BERT config. */
export interface VibTextData {
  train: TextTask;
  /** Scored at every evaluation (accuracy and CE, eval mode), logged as `val_acc` and `val_loss`. */
  validation?: TextTask;
  tokenizer: WordPieceTokenizer;
  /**
   * The classifier to fine-tune (e.g. `vibBert` on a pretrained encoder). Its head must match the config; the
   * caller's generator state is kept. Give this or `bert`.
   */
  model?: TextClassifier;
  /** BERT size (vocabSize from the tokenizer): the method builds the classifier, seeding the process-wide generator as the official `set_seed`. */
  bert?: Partial<BertConfig>;
  /** Pretrained encoder weights by BertModel name (`embeddings.*`, `encoder.*`, `pooler.*`); extra names are ignored. */
  encoderWeights?: Map<string, tf.Tensor>;
  /** Number of classes (default 2). */
  numLabels?: number;
}

/** Logits of a VIB classifier on text inputs (the posterior mean's prediction in eval mode); the rest is freed. */
function vibTextLogits(model: TextClassifier, inputs: TextInputs): tf.Tensor2D {
  return logitsOf(model, inputs as unknown as BertInputs);
}

/** VIBERT's loss of a batch: CE (or MSE) over S samples of z + β_eff·KL, β annealed per 1-based epoch; β = 0 when deterministic. */
export function vibTextLoss(config: Pick<VibConfig, 'beta' | 'deterministic' | 'klAnnealing' | 'task'>) {
  return (model: Pick<VibClassifier<BertInputs>, 'forward'>, batch: TextClassificationBatch, ctx: Pick<TrainContext<unknown>, 'rng' | 'epoch'>): LossParts =>
    vibLoss(model.forward(batch as unknown as BertInputs, { rng: ctx.rng }), batch.labels, {
      beta: config.deterministic ? 0 : config.beta,
      epoch: ctx.epoch + 1,
      klAnnealing: config.klAnnealing,
      task: config.task,
    }) as unknown as LossParts;
}

function buildClassifier(config: VibFineTuneConfig, data: VibTextData): TextClassifier {
  if (!data.bert) throw new Error('vib: give the data a model or a bert config');
  setGlobalSeed(`vib-train/${config.seed}`);
  const initRng = new Rng(`vib-init/${config.seed}`);
  const bertCfg = { ...data.bert, vocabSize: data.tokenizer.vocabSize };
  const numLabels = data.numLabels ?? 2;
  const model: TextClassifier =
    config.head === 'plain'
      ? new BertForSequenceClassification(bertCfg, { numLabels, rng: initRng })
      : vibBert(bertCfg, numLabels, {
          bert: { rng: initRng },
          head: { ibDim: config.ibDim, activation: config.activation, dropout: config.dropout, sampleSize: config.sampleSize, deterministic: config.deterministic, initStd: config.headInitStd, rng: initRng },
        });
  if (data.encoderWeights) {
    const prefix = model instanceof VibClassifier ? 'encoder.' : '';
    const mine = new Set(model.stateDict().keys());
    const wanted = new Map([...data.encoderWeights].map(([k, v]) => [prefix + k, v] as const).filter(([k]) => mine.has(k)));
    if (wanted.size === 0) {
      model.dispose();
      throw new Error('vib: encoderWeights has no tensor named like a BertModel parameter');
    }
    model.loadStateDict(wanted, { strict: false });
  }
  return model;
}

/**
 * VIBERT (Mahabadi et al., ICLR 2021) — or its deterministic ablation, or plain fine-tuning (`head: 'plain'`) — as a
 * method: the official recipe on `@lel/models`' text fine-tuning: AdamW (eps 1e-8, no weight decay by default),
 * linear schedule, gradient clipping 1.0, S = 5 samples, β annealed linearly per (1-based) epoch. Built from `bert`,
 * it seeds the process-wide generator (BERT's dropout masks) with `config.seed` like the official `set_seed`.
 * `predict(texts)` gives class probabilities (the posterior mean's prediction, eval mode).
 */
export const vibert = defineMethod({
  name: 'vib',
  description: 'VIBERT: a variational information bottleneck head for low-resource text classification (CE + β·KL)',
  configSchema: VibFineTuneConfigSchema,
  build(config, data: VibTextData) {
    const n = data.train.texts.length;
    if (n === 0) throw new Error('vib: train has no texts');
    if (data.train.labels.length !== n) throw new Error(`vib: train has ${data.train.labels.length} labels for ${n} texts`);
    const val = data.validation;
    if (val && val.labels.length !== val.texts.length) throw new Error(`vib: validation has ${val.labels.length} labels for ${val.texts.length} texts`);
    if (!data.model === !data.bert) throw new Error('vib: give the data exactly one of model or bert');
    const built = !data.model;
    const model = data.model ?? buildClassifier(config, data);
    const tok = data.tokenizer;
    const parts = textClassifierParts<TextClassifier>(
      { ...config, warmupFraction: config.warmupFraction, schedule: 'linear' },
      {
        model,
        tokenizer: tok,
        train: data.train,
        regression: config.task === 'regression',
        logits: vibTextLogits,
        loss: (m, b, ctx) => (m instanceof VibClassifier ? vibTextLoss(config)(m, b, ctx) : { total: crossEntropy(vibTextLogits(m, b), b.labels) as tf.Scalar }),
      },
    );
    return {
      ...parts,
      ...(val
        ? {
            evaluate: async () => {
              const r = await evaluateText(model, tok, val, { maxLength: config.maxLength });
              return { val_acc: r.accuracy, val_loss: r.loss };
            },
          }
        : {}),
      predict: textPredictor(model, tok, config, vibTextLogits),
      cleanup: ({ failed }: { failed: boolean }) => {
        if (failed && built) model.dispose();
      },
    };
  },
});

/**
 * Fine-tune BERT on a text classification task with VIBERT, its deterministic ablation, or plain fine-tuning:
 * `runMethod(vibert, …)` with the classifier built from `options.bert` (and `encoderWeights`).
 */
export async function fineTuneText(
  train: TextTask,
  options: FineTuneTextOptions,
): Promise<{ model: TextClassifier; result: FitResult; config: VibConfig }> {
  if (!['vib', 'deterministic', 'plain'].includes(options.method)) throw new Error(`fineTuneText: method must be 'vib', 'deterministic' or 'plain', got ${JSON.stringify(options.method)}`);
  const config: VibFineTuneConfigInput = { ...options.config, deterministic: options.method === 'deterministic', head: options.method === 'plain' ? 'plain' : 'vib' };
  const r = await runMethod(
    vibert,
    config,
    {
      train,
      tokenizer: options.tokenizer,
      bert: options.bert,
      ...(options.encoderWeights ? { encoderWeights: options.encoderWeights } : {}),
      ...(options.numLabels !== undefined ? { numLabels: options.numLabels } : {}),
      ...(options.validation ? { validation: options.validation } : {}),
    },
    { progress: options.progress ?? 'none', ...(options.runDir ? { runDir: options.runDir } : {}) },
  );
  const { head: _h, warmupFraction: _w, padding: _p, noDecayOnBiasAndNorm: _n, shuffle: _s, ...vib } = r.config;
  return { model: r.model, result: r.result, config: { ...vib, warmupSteps: vib.warmupSteps ?? 0, gradClipNorm: vib.gradClipNorm ?? 0 } as VibConfig };
}
