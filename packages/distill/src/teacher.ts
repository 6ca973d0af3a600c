import * as tf from '@tensorflow/tfjs-core';
import { stopGradient as detach, type Module } from '@lel/core';

/** Where the teacher's logits for a batch come from: a frozen model or a cache. */
export interface Teacher<B> {
  /** Teacher logits `[B, C]` for `batch` (caller owns the tensor); constants for autodiff. */
  logits(batch: B): tf.Tensor2D;
  /** Number of classes, when known up front (checked against the student before training). */
  readonly numClasses?: number;
}

/**
 * A teacher model used for inference only: every parameter is frozen (optimisers skip it), the model
 * is put in evaluation mode (dropout off, BatchNorm running statistics), and its output is detached,
 * so it receives no gradient even when evaluated inside the student's gradient tape.
 *
 * @param forward runs the model on a batch and returns `[B, C]` logits (for BERT: the classifier head).
 */
export function frozenTeacher<M extends Module, B>(model: M, forward: (model: M, batch: B) => tf.Tensor, options: { numClasses?: number } = {}): Teacher<B> {
  model.freeze();
  model.eval();
  return {
    numClasses: options.numClasses,
    logits(batch: B): tf.Tensor2D {
      return tf.tidy(() => {
        // Re-assert eval mode: a shared module may have been switched back to training elsewhere.
        if (model.training) model.eval();
        const z = forward(model, batch);
        if (z.rank !== 2) throw new Error(`frozenTeacher: the teacher forward must return [batch, classes] logits, got shape [${z.shape}]`);
        if (options.numClasses !== undefined && z.shape[1] !== options.numClasses) {
          throw new Error(`frozenTeacher: the teacher returned ${z.shape[1]} classes, expected ${options.numClasses}`);
        }
        return detach(z as tf.Tensor2D);
      });
    },
  };
}
