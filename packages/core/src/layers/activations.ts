import * as tf from '@tensorflow/tfjs-core';
import './register-gradients';
import { Module, type TensorModule } from '../module/module';
import { scoped } from '../scope';

/** max(x, 0). */
export function relu(x: tf.Tensor): tf.Tensor {
  return scoped('relu', () => tf.relu(x));
}

/** x for x ≥ 0, alpha·x otherwise (PyTorch's default slope 0.01). */
export function leakyRelu(x: tf.Tensor, alpha = 0.01): tf.Tensor {
  return scoped('leakyRelu', () => tf.leakyRelu(x, alpha));
}

/** Exact GELU 0.5·x·(1 + erf(x/√2)) (PyTorch's and BERT's default, not the tanh approximation). */
export function gelu(x: tf.Tensor): tf.Tensor {
  return scoped('gelu', () => tf.mul(tf.mul(x, 0.5), tf.add(1, tf.erf(tf.mul(x, Math.SQRT1_2)))));
}

/** `nn.ReLU`. */
export class ReLU extends Module implements TensorModule {
  forward(x: tf.Tensor): tf.Tensor {
    return relu(x);
  }
}

/** `nn.LeakyReLU(alpha)`. */
export class LeakyReLU extends Module implements TensorModule {
  constructor(readonly alpha = 0.01) {
    super();
  }
  forward(x: tf.Tensor): tf.Tensor {
    return leakyRelu(x, this.alpha);
  }
}

/** `nn.GELU` (exact erf form). */
export class GELU extends Module implements TensorModule {
  forward(x: tf.Tensor): tf.Tensor {
    return gelu(x);
  }
}

/** `nn.Tanh`. */
export class Tanh extends Module implements TensorModule {
  forward(x: tf.Tensor): tf.Tensor {
    return scoped('tanh', () => tf.tanh(x));
  }
}

/** `nn.Sigmoid`. */
export class Sigmoid extends Module implements TensorModule {
  forward(x: tf.Tensor): tf.Tensor {
    return scoped('sigmoid', () => tf.sigmoid(x));
  }
}

/** `nn.Identity`: returns its input (the same tensor, not a copy). */
export class Identity extends Module implements TensorModule {
  forward(x: tf.Tensor): tf.Tensor {
    return x;
  }
}
