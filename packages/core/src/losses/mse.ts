import * as tf from '@tensorflow/tfjs-core';
import '../layers/register-gradients';
import { scoped } from '../scope';
import { reduce, type Reduction } from './reduction';
import { assertFloatTensor, assertNoNaN, assertSameShape } from './validate';

/** Mean squared error (`F.mse_loss`): (a − b)² reduced by 'mean' (default, over all elements), 'sum' or 'none'. */
export function mse(a: tf.Tensor, b: tf.Tensor, options: { reduction?: Reduction } = {}): tf.Tensor {
  const fn = 'mse';
  assertFloatTensor(fn, 'a', a, 0);
  assertFloatTensor(fn, 'b', b, 0);
  assertSameShape(fn, 'a', a, 'b', b);
  assertNoNaN(fn, 'a', a);
  assertNoNaN(fn, 'b', b);
  return scoped(fn, () => reduce(fn, tf.squaredDifference(a, b), options.reduction ?? 'mean'));
}
