// A tiny task for the data-parallel tests: a 2-layer MLP on a fixed, seeded batch of 12 examples.
import * as tf from '@tensorflow/tfjs-core';
import type { ParallelTask, Shard } from './task';

/** Factory used by the data-parallel tests (workers import it by path). */
export function createTinyTask(seed = 1): ParallelTask {
  // tf.variable keeps its initial tensor alive (shared data): dispose it so only the variable counts.
  const variable = (t: tf.Tensor) => {
    const v = tf.variable(t);
    t.dispose();
    return v;
  };
  const w1 = variable(tf.randomNormal([5, 8], 0, 0.5, 'float32', seed));
  const b1 = variable(tf.zeros([8]));
  const w2 = variable(tf.randomNormal([8, 3], 0, 0.5, 'float32', seed + 1));
  const x = tf.randomNormal([12, 5], 0, 1, 'float32', seed + 2);
  const y = tf.tidy(() => tf.oneHot(tf.tensor1d([0, 1, 2, 1, 0, 2, 2, 1, 0, 0, 1, 2], 'int32'), 3));
  return {
    params: [w1, b1, w2],
    loss: ({ start, count }: Shard) =>
      tf.tidy(() => {
        const xb = tf.slice(x, [start, 0], [count, -1]);
        const yb = tf.slice(y, [start, 0], [count, -1]);
        const logits = tf.matMul(tf.tanh(tf.add(tf.matMul(xb, w1), b1)), w2);
        return tf.neg(tf.mean(tf.sum(tf.mul(yb, tf.logSoftmax(logits)), -1))) as tf.Scalar;
      }),
  };
}
