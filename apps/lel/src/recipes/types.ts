import type { AnyMethod, Callback, FitResult, Metrics, Module, ProgressMode } from '@lel/core';
import type { z } from 'zod';
import type { ConfigTree } from '../config/overrides';

/** What a recipe's model does, which decides its metrics, report sections and predict output. */
export type Task = 'segmentation' | 'text-classification' | 'image-classification' | 'few-shot' | 'clustering' | 'multiple-instance';

/** What the app hands a recipe's `run`. */
export interface RecipeContext {
  /** The run folder (exists; config.resolved.yaml already written). */
  runDir: string;
  /** `--resume`: `last`, or a checkpoint / run folder path. */
  resume?: string;
  /** `--allow-config-change`: resume although the config differs from the checkpoint's (core's `allowConfigChange`). */
  allowConfigChange?: boolean;
  progress: ProgressMode;
  /** App callbacks every recipe passes to `fit` (Ctrl-C handling). */
  callbacks: Callback<never>[];
  /** Print a line (stderr) without breaking progress bars. */
  log: (line: string) => void;
}

/** Few-shot evaluation: accuracy over episodes with its 95% confidence interval. */
export interface FewShotResult {
  ways: number;
  shots: number;
  episodes: number;
  mean: number;
  halfWidth: number;
}

/** Evaluation of a trained model on the recipe's held-out data (`lel eval`, and the end of `lel train`). */
export interface EvalResult {
  /** Headline numbers by name (miou, accuracy, f1, …). */
  metrics: Record<string, number>;
  classNames?: string[];
  /** Segmentation: IoU of every class. */
  perClassIoU?: number[];
  /** confusion[groundTruth][prediction]. */
  confusion?: number[][];
  fewShot?: FewShotResult;
  /** PNG files (relative to the run folder) showing image | ground truth | prediction. */
  samples?: string[];
}

/** What `run` returns; written as `summary.json` and read by `lel report` and `lel bench`. */
export interface RunSummary extends EvalResult {
  recipe: string;
  /** The method package the recipe exercises (`@lel/cct`, …). */
  package: string;
  task: Task;
  /** Parameters of the trained model; `trainable` is what the method updates (PEFT bars). */
  params: { total: number; trainable: number };
  steps: number;
  stopReason: string;
  /** Seconds spent in `run`. */
  wallSeconds: number;
  /** Which weights `best/` holds and why. */
  bestFrom: string;
  notes: string[];
}

/** Options `predict` receives. */
export interface PredictRequest {
  runDir: string;
  inputs: string[];
  outDir: string;
}

/** One predicted input: where its output went, or the probabilities inline. */
export interface Prediction {
  input: string;
  output?: string;
  probabilities?: Record<string, number>;
  label?: string;
  /** Multiple-instance recipes: each instance of the bag with its attention weight (0 when top-k dropped it). */
  instances?: { instance: string; attention: number }[];
}

/**
 * What a recipe chooses for one run — the data, the method and its config, the evaluation — and what the app's
 * runner (`runRecipe`) then trains through `runMethod` with the app's run options (run folder, resume, Ctrl-C,
 * loggers, checkpoints, SWA, early stopping).
 */
export interface PreparedRun {
  /** The method package's method (`cct`, `peftFineTune`, `milIb`, …). */
  method: AnyMethod;
  /** The method's config (input form), derived from the app config (its `train` section included). */
  config: unknown;
  /** The method's data (batch sources, models the recipe built, teachers…). */
  data: unknown;
  /** Metrics of a model on the recipe's held-out data: every evaluation, and SWA's averaged weights. */
  evaluate: (model: Module) => Metrics | Promise<Metrics>;
  /**
   * The evaluation metric (higher is better) that picks `best/` and drives `train.earlyStop`; null when the run's
   * data has nothing to evaluate on (e.g. clustering without masks): then no periodic evaluation, the last weights.
   */
  bestMetric: string | null;
  /** Which weights `best/` keeps without SWA: those of the best evaluation (default) or the last. */
  keep?: 'best' | 'last';
  /** Batches for the BatchNorm pass on SWA's averaged weights (models with BatchNorm). */
  swaBnData?: () => Iterable<unknown>;
  /** The final report on the kept weights: metrics, per-class scores, confusion matrix, sample files. */
  report: (model: Module) => EvalResult | Promise<EvalResult>;
  /** After the report: files beside `best/` (an exported encoder), notes, `best/info.json` extras, extra metrics. */
  finish?: (model: Module, result: FitResult, info: unknown) => Promise<FinishedRun> | FinishedRun;
  /** Notes for the summary. */
  notes?: string[];
  /** Models the recipe built and handed to the method in `data`: the runner frees them with the trained ones. */
  models?: Module[];
  /** Free the data (and anything else `prepare` allocated besides `models`). */
  dispose(): void;
}

/** What {@link PreparedRun.finish} adds to a run's summary. */
export interface FinishedRun {
  notes?: string[];
  info?: Record<string, unknown>;
  metrics?: Record<string, number>;
}

/**
 * A training recipe: data, a method package's method (or its baseline), evaluation and prediction, on the app's
 * data. `defaults` are tiny, CPU-friendly values merged under the user's config; `schema` validates the result.
 * The recipe never trains itself: {@link prepare} chooses, the app's runner trains through `runMethod`.
 */
export interface Recipe<C = unknown> {
  name: string;
  description: string;
  package: string;
  task: Task;
  schema: z.ZodType<C>;
  defaults: ConfigTree;
  /** Config keys of earlier versions and where they live now (`'cct.train.epochs': 'train.epochs'`): a clear error. */
  moved?: Record<string, string>;
  /** Choose the run's data, method and evaluation (`interrupted`: Ctrl-C stopped a preliminary stage, e.g. a teacher). */
  prepare(config: C, ctx: RecipeContext): Promise<PreparedRun | { interrupted: number }>;
  /** Re-evaluate the run's `best/` weights. */
  evaluate(config: C, runDir: string): Promise<EvalResult>;
  /** Predict on user inputs (image files, or text) with the run's `best/` weights. */
  predict(config: C, request: PredictRequest): Promise<Prediction[]>;
}

/** A recipe with its config type erased (the registry holds many). */
export type AnyRecipe = Recipe<any>; // eslint-disable-line @typescript-eslint/no-explicit-any
