import * as tf from '@tensorflow/tfjs-core';
import { crossEntropy, scoped } from '@lel/core';
import { gaussianKl } from './gaussian-kl';
import { assertFloatRank, assertNonNegative } from './validate';

/** KL annealing schedule of VIBERT (`--kl_annealing`). */
export type KlAnnealing = 'linear' | 'none';

/**
 * The effective KL weight of VIBERT: `min(1, epoch·β)` with a 1-based `epoch` under linear annealing
 * (`run_glue.py`), else β.
 */
export function klWeight(beta: number, epoch: number, annealing: KlAnnealing = 'linear'): number {
  assertNonNegative('klWeight', 'beta', beta);
  if (annealing === 'none') return beta;
  if (annealing !== 'linear') throw new Error(`klWeight: annealing must be 'linear' or 'none', got ${JSON.stringify(annealing)}`);
  if (!(Number.isInteger(epoch) && epoch >= 1)) throw new Error(`klWeight: epoch must be a 1-based integer, got ${epoch}`);
  return Math.min(1, epoch * beta);
}

/** The tensors {@link vibLoss} needs (a {@link VibHeadOutput} has them all). */
export interface VibLossInputs {
  /** Classifier outputs per sample [S, B, C] (C = 1 for regression). */
  sampledLogits: tf.Tensor;
  /** Posterior mean and standard deviation [B, K]. */
  mu: tf.Tensor;
  std: tf.Tensor;
  /** Prior mean and standard deviation [K]. */
  priorMu: tf.Tensor;
  priorStd: tf.Tensor;
}

/** Options of {@link vibLoss}. */
export interface VibLossOptions {
  /** β (≥ 0). */
  beta: number;
  /** 1-based epoch for the linear annealing (default 1). */
  epoch?: number;
  /** Default 'linear'. */
  klAnnealing?: KlAnnealing;
  /** 'classification' (CE against int32 labels) or 'regression' (squared error against float labels). Default classification. */
  task?: 'classification' | 'regression';
}

/** The VIBERT loss by named part; the caller disposes the tensors (`fit` does it for you). */
export type VibLossParts = {
  total: tf.Scalar;
  /** Task loss: CE (classification) or MSE (regression), averaged over samples then batch. */
  task: tf.Scalar;
  /** Batch-mean KL(q(z|x) ‖ prior). */
  kl: tf.Scalar;
};

/**
 * VIBERT's training loss (`rabeehk/vibert:models.py`): the task loss on every sample of z (CE per sample and
 * input, or squared error against the float label when C = 1), averaged over the S samples and the batch, plus
 * β_eff · KL(N(μ, σ²) ‖ N(μp, σp²)) with β_eff from {@link klWeight}. When β_eff = 0 the KL is reported but not
 * added (the deterministic ablation).
 *
 * @param labels int32 class indices [B] (classification) or float targets [B] (regression)
 */
export function vibLoss(inputs: VibLossInputs, labels: tf.Tensor, options: VibLossOptions): VibLossParts {
  const fn = 'vibLoss';
  const { sampledLogits, mu, std, priorMu, priorStd } = inputs;
  assertFloatRank(fn, 'sampledLogits', sampledLogits, 3, '[samples, batch, classes]');
  const [s, b, c] = sampledLogits.shape as [number, number, number];
  if (labels.rank !== 1 || labels.shape[0] !== b) throw new Error(`${fn}: labels must have shape [${b}] (the batch of sampledLogits [${sampledLogits.shape}]), got [${labels.shape}]`);
  if (mu.shape[0] !== b) throw new Error(`${fn}: mu [${mu.shape}] must have the batch size ${b} of sampledLogits`);
  const task = options.task ?? 'classification';
  if (task === 'regression' && c !== 1) throw new Error(`${fn}: regression needs one output per sample, sampledLogits has ${c}`);
  if (task === 'classification' && labels.dtype !== 'int32') throw new Error(`${fn}: classification labels must be int32, got ${labels.dtype}`);
  const betaEff = klWeight(options.beta, options.epoch ?? 1, options.klAnnealing ?? 'linear');
  return scoped(fn, () => {
    let taskLoss: tf.Scalar;
    if (task === 'classification') {
      // Equal counts per sample: the mean over all (s, b) is the mean over S of the batch means.
      taskLoss = crossEntropy(sampledLogits, tf.tile(tf.expandDims(labels, 0), [s, 1])) as tf.Scalar;
    } else {
      taskLoss = tf.mean(tf.square(tf.sub(tf.reshape(sampledLogits, [s, b]), tf.cast(labels, 'float32')))) as tf.Scalar;
    }
    const { kl, perSample } = gaussianKl(mu, std, priorMu, priorStd);
    perSample.dispose();
    const total = (betaEff === 0 ? tf.clone(taskLoss) : tf.add(taskLoss, tf.mul(kl, betaEff))) as tf.Scalar;
    return { total, task: taskLoss, kl };
  });
}
