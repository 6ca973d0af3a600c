import * as tf from '@tensorflow/tfjs-core';
import { SGD, fit, polyLr, type Callback, type FitOptions, type FitResult, type ProgressMode, type TrainContext } from '@lel/core';
import { labelledBatches, epochBatches, randomHorizontalFlip, type BatchAugment, type SegmentationBatch, type SegmentationSet } from './data';
import { evaluateSegmentation } from './inference';
import { cctLoss } from './loss';
import type { CctModel } from './model';
import { rampUpWeight } from './ramp-up';

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
  resume?: FitOptions<SegmentationBatch, SegmentationBatch>['resume'];
  /**
   * Evaluation run instead of the mIoU validation on `val` (`fit`'s `evaluate`, in eval mode); returns metrics by
   * name. Early stopping (`train.earlyStop`) watches its `miou`. Default: mIoU and pixel accuracy on `val`
   * with `inference`'s scales and flip, when `val` is given.
   */
  evaluate?: FitOptions<SegmentationBatch, SegmentationBatch>['evaluate'];
  /** How often to evaluate, in steps or epochs (`fit`'s `evalEvery`). Default `{ epochs: train.valEvery }`. */
  evalEvery?: FitOptions<SegmentationBatch, SegmentationBatch>['evalEvery'];
  /**
   * Early stopping (`fit`'s `earlyStopping`); `false` turns it off. Default: on `miou` (max) with patience
   * `train.earlyStop` when there is an evaluation (`val` or `evaluate`) and `train.earlyStop > 0`.
   */
  earlyStopping?: FitOptions<SegmentationBatch, SegmentationBatch>['earlyStopping'] | false;
  /** Write a `train` record (means over the window) every this many steps (`fit`'s `logEvery`). Default 10. */
  logEvery?: number;
  /**
   * Checkpointing in `runDir` (`fit`'s `checkpoint`: `every`, `keepLast`, `best`); `false` turns it off.
   * Default `fit`'s: every epoch and at the end, the last 3 kept, when `runDir` is set.
   */
  checkpoint?: FitOptions<SegmentationBatch, SegmentationBatch>['checkpoint'];
  /**
   * The config saved as `config.json` and hashed into checkpoints (a resume with a different hash is refused).
   * An app that embeds the CCT config in a larger one passes the larger one. Default `model.config`.
   */
  config?: unknown;
}

/** What {@link trainCct} returns. */
export interface TrainCctResult extends FitResult {
  /** Iterations per epoch (= unlabelled batches per epoch in semi mode). */
  itersPerEpoch: number;
  /** Ramp-up length T of the unsupervised weight, in iterations. */
  rampupLength: number;
}

/**
 * The CCT training recipe on `@lel/core`'s `fit` (the official trainer.py, with its fixes):
 * - an epoch is one pass over the unlabelled set (`iters_per_epoch = ceil(N_u / B_u)`), each step pairs a
 *   labelled batch with an unlabelled batch; both streams are independently reshuffled (and re-augmented)
 *   every pass, so labelled batches are never replayed as with the official `itertools.cycle`;
 * - L = L_sup(main(x_l)) + w_u(t)·L_u(aux(x_ul), main(x_ul)) [+ w_w(t)·L_weak with pseudo-labels], with
 *   w_u(t) = 30·exp(−5(1 − t/T)²), T = int(0.1·epochs)·iters_per_epoch;
 * - SGD (momentum 0.9, weight decay 1e-4), encoder at lr/10, poly decay (power 0.9) stepped every iteration;
 * - validation mIoU every 5 epochs, early stopping after 10 validations without improvement.
 * With `mode: 'supervised'` the same loop trains the supervised-only baseline (epochs over the labelled set).
 */
