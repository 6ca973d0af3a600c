import * as tf from '@tensorflow/tfjs-core';
import { Linear, Module, relu, scoped, type Rng } from '@lel/core';

/**
 * SCL's global projection head (models/contrast.py): Linear(C, C, no bias) → ReLU → Linear(C, featDim, no bias) on
 * the pooled feature; only the GC loss uses it. Parameters `0.weight` and `2.weight` as the official `nn.Sequential`.
 */
export class ProjectionHead extends Module {
  private readonly l1: Linear;
  private readonly l2: Linear;

  constructor(inFeatures: number, featDim = 80, rng?: Rng) {
    super();
    this.l1 = this.registerModule('0', new Linear(inFeatures, inFeatures, { bias: false, rng }));
    this.l2 = this.registerModule('2', new Linear(inFeatures, featDim, { bias: false, rng }));
  }

  /** [B, C] → [B, featDim] (not normalised; the GC loss normalises). */
  forward(x: tf.Tensor): tf.Tensor2D {
    return scoped('ProjectionHead', () => this.l2.forward(relu(this.l1.forward(x))) as tf.Tensor2D);
  }
}
