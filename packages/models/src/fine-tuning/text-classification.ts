import * as tf from '@tensorflow/tfjs-core';
import { AdamW, constantLr, crossEntropy, defineMethod, linearWithWarmup, type LossParts, type MethodParts, type Module, type NamedParameter, type Rng, type TrainContext } from '@lel/core';
import { z } from 'zod';
import type { WordPieceTokenizer } from '../tokenizer/wordpiece';

/**
 * Fine-tuning of a text classifier (full, or of whatever a method leaves trainable: adapters, a head), with the
 * Hugging Face Trainer / `run_glue.py` defaults where one exists (cited per key). `@lel/peft`'s and `@lel/vib`'s
 * methods extend it with their own keys and defaults.
 */
export const TextFineTuneConfigSchema = z
  .object({
    /** AdamW learning rate (BERT paper / `run_glue.py`: 2e-5). */
    lr: z.number().positive().default(2e-5),
    /** Training epochs (HF `num_train_epochs` 3). */
    epochs: z.number().int().min(1).default(3),
    /** Examples per batch (HF `per_device_train_batch_size` 8). */
    batchSize: z.number().int().min(1).default(8),
    /** Tokens per example, special tokens included (`run_glue.py` `max_seq_length` 128). */
    maxLength: z.number().int().min(2).default(128),
    /** Pad each batch to its longest example, or every example to `maxLength` (ours: `longest`, the cheaper). */
    padding: z.enum(['longest', 'max_length']).default('longest'),
    /** AdamW (decoupled) weight decay (HF `weight_decay` 0). */
    weightDecay: z.number().min(0).default(0),
    /** No weight decay on biases and LayerNorm weights (HF Trainer's parameter groups). */
    noDecayOnBiasAndNorm: z.boolean().default(true),
    /** Learning-rate schedule: linear decay after a warm-up (HF `lr_scheduler_type` linear) or constant. */
    schedule: z.enum(['linear', 'constant']).default('linear'),
    /** Warm-up as a fraction of the total steps (HF `warmup_ratio` 0); `warmupSteps` wins when set. */
    warmupFraction: z.number().min(0).max(1).default(0),
    /** Warm-up steps (HF `warmup_steps`). */
    warmupSteps: z.number().int().min(0).optional(),
    /** Clip the global gradient norm (HF `max_grad_norm` 1.0); null: no clipping. */
    gradClipNorm: z.number().positive().nullable().default(1),
    /** Reshuffle the examples every epoch (HF); false keeps their order. */
    shuffle: z.boolean().default(true),
    /** Seed of the data order and `ctx.rng` (ours). */
    seed: z.number().int().default(0),
  })
  .strict();
export type TextFineTuneConfig = z.output<typeof TextFineTuneConfigSchema>;
export type TextFineTuneConfigInput = z.input<typeof TextFineTuneConfigSchema>;

/** Texts and their labels (class ids; values for regression). */
export interface TextExamples {
  texts: readonly string[];
  labels: ArrayLike<number>;
}

/** A tokenised batch (`fit` disposes its tensors after the step). */
export interface TextClassificationBatch {
  inputIds: tf.Tensor2D;
  attentionMask: tf.Tensor2D;
  tokenTypeIds: tf.Tensor2D;
  labels: tf.Tensor1D;
}

/** BERT-style inputs of a classifier. */
export type TextInputs = Pick<TextClassificationBatch, 'inputIds' | 'attentionMask' | 'tokenTypeIds'>;

/** Tokenise texts (with their labels) into a batch, truncated to `maxLength` and padded as asked. */
export function encodeTextBatch(
  tokenizer: WordPieceTokenizer,
  texts: readonly string[],
  labels: readonly number[],
  options: { maxLength: number; padding: 'longest' | 'max_length'; regression?: boolean },
): TextClassificationBatch {
  const enc = tokenizer.encodeBatch(texts, { maxLength: options.maxLength, truncation: 'longest_first', padding: options.padding });
  const shape: [number, number] = [texts.length, enc.inputIds[0]?.length ?? 0];
  return {
    inputIds: tf.tensor2d(enc.inputIds, shape, 'int32'),
    attentionMask: tf.tensor2d(enc.attentionMask, shape, 'int32'),
    tokenTypeIds: tf.tensor2d(enc.tokenTypeIds, shape, 'int32'),
    labels: tf.tensor1d(labels as number[], options.regression ? 'float32' : 'int32'),
  };
}

