import * as tf from '@tensorflow/tfjs-core';
import { globalRng, scoped, stopGradient, type Rng } from '@lel/core';

/** Options of {@link vatPerturbation}. */
export interface VatOptions {
  /** Finite-difference step ξ of the power iteration. Official config `xi` 1e-6 [configs/config.json]. */
  xi?: number;
  /** Norm ε of the adversarial perturbation. Official config `eps` 2.0 [configs/config.json]. */
  eps?: number;
  /** Power iterations. Official `it=1` [models/decoders.py get_r_adv]. */
  iterations?: number;
  /** The initial direction before normalisation, z's shape (given in tests; U(0,1) − 0.5 otherwise). */
  d0?: tf.Tensor;
  rng?: Rng;
}

/** Intermediates of I-VAT. */
export interface VatParts {
  /** softmax(dec(z)), a constant. */
  p: tf.Tensor;
  /** The normalised initial direction. */
  dInit: tf.Tensor4D;
  /** KL(p ‖ softmax(dec(z + ξd))) (batchmean) of the last power iteration. */
  advDistance: tf.Scalar;
  /** Its gradient with respect to d (last iteration). */
  gradD: tf.Tensor4D;
  /** ε · normalised gradient: the adversarial perturbation, detached. */
  rAdv: tf.Tensor4D;
}

/** d / (‖d[b]‖₂ + 1e-8), the norm per sample over all of h·w·C (the official `_l2_normalize`). */
export function l2NormalizePerSample(d: tf.Tensor4D): tf.Tensor4D {
  return scoped('l2NormalizePerSample', () => {
    const norm = tf.sqrt(tf.sum(tf.square(d), [1, 2, 3], true));
    return tf.div(d, tf.add(norm, 1e-8)) as tf.Tensor4D;
  });
}

/** KL(p ‖ softmax(logits)) summed and divided by the batch size (`F.kl_div(log q, p, 'batchmean')`); `logP` = log p. */
export function klBatchmean(p: tf.Tensor, logP: tf.Tensor, logits: tf.Tensor): tf.Scalar {
  return scoped('klBatchmean', () => {
    const logQ = tf.logSoftmax(logits);
    return tf.div(tf.sum(tf.mul(p, tf.sub(logP, logQ))), logits.shape[0]!) as tf.Scalar;
  });
}

/**
 * I-VAT's adversarial direction with every intermediate (the official `get_r_adv`): p = softmax(dec(z))
 * held constant; d = normalise(U(0,1) − 0.5); `iterations` times d = normalise(∇_d KL(p ‖ softmax(dec(z + ξd))));
 * r_adv = ε·d. The gradient is taken with respect to d only: `decoder`'s weights receive nothing
 * (the official code calls `decoder.zero_grad()` for the same reason), and z is detached.
 */
export function vatPerturbationParts(z: tf.Tensor4D, decoder: (x: tf.Tensor4D) => tf.Tensor, options: VatOptions = {}): VatParts {
  const xi = options.xi ?? 1e-6;
  const eps = options.eps ?? 2.0;
  const iterations = options.iterations ?? 1;
  if (!(iterations >= 1) || !Number.isInteger(iterations)) throw new Error(`vat: iterations must be a positive integer, got ${iterations}`);
  if (options.d0 && !tf.util.arraysEqual(options.d0.shape, z.shape)) {
    throw new Error(`vat: d0 must have z's shape [${z.shape}], got [${options.d0.shape}]`);
  }
  return scoped('vatPerturbation', () => {
    const zDet = stopGradient(z);
    const logits = stopGradient(decoder(zDet));
    const p = tf.softmax(logits);
    const logP = tf.logSoftmax(logits);
    const d0 = (options.d0 ?? tf.sub((options.rng ?? globalRng()).uniformTensor(z.shape), 0.5)) as tf.Tensor4D;
    const dInit = l2NormalizePerSample(d0);
    let d = dInit;
    let advDistance: tf.Scalar = tf.scalar(0);
    let gradD: tf.Tensor4D = tf.zerosLike(d);
    for (let i = 0; i < iterations; i++) {
      const f = (dd: tf.Tensor): tf.Scalar => klBatchmean(p, logP, decoder(tf.add(zDet, tf.mul(dd, xi)) as tf.Tensor4D));
      const { value, grad } = tf.valueAndGrad(f)(d);
      advDistance = value;
      gradD = grad as tf.Tensor4D;
      d = l2NormalizePerSample(gradD);
    }
    const rAdv = stopGradient(tf.mul(d, eps) as tf.Tensor4D);
    return { p, dInit, advDistance, gradD, rAdv };
  });
}

/** I-VAT's adversarial perturbation r_adv (detached), to be added to the encoder output: dec(z + r_adv). */
export function vatPerturbation(z: tf.Tensor4D, decoder: (x: tf.Tensor4D) => tf.Tensor, options: VatOptions = {}): tf.Tensor4D {
  const { p, dInit, advDistance, gradD, rAdv } = vatPerturbationParts(z, decoder, options);
  tf.dispose([p, dInit, advDistance, gradD]);
  return rAdv;
}
