import * as tf from '@tensorflow/tfjs-core';

/**
 * A trainable (or frozen) tensor owned by a {@link Module}. Wraps a `tf.Variable` with an engine-unique
 * name; the human-readable hierarchical name (`encoder.layer.0.attention.self.query.weight`) lives in the
 * module tree, so two models with the same structure never collide in tfjs's variable registry.
 */
export class Parameter {
  readonly variable: tf.Variable;
  /** Whether optimisers update it. Frozen parameters still take part in the forward pass. */
  trainable: boolean;

  constructor(value: tf.Tensor, trainable = true) {
    this.variable = tf.variable(value, true, undefined, value.dtype);
    this.trainable = trainable;
  }

  get shape(): number[] {
    return this.variable.shape;
  }

  get size(): number {
    return this.variable.size;
  }

  /** Replace the value (shape and dtype must match). */
  assign(value: tf.Tensor): void {
    if (!tf.util.arraysEqual(value.shape, this.variable.shape)) {
      throw new Error(`Parameter.assign: shape [${value.shape}] does not match [${this.variable.shape}]`);
    }
    this.variable.assign(value.dtype === this.variable.dtype ? value : tf.cast(value, this.variable.dtype));
  }

  dispose(): void {
    this.variable.dispose();
  }
}