/** Class logits [B, C] of a model on text inputs. */
export type TextLogitsFn<M> = (model: M, inputs: TextInputs) => tf.Tensor2D;

/** Logits of a model whose `forward(inputs)` returns `{ logits, … }` (a `BertForSequenceClassification`); the rest is freed. */
export function logitsOutput(model: Module, inputs: TextInputs): tf.Tensor2D {
  const out = (model as unknown as { forward(i: TextInputs): Record<string, unknown> }).forward(inputs);
  const logits = out.logits as tf.Tensor2D;
  for (const v of Object.values(out)) {
    if (v instanceof tf.Tensor && v !== logits) v.dispose();
    else if (Array.isArray(v)) for (const t of v) if (t instanceof tf.Tensor) t.dispose();
  }
  return logits;
}

/** The data of a text-classifier fine-tuning run. */
export interface TextClassifierData<M extends Module = Module> {
  /** The classifier (a pretrained BERT with a head, a VIB head on it, adapters…): its trainable parameters train. */
  model: M;
  tokenizer: WordPieceTokenizer;
  train: TextExamples;
  /** Evaluation sets by name: accuracy of each, logged as `<name>/accuracy` at every evaluation. */
  eval?: Record<string, TextExamples>;
  /** Labels are values, not classes (float32 labels). */
  regression?: boolean;
  /** Logits of the model. Default: `forward(inputs).logits`. */
  logits?: TextLogitsFn<M>;
  /** The training loss by named part. Default: cross-entropy of the logits. */
  loss?: (model: M, batch: TextClassificationBatch, ctx: TrainContext<undefined>) => LossParts;
}

/** Accuracy of `logits` (eval mode, batches of 64) on labelled texts; the model's mode is restored. */
export async function textAccuracy<M extends Module>(
  model: M,
  tokenizer: WordPieceTokenizer,
  data: TextExamples,
  options: { maxLength: number; padding?: 'longest' | 'max_length'; logits?: TextLogitsFn<M>; batchSize?: number },
): Promise<number> {
  const bs = options.batchSize ?? 64;
  const logitsOf = options.logits ?? (logitsOutput as TextLogitsFn<M>);
  const was = model.training;
  model.eval();
  let correct = 0;
  try {
    for (let i = 0; i < data.texts.length; i += bs) {
      const texts = data.texts.slice(i, i + bs);
      const labels = Array.from({ length: texts.length }, (_, j) => data.labels[i + j]!);
      const b = encodeTextBatch(tokenizer, texts, labels, { maxLength: options.maxLength, padding: options.padding ?? 'longest' });
      const pred = tf.tidy(() => tf.argMax(logitsOf(model, b), -1));
      const p = await pred.data();
      labels.forEach((l, j) => (correct += p[j] === l ? 1 : 0));
      tf.dispose([pred, b.inputIds, b.attentionMask, b.tokenTypeIds, b.labels]);
    }
  } finally {
    model.train(was);
  }
  return data.texts.length === 0 ? 0 : correct / data.texts.length;
}

/** AdamW over the trainable parameters, biases and LayerNorm weights without decay when asked (HF's groups). */
function adamW(params: NamedParameter[], config: Pick<TextFineTuneConfig, 'lr' | 'weightDecay' | 'noDecayOnBiasAndNorm'>): AdamW {
  if (!config.noDecayOnBiasAndNorm) return new AdamW(params, { lr: config.lr, weightDecay: config.weightDecay });
  const noDecay = (n: string) => n.endsWith('.bias') || n.includes('LayerNorm');
  return new AdamW(
    [{ params: params.filter(([n]) => !noDecay(n)) }, { params: params.filter(([n]) => noDecay(n)), weightDecay: 0 }],
    { lr: config.lr, weightDecay: config.weightDecay },
  );
}

/**
 * The parts of a text-classifier fine-tuning run on `@lel/core`'s method contract: AdamW over the model's trainable
 * parameters (decay groups as asked), the linear or constant schedule with its warm-up, batches reshuffled every
 * epoch from the run's generator (the last one partial), the loss (cross-entropy by default) and gradient clipping.
 * With `data.eval`, the method evaluates the accuracy of every set (`<name>/accuracy`). Methods that change the
 * model first (adapters, a VIB head) build on this.
 */
