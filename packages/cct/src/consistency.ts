import * as tf from '@tensorflow/tfjs-core';
import { scoped, stopGradient } from '@lel/core';

/** Consistency losses between an auxiliary prediction and the main one. Official `un_loss` "MSE" [configs/config.json]. */
export type ConsistencyType = 'mse' | 'kl' | 'js';

/** Options of {@link consistencyLoss}. */
export interface ConsistencyOptions {
  type?: ConsistencyType;
  /** Only pixels whose target confidence max(t) exceeds the threshold count. Official `confidence_masking` false. */
  confidenceMasking?: boolean;
  /** Official `confidence_th` 0.5 [configs/config.json]. */
  confidenceThreshold?: number;
}

/**
 * One auxiliary decoder's consistency term against target probabilities `target` (already detached),
 * NHWC with classes last, as the official `softmax_mse_loss`, `softmax_kl_loss`, `softmax_js_loss`
 * [utils/losses.py]:
 * - mse: mean over all elements of (softmax(aux) − t)²;
 * - kl: mean over all elements of t·(log t − log softmax(aux));
 * - js: ½[KL_mean(M ‖ softmax(aux)) + KL_mean(M ‖ t+1e-5)], M = (softmax(aux) + t)/2.
 * With confidence masking, mse averages over the kept elements (0 when none), kl sums them and divides by
 * the pixel count, as the official code.
 */
export function consistencyTerm(auxLogits: tf.Tensor4D, target: tf.Tensor4D, options: ConsistencyOptions = {}): tf.Scalar {
  const type = options.type ?? 'mse';
  return scoped('consistencyTerm', () => {
    const c = auxLogits.shape[3];
    let elem: tf.Tensor;
    if (type === 'mse') elem = tf.squaredDifference(tf.softmax(auxLogits), target);
    else if (type === 'kl') elem = tf.mul(target, tf.sub(safeLog(target), tf.logSoftmax(auxLogits)));
    else if (type === 'js') {
      const m = tf.mul(tf.add(tf.softmax(auxLogits), target), 0.5);
      const logM = safeLog(m);
      const kl1 = tf.mean(tf.mul(m, tf.sub(logM, tf.logSoftmax(auxLogits))));
      const kl2 = tf.mean(tf.mul(m, tf.sub(logM, tf.log(tf.add(target, 1e-5)))));
      return tf.mul(tf.add(kl1, kl2), 0.5) as tf.Scalar;
    } else throw new Error(`consistency loss: unknown type "${type as string}" (expected mse, kl or js)`);
    if (!options.confidenceMasking) return tf.mean(elem) as tf.Scalar;
    const th = options.confidenceThreshold ?? 0.5;
    const keep = tf.cast(tf.greater(tf.max(target, 3, true), th), 'float32');
    const kept = tf.sum(tf.mul(elem, keep));
    if (type === 'mse') return tf.div(kept, tf.maximum(tf.mul(tf.sum(keep), c), 1)) as tf.Scalar;
    return tf.div(kept, keep.size) as tf.Scalar;
  });
}

/** log x with 0·log 0 treated as 0 (as `F.kl_div`'s xlogy). */
function safeLog(x: tf.Tensor): tf.Tensor {
  return tf.log(tf.maximum(x, 1e-30));
}

/**
 * The unsupervised loss L_u = (1/K) Σ_k consistency(aux_k, softmax(main)) with the main prediction
 * DETACHED (`targets = F.softmax(output_ul.detach(), dim=1)` [models/model.py]): it trains the encoder
 * and the auxiliary decoders, never the main decoder.
 */
export function unsupervisedLoss(auxLogits: tf.Tensor4D[], mainLogits: tf.Tensor4D, options: ConsistencyOptions = {}): tf.Scalar {
  if (auxLogits.length === 0) throw new Error('unsupervisedLoss: no auxiliary predictions');
  return scoped('unsupervisedLoss', () => {
    const target = tf.softmax(stopGradient(mainLogits)) as tf.Tensor4D;
    let total: tf.Scalar = tf.scalar(0);
    for (const [k, aux] of auxLogits.entries()) {
      if (!tf.util.arraysEqual(aux.shape, mainLogits.shape)) {
        throw new Error(`unsupervisedLoss: auxiliary prediction ${k} has shape [${aux.shape}], main has [${mainLogits.shape}]`);
      }
      total = tf.add(total, consistencyTerm(aux, target, options));
    }
    return tf.div(total, auxLogits.length) as tf.Scalar;
  });
}
