import * as tf from '@tensorflow/tfjs-core';
import { abCE } from './ab-ce';
import { type ConsistencyOptions, unsupervisedLoss } from './consistency';
import { segmentationCrossEntropy, validateLabels } from './cross-entropy';

/** Supervised losses. Official `sup_loss` "CE"; any other value selects ABCE [train.py]. */
export type SupervisedLossType = 'ce' | 'abce';

/** Inputs of {@link cctLoss}. */
export interface CctLossInputs {
  /** Main-decoder logits on the labelled images, [B, H, W, C]. */
  supLogits: tf.Tensor4D;
  labels: tf.Tensor3D;
  /** Main-decoder logits on the unlabelled images (the consistency target; detached inside). */
  unsupMainLogits?: tf.Tensor4D;
  /** Auxiliary-decoder logits on the unlabelled images, each shaped as `unsupMainLogits`. */
  auxLogits?: tf.Tensor4D[];
  /** Unsupervised weight w_u(t) (see `rampUpWeight`). */
  weightU: number;
  /** Global iteration (ABCE's schedule). */
  t?: number;
  /** Image-level pseudo-labels of the unlabelled images (weak-label variant), [B, H, W] with 255 = uncertain. */
  pseudoLabels?: tf.Tensor3D;
}

/** Options of {@link cctLoss}. */
export interface CctLossOptions extends ConsistencyOptions {
  supLoss?: SupervisedLossType;
  /** Official `supervised_w` 1 [configs/config.json]. */
  supWeight?: number;
  /** Official `softmax_temp` 1. */
  softmaxTemp?: number;
  ignoreIndex?: number;
  /** ABCE schedule length in iterations (required with `supLoss: 'abce'`). */
  abceTotalIters?: number;
  /** Final unsupervised weight (scales the weak term: w_w = w_u / wMax · weakWeight). Official 30. */
  wMax?: number;
  /** Official `weakly_loss_w` 0.4 [configs/config.json]. */
  weakWeight?: number;
  /** Check labels against the class count (host read; default true). */
  validate?: boolean;
}

/** The CCT objective's named parts. Scalars are owned by the caller. */
export interface CctLossParts {
  total: tf.Scalar;
  /** Supervised loss (× supWeight). */
  sup: tf.Scalar;
  /** Unweighted unsupervised loss L_u (0 without auxiliary predictions). */
  unsup: tf.Scalar;
  /** w_u · L_u. */
  unsupWeighted: tf.Scalar;
  /** w_u. */
  weight: number;
  /** Weighted weak-label term (0 without pseudo-labels). */
  weak: tf.Scalar;
  /** Its weight w_w. */
  weakWeight: number;
}

/**
 * The CCT objective [models/model.py]: L = w_sup·L_sup(main(x_l), y) + w_u(t)·L_u + w_w(t)·L_w, where
 * L_u averages the consistency between each auxiliary decoder and the DETACHED main prediction on the
 * unlabelled images, and L_w (weak-label variant) averages CE(aux_k, pseudo-labels) over the auxiliary
 * decoders with w_w = (w_u / 30)·0.4. Call inside a gradient function; nothing here is tidied away.
 */
export function cctLoss(inputs: CctLossInputs, options: CctLossOptions = {}): CctLossParts {
  const ignoreIndex = options.ignoreIndex ?? 255;
  const numClasses = inputs.supLogits.shape[3];
  if (options.validate ?? true) validateLabels(inputs.labels, numClasses, ignoreIndex, 'cctLoss labels');
  const supType = options.supLoss ?? 'ce';
  let supRaw: tf.Scalar;
  if (supType === 'ce') {
    supRaw = segmentationCrossEntropy(inputs.supLogits, inputs.labels, { ignoreIndex, temperature: options.softmaxTemp ?? 1 });
  } else if (supType === 'abce') {
    if (options.abceTotalIters === undefined) throw new Error('cctLoss: supLoss "abce" needs abceTotalIters');
    supRaw = abCE(inputs.supLogits, inputs.labels, { t: inputs.t ?? 0, totalIters: options.abceTotalIters, ignoreIndex }).loss;
  } else throw new Error(`cctLoss: unknown supLoss "${supType as string}" (expected ce or abce)`);
  const sup = tf.mul(supRaw, options.supWeight ?? 1) as tf.Scalar;
  const weight = inputs.weightU;
  const aux = inputs.auxLogits ?? [];
  let unsup: tf.Scalar = tf.scalar(0);
  if (aux.length > 0) {
    if (!inputs.unsupMainLogits) throw new Error('cctLoss: auxLogits given without unsupMainLogits');
    unsup = unsupervisedLoss(aux, inputs.unsupMainLogits, options);
  }
  const unsupWeighted = tf.mul(unsup, weight) as tf.Scalar;
  let weak: tf.Scalar = tf.scalar(0);
  let weakWeight = 0;
  if (inputs.pseudoLabels) {
    if (aux.length === 0) throw new Error('cctLoss: pseudoLabels need auxiliary predictions (the weak term trains the auxiliary decoders)');
    if (options.validate ?? true) validateLabels(inputs.pseudoLabels, numClasses, ignoreIndex, 'cctLoss pseudoLabels');
    weakWeight = (weight / (options.wMax ?? 30)) * (options.weakWeight ?? 0.4);
    const terms = aux.map((a) => segmentationCrossEntropy(a, inputs.pseudoLabels!, { ignoreIndex }));
    weak = tf.mul(tf.div(tf.addN(terms), aux.length), weakWeight) as tf.Scalar;
  }
  const total = tf.addN([sup, unsupWeighted, weak]) as tf.Scalar;
  return { total, sup, unsup, unsupWeighted, weight, weak, weakWeight };
}
