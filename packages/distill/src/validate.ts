import * as tf from '@tensorflow/tfjs-core';
import { checkIntRange } from '@lel/core';

/**
 * Input checks shared by every loss. Shapes are checked eagerly so a wrong pairing of teacher and
 * student fails with a message naming both sizes instead of a broadcast error deep inside an op.
 */

/** `logits` must be a rank-2 `[batch, classes]` tensor. */
export function checkLogits(name: string, logits: tf.Tensor): asserts logits is tf.Tensor2D {
  if (logits.rank !== 2) {
    throw new Error(`${name} must be [batch, classes] logits, got shape [${logits.shape}]`);
  }
  if (logits.shape[1]! < 1) throw new Error(`${name} has no classes (shape [${logits.shape}])`);
}

/**
 * Student and teacher outputs must describe the same batch over the same classes. A teacher trained
 * on another label set (or a head of another size) is the most common distillation mistake, so it gets
 * its own message.
 */
export function checkPair(student: tf.Tensor2D, teacher: tf.Tensor, teacherName = 'teacher logits'): void {
  const [bs, cs] = student.shape;
  if (teacher.rank !== 2) throw new Error(`${teacherName} must be [batch, classes], got shape [${teacher.shape}]`);
  const [bt, ct] = teacher.shape as [number, number];
  if (ct !== cs) {
    throw new Error(
      `teacher/student class-count mismatch: the student predicts ${cs} classes but the teacher ${ct} ` +
        `(${teacherName} [${teacher.shape}] vs student logits [${student.shape}]); both must share one label set`,
    );
  }
  if (bt !== bs) {
    throw new Error(`teacher/student batch mismatch: ${teacherName} has ${bt} rows, student logits ${bs}`);
  }
}

/**
 * The label of a row without one (a transfer-set sample). Only the soft (teacher) terms use such a row; the hard
 * cross-entropy averages over the labelled rows of the batch (0 when it has none). Hinton et al. distil on a
 * transfer set that may be unlabelled.
 */
export const UNLABELLED = -1;

/**
 * Labels must be integer class indices in [0, classes), or {@link UNLABELLED} (unless `unlabelled: false`), one per
 * row. The values are checked on the device (core's `checkIntRange`: at once on cpu and wasm, at the next read on GPU
 * backends, never a synchronous read) because tfjs's `oneHot` silently turns an out-of-range label into an all-zero
 * row, i.e. a zero loss.
 */
export function checkLabels(labels: tf.Tensor, batch: number, classes: number, options: { unlabelled?: boolean } = {}): asserts labels is tf.Tensor1D {
  const allowUnlabelled = options.unlabelled ?? true;
  if (labels.rank !== 1 || labels.shape[0] !== batch) {
    throw new Error(`labels must be a [${batch}] vector of class indices, got shape [${labels.shape}]`);
  }
  if (labels.dtype !== 'int32') throw new Error(`labels must be int32 class indices, got ${labels.dtype}`);
  checkIntRange(
    labels,
    0,
    classes,
    (y, i) =>
      y === UNLABELLED
        ? `label ${y} at row ${i} is UNLABELLED, but this loss needs a label on every row`
        : `label ${y} at row ${i} is outside [0, ${classes}) and is not UNLABELLED (${UNLABELLED})`,
    allowUnlabelled ? UNLABELLED : undefined,
  );
}

/** A finite number in [lo, hi]. */
export function checkRange(name: string, value: number, lo: number, hi: number): void {
  if (!(value >= lo && value <= hi)) throw new Error(`${name} must be in [${lo}, ${hi}], got ${value}`);
}
