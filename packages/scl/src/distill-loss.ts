import * as tf from '@tensorflow/tfjs-core';
import { scoped } from '@lel/core';
import { l2Normalize } from './contrastive';

/**
 * SCL's `contrast_distill` (losses.py): D(f_s, f_t) = mean over items of (2 − 2·cos(f_s, f_t)), every vector along
 * the last axis being one item: global features [B, D] give B items, NHWC maps [B, h, w, C] give B·h·w items (each
 * location's C-vector). The teacher is treated as a constant (pass a tensor computed outside the gradient).
 */
export function featureDistance(student: tf.Tensor, teacher: tf.Tensor): tf.Scalar {
  if (!tf.util.arraysEqual(student.shape, teacher.shape)) {
    throw new Error(`featureDistance: student [${student.shape}] and teacher [${teacher.shape}] must have the same shape`);
  }
  if (student.rank < 2) throw new Error(`featureDistance: inputs need at least 2 dimensions (items × features), got [${student.shape}]`);
  return scoped('featureDistance', () => {
    const cos = tf.sum(tf.mul(l2Normalize(student), l2Normalize(teacher)), -1);
    return tf.mean(tf.sub(2, tf.mul(cos, 2))) as tf.Scalar;
  });
}

/**
 * SCL/RFS `DistillKL`: Σ_batch Σ_classes p_t·(log p_t − log p_s) with p = softmax(z/T), times T², divided by the batch
 * size. Default T = 4 (SCL train_distillation.py `--kd_T`). Teacher logits are constants.
 */
export function klDistillation(studentLogits: tf.Tensor, teacherLogits: tf.Tensor, temperature = 4): tf.Scalar {
  if (studentLogits.rank !== 2) throw new Error(`klDistillation: studentLogits must be [B, C], got shape [${studentLogits.shape}]`);
  if (!tf.util.arraysEqual(studentLogits.shape, teacherLogits.shape)) {
    throw new Error(`klDistillation: studentLogits [${studentLogits.shape}] and teacherLogits [${teacherLogits.shape}] must have the same shape`);
  }
  if (!(temperature > 0)) throw new Error(`klDistillation: temperature must be > 0, got ${temperature}`);
  return scoped('klDistillation', () => {
    const logPs = tf.logSoftmax(tf.div(studentLogits, temperature));
    const logPt = tf.logSoftmax(tf.div(teacherLogits, temperature));
    const kl = tf.sum(tf.mul(tf.exp(logPt), tf.sub(logPt, logPs)));
    return tf.div(tf.mul(kl, temperature * temperature), studentLogits.shape[0]!) as tf.Scalar;
  });
}