export async function trainCct(options: TrainCctOptions): Promise<TrainCctResult> {
  const { model } = options;
  const c = model.config;
  const semi = c.mode === 'semi';
  const augment = options.augment === undefined ? randomHorizontalFlip : options.augment;
  if (semi && !options.unlabelled) throw new Error('trainCct: mode "semi" needs an unlabelled set');
  if (c.train.weakLabels && !options.unlabelled?.pseudoLabels) {
    throw new Error('trainCct: train.weakLabels needs unlabelled.pseudoLabels (see camsToPseudoLabels)');
  }
  checkClasses(options.labelled, c.numClasses, c.ignoreIndex, 'labelled');
  if (options.val) checkClasses(options.val, c.numClasses, c.ignoreIndex, 'val');
  const nl = options.labelled.images.shape[0];
  const nu = options.unlabelled?.images.shape[0] ?? 0;
  const itersPerEpoch = semi ? Math.ceil(nu / c.train.unlabelledBatchSize) : Math.ceil(nl / c.train.labelledBatchSize);
  const totalIters = c.train.epochs * itersPerEpoch;
  const rampupLength = Math.floor(c.loss.rampUp * c.train.epochs) * itersPerEpoch;
  const abceTotalIters = (c.train.epochs - 0.6 * c.train.epochs) * itersPerEpoch;

  const optimizer = new SGD(model.parameterGroups(), { lr: c.optim.lr, momentum: c.optim.momentum, weightDecay: c.optim.weightDecay });
  const schedule = polyLr({ baseLr: c.optim.lr, maxIter: totalIters, power: c.optim.polyPower });

  const weak = semi && c.train.weakLabels;
  const step = (lb: SegmentationBatch, ctx: TrainContext<SegmentationBatch>) => {
    const t = ctx.step;
    const weightU = semi ? rampUpWeight(t, { wMax: c.loss.unsupWeight, rampupLength }) : 0;
    const supLogits = model.forward(lb.images);
    let unsupMainLogits: tf.Tensor4D | undefined;
    let auxLogits: tf.Tensor4D[] | undefined;
    if (semi) {
      const ub = ctx.unlabeled;
      if (!ub) throw new Error('trainCct: no unlabelled batch paired with the labelled one');
      const out = model.forwardUnsupervised(ub.images, ctx.rng);
      unsupMainLogits = out.mainLogits;
      auxLogits = out.auxLogits;
    }
    const parts = cctLoss(
      {
        supLogits,
        labels: lb.labels,
        unsupMainLogits,
        auxLogits,
        weightU,
        t,
        pseudoLabels: weak ? ctx.unlabeled?.pseudoLabels : undefined,
      },
      {
        supLoss: c.loss.sup,
        supWeight: c.loss.supWeight,
        softmaxTemp: c.loss.softmaxTemp,
        ignoreIndex: c.ignoreIndex,
        abceTotalIters,
        type: c.loss.unsup,
        confidenceMasking: c.loss.confidenceMasking,
        confidenceThreshold: c.loss.confidenceThreshold,
        wMax: c.loss.unsupWeight,
        weakWeight: c.loss.weakWeight,
        // Labels were checked once for the whole set above; skip the per-step host read.
        validate: false,
      },
    );
    // The weak term is logged only in the weak-label variant (elsewhere it is identically 0).
    return { total: parts.total, sup: parts.sup, unsup: parts.unsup, ...(weak ? { weak: parts.weak } : {}), weightU: tf.scalar(weightU) };
  };
  const evaluate =
    options.evaluate ??
    (options.val
      ? () => {
          const r = evaluateSegmentation(model, options.val!, { numClasses: c.numClasses, ignoreIndex: c.ignoreIndex, ...c.inference });
          return { miou: r.miou, pixelAccuracy: r.pixelAccuracy };
        }
      : undefined);
  const earlyStopping =
    options.earlyStopping === false
      ? undefined
      : (options.earlyStopping ?? (evaluate && c.train.earlyStop > 0 ? { metric: 'miou', mode: 'max' as const, patience: c.train.earlyStop } : undefined));

  let result: FitResult;
  try {
    result = await fit<SegmentationBatch, SegmentationBatch>({
      model,
      optimizer,
      schedule,
      step,
      data: semi
        ? {
            labeled: (_epoch, rng) => labelledBatches(options.labelled, c.train.labelledBatchSize, itersPerEpoch, rng, augment),
            unlabeled: (_epoch, rng) => epochBatches(options.unlabelled!, c.train.unlabelledBatchSize, rng, augment),
          }
        : { labeled: (_epoch, rng) => epochBatches(options.labelled, c.train.labelledBatchSize, rng, augment) },
      epochs: c.train.epochs,
      maxSteps: options.maxSteps,
      seed: c.train.seed,
      stepsPerEpoch: itersPerEpoch,
      evaluate,
      evalEvery: options.evalEvery ?? { epochs: c.train.valEvery },
      earlyStopping,
      runDir: options.runDir,
      resume: options.resume,
      checkpoint: options.checkpoint,
      logEvery: options.logEvery,
      config: options.config ?? c,
      callbacks: options.callbacks,
      progress: options.progress ?? 'none',
      batchSize: (b) => b.images.shape[0],
    });
  } finally {
    // The optimiser (momentum buffers) belongs to this call.
    optimizer.dispose();
  }
  return { ...result, itersPerEpoch, rampupLength };
}

function checkClasses(set: SegmentationSet, numClasses: number, ignoreIndex: number, name: string): void {
  const d = set.labels.dataSync();
  for (let i = 0; i < d.length; i++) {
    const v = d[i]!;
    if (v === ignoreIndex) continue;
    if (v < 0 || v >= numClasses || !Number.isInteger(v)) {
      throw new Error(
        `trainCct: the ${name} set has label ${v}, outside [0, ${numClasses}) and not the ignore index ${ignoreIndex}: ` +
          `numClasses (${numClasses}) does not match the dataset`,
      );
    }
  }
}
