// Teacher and student architectures of the benchmark.
import * as tf from '@tensorflow/tfjs-core';
import { Conv2d, Dropout, Linear, MaxPool2d, Module, Rng } from '@lel/core';

/** MLP: inputs flattened, ReLU hidden layers (dropout on them when `dropout` > 0). */
export class Mlp extends Module {
  private readonly layers: Linear[] = [];
  private readonly drop: Dropout | null;
  constructor(inF: number, hidden: number[], classes: number, seed: number | string, dropout = 0) {
    super();
    const rng = new Rng(`mlp/${seed}`);
    const sizes = [inF, ...hidden, classes];
    for (let i = 0; i + 1 < sizes.length; i++) this.layers.push(this.registerModule(`fc${i}`, new Linear(sizes[i]!, sizes[i + 1]!, { rng })));
    this.drop = dropout > 0 ? this.registerModule('drop', new Dropout(dropout, rng)) : null;
  }
  forward(x: tf.Tensor): tf.Tensor {
    return tf.tidy(() => {
      let h = tf.reshape(x, [x.shape[0]!, -1]);
      this.layers.forEach((l, i) => {
        h = l.forward(h);
        if (i + 1 < this.layers.length) {
          h = tf.relu(h);
          if (this.drop) h = this.drop.forward(h);
        }
      });
      return h;
    });
  }
}

/** Small CNN on NHWC images: [conv3×3 → ReLU → maxpool2] × len(channels) → linear. */
export class Cnn extends Module {
  private readonly convs: Conv2d[] = [];
  private readonly pool = new MaxPool2d(2);
  private readonly head: Linear;
  constructor(size: number, channels: number[], classes: number, seed: number | string) {
    super();
    const rng = new Rng(`cnn/${seed}`);
    let c = 1;
    let s = size;
    channels.forEach((out, i) => {
      this.convs.push(this.registerModule(`conv${i}`, new Conv2d(c, out, 3, { padding: 'same', rng })));
      c = out;
      s = Math.floor(s / 2);
    });
    this.head = this.registerModule('head', new Linear(c * s * s, classes, { rng }));
  }
  forward(x: tf.Tensor): tf.Tensor {
    return tf.tidy(() => {
      let h = x;
      for (const conv of this.convs) h = this.pool.forward(tf.relu(conv.forward(h)));
      return this.head.forward(tf.reshape(h, [h.shape[0]!, -1]));
    });
  }
}
