import * as tf from '@tensorflow/tfjs-core';
import '../layers/register-gradients';
import { scoped } from '../scope';
import { reduce, type Reduction } from './reduction';
import { assertFloatTensor, assertNoNaN, assertSameShape } from './validate';

/**
 * Squared difference of softmax(a) and softmax(b) over the last axis (CCT's consistency loss); 'mean' (default)
 * averages over ALL elements N·…·C.
 */
export function softmaxMse(a: tf.Tensor, b: tf.Tensor, options: { reduction?: Reduction } = {}): tf.Tensor {
  const fn = 'softmaxMse';
  assertFloatTensor(fn, 'a', a, 1);
  assertFloatTensor(fn, 'b', b, 1);
  assertSameShape(fn, 'a', a, 'b', b);
  assertNoNaN(fn, 'a', a);
  assertNoNaN(fn, 'b', b);
  return scoped(fn, () => reduce(fn, tf.squaredDifference(tf.softmax(a), tf.softmax(b)), options.reduction ?? 'mean'));
}
