import * as tf from '@tensorflow/tfjs-core';
import { scoped } from '@lel/core';
import { foregroundMask, resizeMaskNearest } from './masks';

/** Intermediates of the guided masks (Con-Msk and Obj-Msk). */
export interface GuidedMaskParts {
  /** argmax(main) > 0 at the prediction's resolution, [B, H, W]. */
  fgMaskFull: tf.Tensor3D;
  /** The multiplicative mask at the feature resolution, [B, h, w]. */
  mask: tf.Tensor3D;
  /** z ⊙ mask. */
  out: tf.Tensor4D;
}

/** Shared implementation: keep the foreground (`keep = 'objects'`) or the background (`'context'`). */
export function guidedMaskParts(z: tf.Tensor4D, mainLogits: tf.Tensor4D, keep: 'objects' | 'context'): GuidedMaskParts {
  if (z.shape[0] !== mainLogits.shape[0]) {
    throw new Error(`guided masking: z has batch ${z.shape[0]} but the main prediction has ${mainLogits.shape[0]}`);
  }
  return scoped('guidedMask', () => {
    const fgMaskFull = foregroundMask(mainLogits);
    const fg = resizeMaskNearest(fgMaskFull, [z.shape[1], z.shape[2]]);
    const mask = (keep === 'objects' ? fg : tf.sub(1, fg)) as tf.Tensor3D;
    const out = tf.mul(z, tf.expandDims(mask, 3)) as tf.Tensor4D;
    return { fgMaskFull, mask, out };
  });
}

/**
 * Con-Msk (`ContextMaskingDecoder`): z ⊙ M_fg with M_fg = (argmax ŷ > 0) nearest-resized to the
 * feature size. The background (context) is zeroed; the decoder must predict from the objects alone.
 * `mainLogits` is the main decoder's (detached) prediction on the same images.
 */
export function contextMasking(z: tf.Tensor4D, mainLogits: tf.Tensor4D): tf.Tensor4D {
  const { fgMaskFull, mask, out } = guidedMaskParts(z, mainLogits, 'objects');
  tf.dispose([fgMaskFull, mask]);
  return out;
}