export function textClassifierParts<M extends Module>(config: TextFineTuneConfig, data: TextClassifierData<M>): MethodParts<TextClassificationBatch, undefined, M> {
  const { model, tokenizer, train } = data;
  const n = train.texts.length;
  if (n === 0) throw new Error('text fine-tuning: train has no texts');
  if (train.labels.length !== n) throw new Error(`text fine-tuning: train has ${n} texts but ${train.labels.length} labels`);
  for (const [name, d] of Object.entries(data.eval ?? {})) {
    if (d.labels.length !== d.texts.length) throw new Error(`text fine-tuning: eval set "${name}" has ${d.texts.length} texts but ${d.labels.length} labels`);
  }
  model.train();
  const bs = config.batchSize;
  const stepsPerEpoch = Math.ceil(n / bs);
  const total = stepsPerEpoch * config.epochs;
  const warmupSteps = config.warmupSteps ?? Math.round(config.warmupFraction * total);
  const logitsOf = data.logits ?? (logitsOutput as TextLogitsFn<M>);
  const encode = { maxLength: config.maxLength, padding: config.padding, regression: data.regression ?? false };
  const evalSets = data.eval;
  return {
    model,
    optimizers: adamW(model.trainableParameters(), config),
    schedule: config.schedule === 'linear' ? linearWithWarmup({ baseLr: config.lr, warmupSteps, totalSteps: total }) : constantLr({ baseLr: config.lr }),
    data: {
      labeled: function* (_epoch: number, rng: Rng) {
        const order = config.shuffle ? rng.permutation(n) : Array.from({ length: n }, (_, i) => i);
        for (let s = 0; s < n; s += bs) {
          const idx = order.slice(s, s + bs);
          yield encodeTextBatch(tokenizer, idx.map((i) => train.texts[i]!), idx.map((i) => train.labels[i]!), encode);
        }
      },
    },
    loss: (b: TextClassificationBatch, ctx: TrainContext<undefined>) =>
      data.loss ? data.loss(model, b, ctx) : { total: crossEntropy(logitsOf(model, b), b.labels) as tf.Scalar },
    epochs: config.epochs,
    stepsPerEpoch,
    seed: config.seed,
    ...(config.gradClipNorm !== null ? { gradClipNorm: config.gradClipNorm } : {}),
    batchSize: (b: TextClassificationBatch) => b.labels.shape[0],
    ...(evalSets && Object.keys(evalSets).length > 0
      ? {
          evaluate: async () => {
            const out: Record<string, number> = {};
            for (const [name, d] of Object.entries(evalSets)) out[`${name}/accuracy`] = await textAccuracy(model, tokenizer, d, { ...encode, logits: logitsOf });
            return out;
          },
        }
      : {}),
  };
}

/**
 * Fine-tuning of a text classifier as a method (the full fine-tuning baseline of the PEFT and VIB papers): every
 * trainable parameter of `data.model` trains with {@link textClassifierParts}. `predict(texts)` gives class
 * probabilities (eval mode).
 */
export const fineTuneClassifier = defineMethod({
  name: 'fine-tune',
  description: 'fine-tuning of a text classifier (e.g. a pretrained BERT with a classification head)',
  configSchema: TextFineTuneConfigSchema,
  build(config, data: TextClassifierData) {
    return { ...textClassifierParts(config, data), predict: textPredictor(data.model, data.tokenizer, config, data.logits) };
  },
});

/** Class probabilities of texts (eval mode, batches of 64), as a method's `predict`. */
export function textPredictor<M extends Module>(model: M, tokenizer: WordPieceTokenizer, config: Pick<TextFineTuneConfig, 'maxLength' | 'padding'>, logits?: TextLogitsFn<M>) {
  const logitsOf = logits ?? (logitsOutput as TextLogitsFn<M>);
  return async (texts: readonly string[]): Promise<number[][]> => {
    const was = model.training;
    model.eval();
    const out: number[][] = [];
    try {
      for (let s = 0; s < texts.length; s += 64) {
        const chunk = texts.slice(s, s + 64);
        const b = encodeTextBatch(tokenizer, chunk, chunk.map(() => 0), { maxLength: config.maxLength, padding: config.padding });
        const p = tf.tidy(() => tf.softmax(logitsOf(model, b)));
        out.push(...((await p.array()) as number[][]));
        tf.dispose([p, b.inputIds, b.attentionMask, b.tokenTypeIds, b.labels]);
      }
    } finally {
      model.train(was);
    }
    return out;
  };
}
