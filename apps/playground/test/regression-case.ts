import * as tf from '@tensorflow/tfjs-core';
import { Parameter, type NamedParameter } from '@lel/core';

/**
 * A small least-squares step, the same in the page (webgpu) and in Node (cpu): loss mean((x·w + b − y)²) over fixed
 * inputs, and its gradients. Returns the loss function, the parameters it trains and what frees its tensors.
 */
export function regressionCase(): { loss: () => tf.Scalar; params: NamedParameter[]; dispose: () => void } {
  const x = tf.tensor2d(Array.from({ length: 8 * 3 }, (_, i) => Math.sin(i + 1)), [8, 3]);
  const y = tf.tensor2d(Array.from({ length: 8 }, (_, i) => Math.cos(2 * i)), [8, 1]);
  const w = new Parameter(tf.tensor2d([0.5, -0.25, 0.125], [3, 1]));
  const b = new Parameter(tf.scalar(0.1));
  return {
    loss: () => tf.mean(tf.square(tf.sub(tf.add(tf.matMul(x, w.variable), b.variable), y))),
    params: [
      ['w', w],
      ['b', b],
    ],
    dispose: () => tf.dispose([x, y, w.variable, b.variable]),
  };
}
