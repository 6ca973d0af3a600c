import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import { Module } from '../module/module';
import { Linear } from '../layers/linear';
import { Dropout } from '../layers/dropout';
import { crossEntropy } from '../losses/cross-entropy';
import { Rng } from '../random/rng';
import { describeMethodMatrix } from './method-matrix';

// A tiny classifier with a frozen first layer and dropout: exercises every row of the matrix.
class TinyNet extends Module {
  readonly fc1: Linear;
  readonly drop = this.registerModule('drop', new Dropout(0.2));
  readonly fc2: Linear;
  constructor(rng: Rng) {
    super();
    this.fc1 = this.registerModule('fc1', new Linear(4, 8, { rng }));
    this.fc2 = this.registerModule('fc2', new Linear(8, 3, { rng }));
    this.fc1.freeze();
  }
  forward(x: tf.Tensor): tf.Tensor {
    return this.fc2.forward(this.drop.forward(tf.relu(this.fc1.forward(x))));
  }
}

describeMethodMatrix([
  {
    name: 'tiny classifier',
    setup: (seed) => {
      const rng = new Rng(seed);
      const model = new TinyNet(rng);
      const x = rng.normalTensor([6, 4]);
      const y = tf.tensor1d([0, 1, 2, 0, 1, 2], 'int32');
      return { model, loss: () => crossEntropy(model.forward(x), y) as tf.Scalar, dispose: () => tf.dispose([x, y]) };
    },
  },
]);
