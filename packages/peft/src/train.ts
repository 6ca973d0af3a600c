import { z } from 'zod';
import { defineMethod, runMethod, type Callback, type FitResult, type Module, type ProgressMode } from '@lel/core';
import { TextFineTuneConfigSchema, textAccuracy, textClassifierParts, textPredictor, type BertForSequenceClassification, type TextClassifierData, type WordPieceTokenizer } from '@lel/models';
import { applyPeft, type PeftModel } from './peft-model';
import { peftConfigSchema, type PeftConfig } from './config';

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

/** Accuracy of `model` (eval mode) on `data`, in batches (`@lel/models`' `textAccuracy`, longest padding). */
export function evaluateAccuracy(model: BertForSequenceClassification, tokenizer: WordPieceTokenizer, data: TextExamples, options: { batchSize?: number; maxLength?: number } = {}): Promise<number> {
  return textAccuracy(model, tokenizer, data, { maxLength: options.maxLength ?? 64, ...(options.batchSize ? { batchSize: options.batchSize } : {}) });
}

function defaultLr(peft: { method: string } | null): number {
  if (peft === null) return 2e-5;
  return peft.method === 'bitfit' || peft.method === 'relbitfit' ? 1e-3 : 5e-4;
}

/**
 * Config of {@link peftFineTune}: `@lel/models`' text fine-tuning keys with the official BitFit recipe's defaults, plus
 * the PEFT method (`null`: full fine-tuning) and the adapter seed.
 */
export const PeftFineTuneConfigSchema = TextFineTuneConfigSchema.extend({
  /** The PEFT method and its options (`@lel/peft`'s config, discriminated by `method`); null: every parameter trains. */
  peft: peftConfigSchema.nullable().default(null),
  /**
   * Peak learning rate. Default: 1e-3 for BitFit/RelBitFit (official BitFit `--learning_rate`), 5e-4 for LoRA/KronA
   * (LoRA's GLUE range, RoBERTa-base), 2e-5 for full fine-tuning (BERT paper / HF run_glue).
   */
  lr: z.number().positive().optional(),
  /** Official BitFit: 16 epochs. */
  epochs: z.number().int().min(1).default(16),
  /** Tokens per example, special tokens included. Ours: 64 (official: 128). */
  maxLength: z.number().int().min(2).default(64),
  /** Official BitFit: AdamW without weight decay groups (its weight decay is 0). */
  noDecayOnBiasAndNorm: z.boolean().default(false),
  /** Official BitFit: constant; `linear` decays after a 6% warm-up (HF's default for full fine-tuning). */
  schedule: z.enum(['linear', 'constant']).default('constant'),
  warmupFraction: z.number().min(0).max(1).default(0.06),
  /** Adapter initialisation seed (default: `seed`; null: the process-wide generator, as `applyPeft` without a seed). */
  adapterSeed: z.number().int().nullable().optional(),
}).strict();
export type PeftFineTuneConfig = z.output<typeof PeftFineTuneConfigSchema>;
export type PeftFineTuneConfigInput = z.input<typeof PeftFineTuneConfigSchema>;

/** What {@link peftFineTune} reports besides the fit result: the PEFT wrapper (null for full fine-tuning). */
export interface PeftFineTuneInfo {
  peft: PeftModel<Module> | null;
}

/**
 * Parameter-efficient fine-tuning of a text classifier as a method: the PEFT method (BitFit, RelBitFit, KronA, LoRA)
 * is applied to `data.model` (in place; `null`: full fine-tuning), then its trainable parameters train with `@lel/models`'
 * text fine-tuning (AdamW, the official BitFit defaults: lr by method, no weight decay, clip 1.0, batch 8, constant lr,
 * data reshuffled every epoch). The loss is cross-entropy unless `data.loss` says otherwise (e.g. a VIB head's).
 * `info.peft` is the wrapper (adapters, merge, save); `predict(texts)` gives class probabilities.
 */
export const peftFineTune = defineMethod({
  name: 'peft',
  description: 'parameter-efficient fine-tuning (BitFit, RelBitFit, KronA, LoRA) of a text classifier',
  configSchema: PeftFineTuneConfigSchema,
  build(config, data: TextClassifierData) {
    const { peft: method, adapterSeed, lr, ...rest } = config;
    const seed = adapterSeed === null ? {} : { seed: adapterSeed ?? config.seed };
    const peft = method ? applyPeft(data.model, { ...seed, ...method }) : null;
    const parts = textClassifierParts({ ...rest, lr: lr ?? defaultLr(method) }, data);
    const info: PeftFineTuneInfo = { peft };
    return { ...parts, info, predict: textPredictor(data.model, data.tokenizer, config, data.logits) };
  },
});

/**
 * Fine-tune a BERT sequence classifier with a PEFT method (or fully) — `runMethod(peftFineTune, …)` — then report
 * the accuracy of every evaluation set, the parameter counts and the mean step time.
 */
export async function fineTuneSequenceClassification(o: FineTuneOptions): Promise<FineTuneResult> {
  const stepTimes: number[] = [];
  let t0 = 0;
  const timer: Callback = {
    onStepStart: () => {
      t0 = performance.now();
    },
    onStepEnd: () => {
      stepTimes.push(performance.now() - t0);
    },
  };
  const config: PeftFineTuneConfigInput = {
    peft: o.peft,
    ...(o.lr !== undefined ? { lr: o.lr } : {}),
    ...(o.epochs !== undefined ? { epochs: o.epochs } : {}),
    ...(o.batchSize !== undefined ? { batchSize: o.batchSize } : {}),
    ...(o.maxLength !== undefined ? { maxLength: o.maxLength } : {}),
    ...(o.gradClipNorm !== undefined ? { gradClipNorm: o.gradClipNorm } : {}),
    ...(o.weightDecay !== undefined ? { weightDecay: o.weightDecay } : {}),
    ...(o.schedule !== undefined ? { schedule: o.schedule } : {}),
    ...(o.shuffle !== undefined ? { shuffle: o.shuffle } : {}),
    ...(o.seed !== undefined ? { seed: o.seed } : {}),
    ...(o.adapterSeed !== undefined ? { adapterSeed: o.adapterSeed } : {}),
  };
  const r = await runMethod(peftFineTune, config, { model: o.model, tokenizer: o.tokenizer, train: o.train, ...(o.eval ? { eval: o.eval } : {}) }, {
    ...(o.runDir ? { runDir: o.runDir } : {}),
    progress: o.progress ?? 'none',
    callbacks: [...(o.callbacks ?? []), timer],
    ...(o.evalEveryEpoch && o.eval ? {} : { evaluate: false as const }),
  });
  const accuracy: Record<string, number> = {};
  for (const [name, d] of Object.entries(o.eval ?? {})) accuracy[name] = await evaluateAccuracy(o.model, o.tokenizer, d, { maxLength: r.config.maxLength });
  const c = o.model.countParameters();
  // Skip the first (warm-up, kernel compilation) steps when there are enough.
  const timed = stepTimes.length > 10 ? stepTimes.slice(5) : stepTimes;
  const stepMs = timed.reduce((s, v) => s + v, 0) / Math.max(1, timed.length);
  o.model.eval();
  return { peft: r.info.peft as PeftModel<BertForSequenceClassification> | null, fit: r.result, accuracy, trainable: c.trainable, all: c.all, stepMs };
}
