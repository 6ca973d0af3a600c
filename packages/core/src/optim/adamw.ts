import * as tf from '@tensorflow/tfjs-core';
import { Adam, type AdamOptions } from './adam';
import type { NamedParameter, ParamGroup, ParamUpdate } from './optimizer';

/**
 * AdamW, exactly as `torch.optim.AdamW` (1.13, amsgrad off): decoupled weight decay p ← p·(1 − lr·wd)
 * first, then the Adam update without L2. PyTorch's default weight decay, 0.01.
 */
export class AdamW extends Adam {
  constructor(params: NamedParameter[] | ParamGroup[], options: AdamOptions) {
    super(params, options, 0.01);
  }

  protected override weightDecayTerms(u: ParamUpdate): { l2: number; decay: number } {
    return { l2: 0, decay: u.weightDecay !== 0 ? 1 - u.lr * u.weightDecay : 1 };
  }

  protected override applyWeightDecay(u: ParamUpdate, g: tf.Tensor): tf.Tensor {
    if (u.weightDecay !== 0) {
      const p = u.param.variable;
      p.assign(tf.mul(p, 1 - u.lr * u.weightDecay));
    }
    return g;
  }
}
