import * as tf from '@tensorflow/tfjs-core';
import { scoped, type TensorModule } from '@lel/core';
import { adoptChild } from '../module-surgery';
import { BaseAdapterLayer } from './base-adapter-layer';
import type { LinearLike } from './linear-base';

/**
 * An adapter beside a dense layer whose update is a weight delta (LoRA, KronA): `y = base(x) + Δ(x)`
 * while an adapter runs, and merge adds the dense `[in, out]` delta to the base kernel (unmerge subtracts
 * it), so a merged layer costs nothing extra. The base layer stays registered as `base_layer`.
 */
export abstract class LinearAdapterLayer<S> extends BaseAdapterLayer<S> implements TensorModule {
  readonly mergeable = true;
  declare readonly baseLayer: LinearLike;

  constructor(baseLayer: LinearLike) {
    super(baseLayer);
    adoptChild(this, 'base_layer', baseLayer);
  }

  /** The adapter's contribution `Δ(x)` for `x [..., in]` (what the forward adds to the base output). */
  protected abstract adapterOutput(x: tf.Tensor, name: string): tf.Tensor;

  /** The dense `[in, out]` update of adapter `name` (what merge adds to the kernel). */
  abstract deltaKernel(name: string): tf.Tensor;

  forward(x: tf.Tensor): tf.Tensor {
    return scoped(this.constructor.name, () => {
      const y = this.baseLayer.forward(x);
      const name = this.runningAdapter;
      return name === null ? y : tf.add(y, this.adapterOutput(x, name));
    });
  }

  protected override applyMerge(name: string, sign: 1 | -1): void {
    const w = this.baseLayer.weight;
    const delta = this.deltaKernel(name);
    w.assign(sign === 1 ? tf.add(w.variable, delta) : tf.sub(w.variable, delta));
  }
}
