import type * as tf from '@tensorflow/tfjs-core';

/** A shard of one step's batch: examples [start, start + count); `payload` is what the caller sent. */
export interface Shard {
  start: number;
  count: number;
  payload?: unknown;
}

/**
 * What a data-parallel replica is: its trainable variables (same order and shapes in every replica) and
 * the loss of one shard. The loss must be a mean over the shard's examples, so that the shard-size-
 * weighted mean of the shards' gradients is the gradient of the whole batch.
 */
export interface ParallelTask {
  params: tf.Variable[];
  loss(shard: Shard): tf.Scalar;
  /**
   * Apply the batch's averaged gradients (same order as `params`) to this replica's weights, e.g. with an
   * `@lel/core` optimiser built by the factory. Needed by `DataParallel.step`, where every replica
   * updates its own copy of the weights: all replicas receive the same averaged gradients and run the same
   * deterministic update, so they stay identical. `update` is what the caller passed to `step` (e.g. the
   * scheduled learning rate). Gradients are disposed by the caller.
   */
  applyGradients?(grads: tf.Tensor[], update: unknown): void;
}
