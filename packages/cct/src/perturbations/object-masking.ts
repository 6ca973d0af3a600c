import * as tf from '@tensorflow/tfjs-core';
import { guidedMaskParts } from './context-masking';

/**
 * Obj-Msk (`ObjectMaskingDecoder`): z ⊙ (1 − M_fg). The objects are zeroed; the decoder must predict
 * from the context alone. `mainLogits` is the main decoder's (detached) prediction.
 */
export function objectMasking(z: tf.Tensor4D, mainLogits: tf.Tensor4D): tf.Tensor4D {
  const { fgMaskFull, mask, out } = guidedMaskParts(z, mainLogits, 'context');
  tf.dispose([fgMaskFull, mask]);
  return out;
}
