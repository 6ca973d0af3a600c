// Small models for this package's tests (not exported; excluded from the published files).
import * as tf from '@tensorflow/tfjs-core';
import { BatchNorm2d, LayerNorm, Linear, Module, Rng } from '@lel/core';

/** `[N, C]` or `[N, H, W, C]` through a BatchNorm2d (dense inputs are viewed as `[N, 1, 1, C]`). */
export class BnOnly extends Module {
  readonly bn: BatchNorm2d;
  constructor(channels: number) {
    super();
    this.bn = this.registerModule('bn', new BatchNorm2d(channels));
  }
  forward(x: tf.Tensor): tf.Tensor {
    return tf.tidy(() => {
      const x4 = x.rank === 2 ? tf.reshape(x, [x.shape[0]!, 1, 1, x.shape[1]!]) : x;
      return tf.reshape(this.bn.forward(x4), x.shape);
    });
  }
}

/** Linear → BatchNorm → ReLU → Linear: parameters and BatchNorm buffers, for averaging and BN-update tests. */
export class TestNet extends Module {
  readonly fc1: Linear;
  readonly body: BnOnly;
  readonly fc2: Linear;
  constructor(inF = 4, hidden = 6, outF = 3, seed = 1) {
    super();
    const rng = new Rng(seed);
    this.fc1 = this.registerModule('fc1', new Linear(inF, hidden, { rng }));
    this.body = this.registerModule('body', new BnOnly(hidden));
    this.fc2 = this.registerModule('fc2', new Linear(hidden, outF, { rng }));
  }
  forward(x: tf.Tensor): tf.Tensor {
    return tf.tidy(() => this.fc2.forward(tf.relu(this.body.forward(this.fc1.forward(x)))));
  }
}

/** Linear → LayerNorm → Linear: a model with no running statistics (BERT-like). */
export class LnNet extends Module {
  readonly fc1: Linear;
  readonly ln: LayerNorm;
  readonly fc2: Linear;
  constructor(seed = 1) {
    super();
    const rng = new Rng(seed);
    this.fc1 = this.registerModule('fc1', new Linear(4, 6, { rng }));
    this.ln = this.registerModule('ln', new LayerNorm(6));
    this.fc2 = this.registerModule('fc2', new Linear(6, 3, { rng }));
  }
  forward(x: tf.Tensor): tf.Tensor {
    return tf.tidy(() => this.fc2.forward(this.ln.forward(this.fc1.forward(x))));
  }
}

/** One parameter `w` of a given shape, for golden averaging cases. */
export class SingleParameter extends Module {
  readonly w;
  constructor(shape: number[]) {
    super();
    this.w = this.registerParameter('w', tf.zeros(shape));
  }
}
