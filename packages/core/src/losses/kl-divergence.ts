import * as tf from '@tensorflow/tfjs-core';
import '../layers/register-gradients';
import { scoped } from '../scope';
import { assertFloatTensor, assertNoNaN, assertSameShape } from './validate';

/** Reductions of {@link klDivergence} (PyTorch's `F.kl_div`). */
export type KlReduction = 'batchmean' | 'mean' | 'sum' | 'none';

/**
 * KL(p ‖ q) with p = softmax(pLogits), q = softmax(qLogits) over the last axis, element-wise p·(log p − log q),
 * = `F.kl_div(log_softmax(qLogits), softmax(pLogits), reduction)`. 'batchmean' (default) sums and divides by
 * shape[0]; 'mean' averages over every element; 'none' returns the element-wise terms `[..., C]`. Gradients
 * flow to both inputs: pass a constant (or a tensor outside the differentiated function) to treat p as a target.
 */
export function klDivergence(pLogits: tf.Tensor, qLogits: tf.Tensor, options: { reduction?: KlReduction } = {}): tf.Tensor {
  const fn = 'klDivergence';
  assertFloatTensor(fn, 'pLogits', pLogits, 1);
  assertFloatTensor(fn, 'qLogits', qLogits, 1);
  assertSameShape(fn, 'pLogits', pLogits, 'qLogits', qLogits);
  const reduction = options.reduction ?? 'batchmean';
  if (!['batchmean', 'mean', 'sum', 'none'].includes(reduction)) {
    throw new Error(`${fn}: reduction must be 'batchmean', 'mean', 'sum' or 'none', got ${JSON.stringify(reduction)}`);
  }
  assertNoNaN(fn, 'pLogits', pLogits);
  assertNoNaN(fn, 'qLogits', qLogits);
  return scoped(fn, () => {
    const logp = tf.logSoftmax(pLogits);
    const terms = tf.mul(tf.exp(logp), tf.sub(logp, tf.logSoftmax(qLogits)));
    switch (reduction) {
      case 'none':
        return terms;
      case 'sum':
        return tf.sum(terms);
      case 'mean':
        return tf.mean(terms);
      default:
        return tf.div(tf.sum(terms), pLogits.rank > 1 ? pLogits.shape[0]! : 1);
    }
  });
}
