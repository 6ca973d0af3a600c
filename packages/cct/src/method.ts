import * as tf from '@tensorflow/tfjs-core';
import { SGD, canonicalJson, defineMethod, isHostMemoryBackend, polyLr, type Callback, type Rng, type TrainContext } from '@lel/core';
import { CctConfigSchema, parseCctConfig, type CctConfig } from './config';
import { epochBatches, isStreaming, labelledBatches, randomHorizontalFlip, setSize, type BatchAugment, type ImageBatch, type LabelledSource, type SegmentationBatch, type SegmentationSet, type UnlabelledSource } from './data';
import { evaluateSegmentation, predictLogits } from './inference';
import { cctLoss } from './loss';
import { CctModel, type SegmentationEncoder } from './model';
import { rampUpWeight } from './ramp-up';

/** The data (and network) CCT trains on. */
export interface CctData {
  /**
   * The network, built with the very config the method is given (`new CctModel(encoder, config, rng)`), or give
   * `encoder` and the method builds it. The trained model is the caller's either way.
   */
  model?: CctModel;
  /** An encoder (e.g. a pretrained backbone) for the method to build the network around; with `decoderRng`. */
  encoder?: SegmentationEncoder;
  /** Generator of the decoders' initialisation when built from `encoder`. Default: the process-wide one. */
  decoderRng?: Rng;
  /**
   * Images with pixel labels (`ignoreIndex` where unknown): tensors in memory, or a {@link StreamingSet} that loads
   * its batches on demand (a folder too large for memory; its labels are not pre-checked, the loader bounds them).
   */
  labelled: LabelledSource;
  /**
   * Images whose labels, if any, are never used (pseudo-labels are, with `train.weakLabels`): in memory or
   * streaming (no masks needed). Required for `mode: 'semi'`.
   */
  unlabelled?: UnlabelledSource;
  /** Validation set: mIoU and pixel accuracy every `train.valEvery` epochs, early stopping on mIoU. */
  val?: SegmentationSet;
  /** Per-batch augmentation. Default: random horizontal flip (the official `flip`); `null` for none. */
  augment?: BatchAugment | null;
}

/** What CCT reports besides the fit result. */
export interface CctInfo {
  /** Iterations per epoch (= unlabelled batches per epoch in semi mode). */
  itersPerEpoch: number;
  /** Ramp-up length T of the unsupervised weight, in iterations. */
  rampupLength: number;
}

/** Every label of a set is a class index or the ignore index (read once, before training). */
async function checkClasses(set: SegmentationSet, numClasses: number, ignoreIndex: number, name: string): Promise<void> {
  const d = await set.labels.data();
  for (let i = 0; i < d.length; i++) {
    const v = d[i]!;
    if (v === ignoreIndex) continue;
    if (v < 0 || v >= numClasses || !Number.isInteger(v)) {
      throw new Error(
        `cct: the ${name} set has label ${v}, outside [0, ${numClasses}) and not the ignore index ${ignoreIndex}: ` +
          `numClasses (${numClasses}) does not match the dataset`,
      );
    }
  }
}

function networkOf(config: CctConfig, data: CctData): { model: CctModel; built: boolean } {
  if (!data.model === !data.encoder) throw new Error('cct: give the data exactly one of model (a CctModel) or encoder');
  if (data.encoder) return { model: new CctModel(data.encoder, config, data.decoderRng), built: true };
  const model = data.model!;
  if (!(model instanceof CctModel)) throw new Error('cct: data.model must be a CctModel');
  if (canonicalJson(model.config) !== canonicalJson(config)) {
    throw new Error('cct: data.model was built with a different config than the one given to the method (build it with the same config, or pass data.encoder)');
  }
  return { model, built: false };
}

/**
 * Cross-Consistency Training (Ouali et al., CVPR 2020) on `@lel/core`'s method contract — the official trainer.py,
 * with its fixes:
 * - an epoch is one pass over the unlabelled set (`iters_per_epoch = ceil(N_u / B_u)`), each step pairs a labelled
 *   batch with an unlabelled batch; both streams are independently reshuffled (and re-augmented) every pass, so
 *   labelled batches are never replayed as with the official `itertools.cycle`;
 * - L = L_sup(main(x_l)) + w_u(t)·L_u(aux(x_ul), main(x_ul)) [+ w_w(t)·L_weak with pseudo-labels], with
 *   w_u(t) = 30·exp(−5(1 − t/T)²), T = int(0.1·epochs)·iters_per_epoch (0 below 10 epochs: the weight is 30 from
 *   the first step; `loss.rampUpUnit: 'iterations'` ramps over 10% of the run's iterations at any budget);
 * - SGD (momentum 0.9, weight decay 1e-4), encoder at lr/10, poly decay (power 0.9) stepped every iteration;
 * - validation mIoU every 5 epochs, early stopping after 10 validations without improvement.
 * With `mode: 'supervised'` the same loop trains the supervised-only baseline (epochs over the labelled set).
 * Logged parts: `sup`, `unsup`, `weightU` (and `weak` with weak labels). `predict` gives class probabilities
 * [B, H, W, C] with the config's inference scales and flip.
 */
