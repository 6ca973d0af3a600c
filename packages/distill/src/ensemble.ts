import * as tf from '@tensorflow/tfjs-core';
import { scoped, stopGradient as detach } from '@lel/core';
import { checkLogits } from './validate';

/**
 * Soft targets of a teacher ensemble (multi-teacher / ensemble distillation, Hinton et al. 2015 §2):
 * the mean over the M teachers of `softmax(z_m / T)` → `[B, C]`. Averaging probabilities (not logits)
 * is the ensemble's own prediction, which is what the student is asked to match.
 *
 * @param teacherLogits `[M, B, C]`, or M tensors of shape `[B, C]` (e.g. teachers of different sizes).
 * @param temperature softmax temperature T > 0.
 * @returns `[B, C]` probabilities, treated as constants (no gradient reaches the teachers).
 */
export function ensembleSoftTargets(teacherLogits: tf.Tensor | readonly tf.Tensor[], temperature = 1): tf.Tensor2D {
  if (!(temperature > 0)) throw new Error(`ensembleSoftTargets: temperature must be > 0, got ${temperature}`);
  const list = Array.isArray(teacherLogits) ? (teacherLogits as readonly tf.Tensor[]) : null;
  if (list) {
    if (list.length === 0) throw new Error('ensembleSoftTargets: no teacher logits given');
    list.forEach((t, m) => checkLogits(`teacher ${m} logits`, t));
    const first = list[0]!;
    list.forEach((t, m) => {
      if (!tf.util.arraysEqual(t.shape, first.shape)) {
        const what = t.shape[1] !== first.shape[1] ? 'class-count mismatch between teachers' : 'batch mismatch between teachers';
        throw new Error(`ensembleSoftTargets: ${what}: teacher 0 gives [${first.shape}], teacher ${m} gives [${t.shape}]`);
      }
    });
  } else {
    const t = teacherLogits as tf.Tensor;
    if (t.rank !== 3) throw new Error(`ensembleSoftTargets: expected [teachers, batch, classes], got shape [${t.shape}]`);
  }
  return scoped('ensembleSoftTargets', () => {
    const stacked = list ? tf.stack(list as tf.Tensor[]) : (teacherLogits as tf.Tensor3D);
    const probs = tf.softmax(tf.div(detach(stacked), temperature));
    return tf.mean(probs, 0) as tf.Tensor2D;
  });
}
