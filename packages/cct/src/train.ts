import { runMethod, type Callback, type FitOptions, type FitResult, type ProgressMode } from '@lel/core';
import type { BatchAugment, ImageBatch, SegmentationBatch, SegmentationSet } from './data';
import { cct } from './method';
import type { CctModel } from './model';

/** Inputs of {@link trainCct}. */
export interface TrainCctOptions {
  model: CctModel;
  labelled: SegmentationSet;
  /** Unlabelled images (their labels, if any, are never used for training). Required for `mode: 'semi'`. */
  unlabelled?: SegmentationSet;
  /** Validation set for mIoU every `train.valEvery` epochs. */
  val?: SegmentationSet;
  /** Per-batch augmentation. Default: random horizontal flip (the official `flip`). `null` for none. */
  augment?: BatchAugment | null;
  /** Stop after this many steps (overrides the epoch count; the schedules still span `train.epochs`). */
  maxSteps?: number;
  /** Run folder (`metrics.jsonl`, `config.json`, `checkpoints/`); nothing is written without it. */
  runDir?: string;
  /** `fit` callbacks (Ctrl-C handling, SWA, …); stateful ones are saved in checkpoints and restored on resume. */
  callbacks?: Callback<SegmentationBatch>[];
  /** Progress display. Default `'none'`. */
  progress?: ProgressMode;
  /**
   * Continue a run from `'last'` / `'best'` (of `runDir`) or a checkpoint or run folder path (`fit`'s `resume`):
   * weights, momentum buffers, step, data position and generators are restored, so the run goes on exactly where
   * the checkpoint left it. Give the same model, data and options as the run that wrote it. Default: a fresh run.
   */
  resume?: FitOptions<SegmentationBatch, ImageBatch>['resume'];
  /**
   * Evaluation run instead of the mIoU validation on `val` (`fit`'s `evaluate`, in eval mode); returns metrics by
   * name. Early stopping (`train.earlyStop`) watches its `miou`. Default: mIoU and pixel accuracy on `val`
   * with `inference`'s scales and flip, when `val` is given.
   */
  evaluate?: FitOptions<SegmentationBatch, ImageBatch>['evaluate'];
  /** How often to evaluate, in steps or epochs (`fit`'s `evalEvery`). Default `{ epochs: train.valEvery }`. */
  evalEvery?: FitOptions<SegmentationBatch, ImageBatch>['evalEvery'];
  /**
   * Early stopping (`fit`'s `earlyStopping`); `false` turns it off. Default: on `miou` (max) with patience
   * `train.earlyStop` when there is an evaluation (`val` or `evaluate`) and `train.earlyStop > 0`.
   */
  earlyStopping?: FitOptions<SegmentationBatch, ImageBatch>['earlyStopping'] | false;
  /** Write a `train` record (means over the window) every this many steps (`fit`'s `logEvery`). Default 10. */
  logEvery?: number;
  /**
   * Checkpointing in `runDir` (`fit`'s `checkpoint`: `every`, `keepLast`, `best`); `false` turns it off.
   * Default `fit`'s: every epoch and at the end, the last 3 kept, when `runDir` is set.
   */
  checkpoint?: FitOptions<SegmentationBatch, ImageBatch>['checkpoint'];
  /**
   * The config saved as `config.json` and hashed into checkpoints (a resume with a different hash is refused).
   * An app that embeds the CCT config in a larger one passes the larger one. Default `model.config`.
   */
  config?: unknown;
}

/** What {@link trainCct} returns: the fit result with {@link CctInfo}'s numbers. */
export interface TrainCctResult extends FitResult {
  /** Iterations per epoch (= unlabelled batches per epoch in semi mode). */
  itersPerEpoch: number;
  /** Ramp-up length T of the unsupervised weight, in iterations. */
  rampupLength: number;
}

/**
 * Train a CCT network (or, with `mode: 'supervised'`, the supervised baseline) with the official recipe: the
 * {@link cct} method run through `runMethod` with `model.config`. The model is trained in place.
 */
export async function trainCct(options: TrainCctOptions): Promise<TrainCctResult> {
  const { model } = options;
  const c = model.config;
  // A custom evaluation keeps CCT's defaults: every `train.valEvery` epochs, early stopping on its `miou`.
  const custom = options.evaluate !== undefined;
  const earlyStopping =
    options.earlyStopping === false
      ? false
      : (options.earlyStopping ?? (custom && c.train.earlyStop > 0 ? { metric: 'miou', mode: 'max' as const, patience: c.train.earlyStop } : undefined));
  const r = await runMethod(
    cct,
    c,
    { model, labelled: options.labelled, unlabelled: options.unlabelled, val: options.val, ...(options.augment !== undefined ? { augment: options.augment } : {}) },
    {
      maxSteps: options.maxSteps,
      runDir: options.runDir,
      resume: options.resume,
      checkpoint: options.checkpoint,
      logEvery: options.logEvery,
      callbacks: options.callbacks,
      progress: options.progress ?? 'none',
      ...(custom ? { evaluate: options.evaluate, evalEvery: options.evalEvery ?? { epochs: c.train.valEvery } } : options.evalEvery !== undefined ? { evalEvery: options.evalEvery } : {}),
      ...(earlyStopping !== undefined ? { earlyStopping } : {}),
      ...(options.config !== undefined ? { config: options.config } : {}),
    },
  );
  return { ...r.result, ...r.info };
}
