import * as tf from '@tensorflow/tfjs-core';
import { SGD, fit, polyLr, type Callback, type FitResult, type ProgressMode, type TrainContext } from '@lel/core';
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
  runDir?: string;
  callbacks?: Callback<SegmentationBatch>[];
  progress?: ProgressMode;
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
        pseudoLabels: semi && c.train.weakLabels ? ctx.unlabeled?.pseudoLabels : undefined,
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
    return { total: parts.total, sup: parts.sup, unsup: parts.unsup, weak: parts.weak, weightU: tf.scalar(weightU) };
  };

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
      evaluate: options.val
        ? () => {
            const r = evaluateSegmentation(model, options.val!, { numClasses: c.numClasses, ignoreIndex: c.ignoreIndex, ...c.inference });
            return { miou: r.miou, pixelAccuracy: r.pixelAccuracy };
          }
        : undefined,
      evalEvery: { epochs: c.train.valEvery },
      earlyStopping: options.val && c.train.earlyStop > 0 ? { metric: 'miou', mode: 'max', patience: c.train.earlyStop } : undefined,
      runDir: options.runDir,
      config: c,
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
