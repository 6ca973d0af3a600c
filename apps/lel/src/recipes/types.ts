import type { Callback, ProgressMode } from '@lel/core';
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
 * A training recipe: a method (or its baseline) composed from the packages' public exports on the embedded data.
 * `defaults` are tiny, CPU-friendly values merged under the user's config; `schema` validates the result.
 */
export interface Recipe<C = unknown> {
  name: string;
  description: string;
  package: string;
  task: Task;
  schema: z.ZodType<C>;
  defaults: ConfigTree;
  run(config: C, ctx: RecipeContext): Promise<Omit<RunSummary, 'recipe' | 'package' | 'task' | 'wallSeconds'>>;
  /** Re-evaluate the run's `best/` weights. */
  evaluate(config: C, runDir: string): Promise<EvalResult>;
  /** Predict on user inputs (image files, or text) with the run's `best/` weights. */
  predict(config: C, request: PredictRequest): Promise<Prediction[]>;
}

/** A recipe with its config type erased (the registry holds many). */
export type AnyRecipe = Recipe<any>; // eslint-disable-line @typescript-eslint/no-explicit-any