export const cct = defineMethod({
  name: 'cct',
  description: 'Cross-Consistency Training: semi-supervised semantic segmentation with perturbed auxiliary decoders',
  configSchema: CctConfigSchema,
  async build(rawConfig, data: CctData) {
    const c = parseCctConfig(rawConfig); // CCT's own checks (a semi model needs an auxiliary decoder)
    const semi = c.mode === 'semi';
    const augment = data.augment === undefined ? randomHorizontalFlip : data.augment;
    if (semi && !data.unlabelled) throw new Error('cct: mode "semi" needs an unlabelled set');
    const u = data.unlabelled;
    if (c.train.weakLabels && (!u || isStreaming(u) || !u.pseudoLabels)) throw new Error('cct: train.weakLabels needs in-memory unlabelled.pseudoLabels (see camsToPseudoLabels)');
    if (!isStreaming(data.labelled)) await checkClasses(data.labelled, c.numClasses, c.ignoreIndex, 'labelled');
    if (data.val) await checkClasses(data.val, c.numClasses, c.ignoreIndex, 'val');
    const { model, built } = networkOf(c, data);
    const nl = setSize(data.labelled);
    const nu = u ? setSize(u) : 0;
    if (nl === 0) throw new Error('cct: the labelled set is empty');
    if (semi && nu === 0) throw new Error('cct: mode "semi" needs a non-empty unlabelled set');
    const itersPerEpoch = semi ? Math.ceil(nu / c.train.unlabelledBatchSize) : Math.ceil(nl / c.train.labelledBatchSize);
    const totalIters = c.train.epochs * itersPerEpoch;
    // The official T = int(rampUp·epochs)·iters is 0 below 10 epochs (weight 30 from the first step); 'iterations' ramps over rampUp of the run.
    const rampupLength = c.loss.rampUpUnit === 'iterations' ? Math.round(c.loss.rampUp * totalIters) : Math.floor(c.loss.rampUp * c.train.epochs) * itersPerEpoch;
    const abceTotalIters = (c.train.epochs - 0.6 * c.train.epochs) * itersPerEpoch;
    const weak = semi && c.train.weakLabels;

    // G-Cutout searches objects in the main prediction on the host, inside the synchronous gradient step. On cpu and
    // wasm it reads them there; elsewhere (GPU backends) they are read asynchronously before the step.
    let mainLabels: Int32Array | undefined;
    const hostLabelsCallback: Callback<ImageBatch> = {
      async onStepStart(ctx) {
        mainLabels = undefined;
        if (semi && model.needsHostMainLabels && !isHostMemoryBackend() && ctx.unlabeled) mainLabels = await model.mainLabels(ctx.unlabeled.images);
      },
    };
    const loss = (lb: SegmentationBatch, ctx: TrainContext<ImageBatch>) => {
      const t = ctx.step;
      const weightU = semi ? rampUpWeight(t, { wMax: c.loss.unsupWeight, rampupLength }) : 0;
      const supLogits = model.forward(lb.images);
      let unsupMainLogits: tf.Tensor4D | undefined;
      let auxLogits: tf.Tensor4D[] | undefined;
      if (semi) {
        const ub = ctx.unlabeled;
        if (!ub) throw new Error('cct: no unlabelled batch paired with the labelled one');
        const out = model.forwardUnsupervised(ub.images, ctx.rng, mainLabels);
        mainLabels = undefined;
        unsupMainLogits = out.mainLogits;
        auxLogits = out.auxLogits;
      }
      const parts = cctLoss(
        { supLogits, labels: lb.labels, unsupMainLogits, auxLogits, weightU, t, pseudoLabels: weak ? ctx.unlabeled?.pseudoLabels : undefined },
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
    const val = data.val;
    const info: CctInfo = { itersPerEpoch, rampupLength };
    return {
      model,
      optimizers: new SGD(model.parameterGroups(), { lr: c.optim.lr, momentum: c.optim.momentum, weightDecay: c.optim.weightDecay }),
      schedule: polyLr({ baseLr: c.optim.lr, maxIter: totalIters, power: c.optim.polyPower }),
      data: semi
        ? {
            labeled: (_epoch: number, rng: Rng) => labelledBatches(data.labelled, c.train.labelledBatchSize, itersPerEpoch, rng, augment),
            unlabeled: (_epoch: number, rng: Rng) => epochBatches(data.unlabelled!, c.train.unlabelledBatchSize, rng, augment),
          }
        : { labeled: (_epoch: number, rng: Rng) => epochBatches(data.labelled, c.train.labelledBatchSize, rng, augment) },
      loss,
      epochs: c.train.epochs,
      seed: c.train.seed,
      stepsPerEpoch: itersPerEpoch,
      batchSize: (b: SegmentationBatch) => b.images.shape[0],
      ...(val
        ? {
            evaluate: async () => {
              const r = await evaluateSegmentation(model, val, { numClasses: c.numClasses, ignoreIndex: c.ignoreIndex, ...c.inference });
              return { miou: r.miou, pixelAccuracy: r.pixelAccuracy };
            },
            evalEvery: { epochs: c.train.valEvery },
            ...(c.train.earlyStop > 0 ? { earlyStopping: { metric: 'miou', mode: 'max' as const, patience: c.train.earlyStop } } : {}),
          }
        : {}),
      /** Class probabilities [B, H, W, C] of images [B, H, W, 3] (the config's inference scales and flip, eval mode). */
      predict: (images: tf.Tensor4D): tf.Tensor4D => {
        const was = model.training;
        model.eval();
        try {
          return tf.tidy(() => tf.softmax(predictLogits(model, images, c.inference)) as tf.Tensor4D);
        } finally {
          model.train(was);
        }
      },
      info,
      callbacks: [hostLabelsCallback],
      cleanup: ({ failed }: { failed: boolean }) => {
        if (failed && built) model.dispose();
      },
    };
  },
});
