import * as tf from '@tensorflow/tfjs-core';
import './register-gradients';
import { Module, type TensorModule } from '../module/module';
import { globalRng, type Rng } from '../random/rng';
import { scoped } from '../scope';
import { assertProbability, assertRank } from './validate';

/**
 * Element dropout (`F.dropout`, training): each element is zeroed with probability p and survivors are scaled by
 * 1/(1 − p). The mask comes from `rng` (default {@link globalRng}), so it is seeded and the same on every backend.
 */
export function dropout(x: tf.Tensor, p: number, rng?: Rng): tf.Tensor {
  return scoped('dropout', () => {
    assertProbability('dropout', 'p', p);
    if (p === 0) return tf.clone(x);
    const mask = (rng ?? globalRng()).bernoulliTensor(x.shape, 1 - p);
    return tf.mul(x, tf.mul(mask, 1 / (1 - p)));
  });
}

/**
 * Channel dropout (`F.dropout2d`, training) on NHWC: one Bernoulli draw per (n, c) zeroes a whole feature map;
 * survivors are scaled by 1/(1 − p).
 */
export function dropout2d(x: tf.Tensor, p: number, rng?: Rng): tf.Tensor {
  return scoped('dropout2d', () => {
    assertRank('dropout2d', 'x', x, 4, 'NHWC');
    assertProbability('dropout2d', 'p', p);
    if (p === 0) return tf.clone(x);
    const [n, , , c] = x.shape as number[];
    const mask = (rng ?? globalRng()).bernoulliTensor([n!, 1, 1, c!], 1 - p);
    return tf.mul(x, tf.mul(mask, 1 / (1 - p)));
  });
}

/**
 * `nn.Dropout(p)`: {@link dropout} in training mode, identity in evaluation mode. Masks come from `rng` when
 * given, else from {@link globalRng} at call time. A given `rng` (with p > 0) is registered as the module's
 * generator `rng` (e.g. `encoder.dropout.rng`), so checkpoints save its state and a resumed `fit` draws the
 * same masks as an uninterrupted run.
 */
export class Dropout extends Module implements TensorModule {
  constructor(
    readonly p = 0.5,
    readonly rng?: Rng,
  ) {
    super();
    assertProbability('Dropout', 'p', p);
    if (rng && p > 0) this.registerGenerator('rng', rng);
  }
  forward(x: tf.Tensor): tf.Tensor {
    return this.training && this.p > 0 ? dropout(x, this.p, this.rng) : x;
  }
}

/**
 * `nn.Dropout2d(p)` on NHWC: {@link dropout2d} in training mode, identity in evaluation mode. As {@link Dropout},
 * a given `rng` (with p > 0) is registered as the module's generator `rng`, so checkpoints save its state.
 */
export class Dropout2d extends Module implements TensorModule {
  constructor(
    readonly p = 0.5,
    readonly rng?: Rng,
  ) {
    super();
    assertProbability('Dropout2d', 'p', p);
    if (rng && p > 0) this.registerGenerator('rng', rng);
  }
  forward(x: tf.Tensor): tf.Tensor {
    if (!this.training || this.p === 0) {
      assertRank('Dropout2d', 'x', x, 4, 'NHWC');
      return x;
    }
    return dropout2d(x, this.p, this.rng);
  }
}
