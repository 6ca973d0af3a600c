// A tiny task for the data-parallel tests: a 2-layer MLP on a fixed, seeded batch of 12 examples, with
// an `@lel/core` Adam for the in-worker mode (DataParallel.step).
import * as tf from '@tensorflow/tfjs-core';
import { Parameter } from '../module/parameter';
import { Adam } from '../optim/adam';
import type { ParallelTask, Shard } from './task';

/** Factory used by the data-parallel tests (workers import it by path). `failFrom`: shards starting there throw. */
export function createTinyTask(seed: number | { seed: number; failFrom?: number } = 1): ParallelTask {
  const s = typeof seed === 'number' ? seed : seed.seed;
  const failFrom = typeof seed === 'number' ? undefined : seed.failFrom;
  // Parameter keeps its initial tensor alive (shared data): dispose it so only the variable counts.
  const param = (t: tf.Tensor) => {
    const p = new Parameter(t);
    t.dispose();
    return p;
  };
  const w1 = param(tf.randomNormal([5, 8], 0, 0.5, 'float32', s));
  const b1 = param(tf.zeros([8]));
  const w2 = param(tf.randomNormal([8, 3], 0, 0.5, 'float32', s + 1));
  const named: [string, Parameter][] = [
    ['w1', w1],
    ['b1', b1],
    ['w2', w2],
  ];
  const x = tf.randomNormal([12, 5], 0, 1, 'float32', s + 2);
  const y = tf.tidy(() => tf.oneHot(tf.tensor1d([0, 1, 2, 1, 0, 2, 2, 1, 0, 0, 1, 2], 'int32'), 3));
  const adam = new Adam(named, { lr: 0.05 });
  return {
    params: named.map(([, p]) => p.variable),
    loss: ({ start, count }: Shard) => {
      if (failFrom !== undefined && start >= failFrom) throw new Error(`tiny task: shard at ${start} fails on purpose`);
      return tf.tidy(() => {
        const xb = tf.slice(x, [start, 0], [count, -1]);
        const yb = tf.slice(y, [start, 0], [count, -1]);
        const logits = tf.matMul(tf.tanh(tf.add(tf.matMul(xb, w1.variable), b1.variable)), w2.variable);
        return tf.neg(tf.mean(tf.sum(tf.mul(yb, tf.logSoftmax(logits)), -1))) as tf.Scalar;
      });
    },
    applyGradients: (grads: tf.Tensor[], update: unknown) => {
      const lr = (update as { lr?: number } | undefined)?.lr;
      if (lr !== undefined) adam.lr = lr;
      adam.step(new Map(named.map(([n], i) => [n, grads[i]!])));
    },
  };
}
