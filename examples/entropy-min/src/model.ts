import * as tf from '@tensorflow/tfjs-core';
import { Linear, Module, Rng, relu } from '@lel/core';

/** A two-layer MLP classifier: Linear → ReLU → Linear (logits). */
export class EntropyMinClassifier extends Module {
  readonly fc1: Linear;
  readonly fc2: Linear;

  constructor(inFeatures: number, hidden: number, numClasses: number, rng?: Rng) {
    super();
    this.fc1 = this.registerModule('fc1', new Linear(inFeatures, hidden, { rng }));
    this.fc2 = this.registerModule('fc2', new Linear(hidden, numClasses, { rng }));
  }

  /** Logits [N, numClasses] of features [N, inFeatures]. */
  forward(x: tf.Tensor): tf.Tensor2D {
    return this.fc2.forward(relu(this.fc1.forward(x))) as tf.Tensor2D;
  }
}
