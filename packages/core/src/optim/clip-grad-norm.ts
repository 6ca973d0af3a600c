import * as tf from '@tensorflow/tfjs-core';
import { scoped } from '../scope';
import { addMany } from './add-many';
import { readScalar } from '../tensor-read';

/** Result of {@link clipGradNorm}. */
export interface ClipGradNormResult {
  /** Global norm of all gradients before clipping. */
  totalNorm: number;
  /** Clipped gradients under the same names: new tensors, owned (and disposed) by the caller. */
  grads: Map<string, tf.Tensor>;
}

/**
 * Rescale gradients so that their global norm is at most `maxNorm`, as `torch.nn.utils.clip_grad_norm_`:
 * total = ‖(‖g₁‖ₚ, …, ‖gₙ‖ₚ)‖ₚ over every gradient (p = `normType`, `Infinity` for the max norm);
 * coef = maxNorm / (total + 1e-6); gradients are multiplied by coef only when coef < 1. The input
 * gradients are not disposed. The norm is read back asynchronously (works on every backend).
 */
export async function clipGradNorm(grads: Map<string, tf.Tensor>, maxNorm: number, normType = 2): Promise<ClipGradNormResult> {
  if (!(maxNorm >= 0)) throw new Error(`clipGradNorm: maxNorm must be >= 0, got ${maxNorm}`);
  if (!(normType > 0)) throw new Error(`clipGradNorm: normType must be > 0 or Infinity, got ${normType}`);
  const names = [...grads.keys()];
  if (names.length === 0) return { totalNorm: 0, grads: new Map() };
  const tensors = names.map((n) => grads.get(n)!);
  const [total, ...clipped] = scoped('clipGradNorm', () => {
    const g32 = tensors.map((g) => tf.cast(g, 'float32'));
    let total: tf.Tensor;
    if (normType === Infinity) total = tf.max(tf.stack(g32.map((g) => (g.size === 0 ? tf.scalar(0) : tf.max(tf.abs(g))))));
    else if (normType === 2) total = tf.sqrt(addMany(g32.map((g) => tf.sum(tf.square(g)))));
    else total = tf.pow(addMany(g32.map((g) => tf.sum(tf.pow(tf.abs(g), normType)))), 1 / normType);
    const coef = tf.minimum(tf.div(maxNorm, tf.add(total, 1e-6)), 1);
    return [total, ...g32.map((g) => tf.mul(g, coef))];
  });
  let totalNorm: number;
  try {
    totalNorm = await readScalar(total!, { dispose: true });
  } catch (e) {
    tf.dispose(clipped);
    throw e;
  }
  return { totalNorm, grads: new Map(names.map((n, i) => [n, clipped[i]!])) };
}
